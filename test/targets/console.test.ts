/**
 * The console on every target, end to end through a tender: lines of both streams arrive whole
 * and in order (the process target gathers writes into console frames), every line written before
 * exit() is there, a malformed write is refused and counted like any hypercall, and the console
 * limits cut a flood to the rate with one notice from the tender.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Image } from "../../src/host/image/image.ts";
import { TARGET_NAMES } from "../../src/host/tender/targets/index.ts";
import { buildSource, testTender } from "../helpers.ts";

const built = new Map<string, Promise<Image>>();
const image = (start: string) => {
  const source = `import { unikernel } from "tsuki";\nexport default unikernel({ async start(ctx) {\n${start}\n} });\n`;
  if (!built.has(source)) built.set(source, buildSource(source));
  return built.get(source)!;
};

for (const target of TARGET_NAMES) {
  describe(`target ${target}: console`, () => {
    test("output and error lines keep their order, and every line before exit() is there", async () => {
      const { tender, lines } = testTender(target);
      const u = await tender.boot(await image(`for (let i = 0; i < 3000; i++) (i % 3 ? console.log : console.error)("line", i); ctx.exit(0);`));
      await u.exited;
      assert.equal(lines.length, 3000);
      assert.deepEqual(lines.map((l) => [l.stream, l.text]), Array.from({ length: 3000 }, (_, i) => [i % 3 ? 1 : 2, `line ${i}`]));
      assert.deepEqual(u.consoleCounts(), { lines: 3000, bytes: lines.reduce((n, l) => n + l.text.length, 0), droppedRate: 0, droppedBacklog: 0, truncated: 0 });
    });

    test("a malformed console write is refused by the validator and counted", async () => {
      const { tender, lines } = testTender(target);
      const u = await tender.boot(
        await image(`const raw = globalThis[Symbol.for("tsuki.hypercall")];
          const r = [raw("console.write", 3, new Uint8Array(1)), raw("console.write", 1, new Uint8Array(70000)), raw("console.write", 1, "text")];
          console.log(r.map((e) => e.errno).join(" "));`),
      );
      await u.exited;
      assert.deepEqual(lines.map((l) => l.text), ["EINVAL E2BIG EINVAL"]);
      assert.deepEqual(Object.fromEntries(u.rejectedCalls), { EINVAL: 2, E2BIG: 1 });
    });

    test("a flood past the console limits is cut to the burst and told in one notice", async () => {
      const { tender, lines } = testTender(target);
      const u = await tender.boot(await image(`for (let i = 0; i < 100000; i++) console.log(i);`), { console: { rate: 10, burst: 1000 } });
      await u.exited;
      const guest = lines.filter((l) => !l.tender);
      assert.ok(guest.length >= 1000 && guest.length <= 1010, `${guest.length} lines`);
      assert.deepEqual(guest.slice(0, 3).map((l) => l.text), ["0", "1", "2"]);
      assert.deepEqual(lines.filter((l) => l.tender).map((l) => l.text), [`tsuki: ${(100000 - guest.length).toLocaleString("en-US")} console lines of t dropped (rate 10/s, burst 1,000)`]);
      assert.equal(u.consoleCounts().droppedRate, 100000 - guest.length);
    });
  });
}
