/**
 * What the guest runtime bounds for the tender: pending timers (1,024 per MiB of the memory limit,
 * on the targets with one), past which setTimeout and setInterval throw a RangeError that says so;
 * and the bytes a hypercall carries, a copy of just the view, never the larger buffer it is a view
 * of (isolated-vm copies a view's whole buffer across).
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BootInfo } from "../../src/abi/index.ts";
import { IsolateGuest } from "../../src/host/tender/targets/isolate.ts";
import { bootToEnd, buildSource } from "../helpers.ts";

const body = (start: string) => `import { unikernel } from "tsuki";\nexport default unikernel({ async start() {\n${start}\n} });\n`;

for (const target of ["isolate", "process"] as const) {
  describe(`target ${target}: runtime limits`, () => {
    test("pending timers are bounded by the memory limit, with a RangeError that says so", async () => {
      const r = await bootToEnd(
        target,
        await buildSource(body(`const ids = [];
          try { for (;;) ids.push(setTimeout(() => {}, 1e9)); } catch (e) { console.log(ids.length, e.name, e.message); }
          ids.forEach(clearTimeout);
          setTimeout(() => console.log("timers work again"), 1);`)),
        { memoryMb: 8 },
      );
      assert.deepEqual(r.out, [
        "8192 RangeError setTimeout: 8192 timers are pending, the most a unikernel may have with --mem 8M (1024 per MiB): clear the timers it no longer needs, or raise --mem",
        "timers work again",
      ]);
    });
  });
}

test("a hypercall carries a copy of the view it is given, never the whole buffer behind it", async () => {
  const image = await buildSource(body(`console.log("x".repeat(200000));`));
  const buffers: number[] = [];
  const guest = new IsolateGuest({
    name: "t",
    entry: image.entry,
    memoryMb: 64,
    cpuMs: 1000,
    hypercall: (call, ...args) => {
      if (call === "console.write") buffers.push((args[1] as Uint8Array).buffer.byteLength);
      return call.startsWith("clock.") ? 0 : undefined;
    },
  });
  try {
    assert.equal(guest.evaluate(), undefined);
    const info: BootInfo = { abi: 1, name: "t", args: {}, devices: {}, assets: [] };
    assert.equal(guest.boot(info), undefined);
  } finally {
    guest.dispose();
  }
  assert.deepEqual(buffers, [65536, 65536, 65536, 200001 - 3 * 65536]);
});
