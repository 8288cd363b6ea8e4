/**
 * --mem under tsukid: a 16 MiB unikernel that tries WebAssembly memory in every way (one huge
 * memory, a module's memory grown and written from inside one call, a flood of small ones) in a
 * tender thread of the daemon. It gets its RangeErrors and -1s, `tsuki stats` shows its memory as
 * the limit counts it (never past 16 MiB), and the daemon's peak RSS stays within 16 + 64 MiB of
 * what it was before (the issue: 296 MB to 4.49 GB, while stats showed 0.9 MB of heap).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { type RunningDaemon, sourceImage, startDaemon } from "../host/orchestrator/harness.ts";
import { literal, memoryModule } from "./wasm-modules.ts";

let daemon: RunningDaemon;
before(async () => {
  daemon = await startDaemon();
});
after(async () => {
  assert.equal(await daemon.stop(), 0);
});

const peakKiB = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

test("a 16 MiB unikernel's WebAssembly memory stays inside its limit, in the daemon's RSS and in its stats", { timeout: 120_000 }, async () => {
  const warm = await sourceImage("warm", `import { unikernel } from "tsuki";\nexport default unikernel({ start() {} });\n`);
  await daemon.client.create({ name: "warm", devices: [], memoryMb: 16 }, warm);
  await daemon.waitFor((e) => e.event === "exited" && e.name === "warm", "warm-up exit");
  const baseline = peakKiB(daemon.child.pid!);

  const hog = await sourceImage(
    "hog",
    `import { unikernel } from "tsuki";
    export default unikernel({ async start() {
      globalThis.spare = new WebAssembly.Memory({ initial: 1, maximum: 8 });
      try { new Uint8Array(new WebAssembly.Memory({ initial: 16384 }).buffer).fill(1); console.log("SURVIVED"); } catch (e) { console.log(e.name); }
      const e = new WebAssembly.Instance(new WebAssembly.Module(${literal(memoryModule({ min: 1 }))})).exports;
      console.log("grew", e.growfill(16384) < 256 ? "within" : "SURVIVED");
      const kept = [];
      try { for (let i = 0; i < 1024; i++) { const m = new WebAssembly.Memory({ initial: 16, maximum: 16 }); new Uint8Array(m.buffer).fill(1); kept.push(m); } console.log("SURVIVED"); } catch (e) { console.log(e.name); }
      globalThis.kept = kept;
      console.log("waiting");
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } });`,
  );
  await daemon.client.create({ name: "hog", devices: [], memoryMb: 16 }, hog);
  await daemon.waitFor((e) => e.event === "started" && e.name === "hog", "hog started");
  let stats = await daemon.client.stats("hog");
  for (let i = 0; i < 100 && (stats.memory === null || stats.memory.reserved === 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stats = await daemon.client.stats("hog");
  }
  const exit = await daemon.waitFor((e) => e.event === "exited" && e.name === "hog", "hog exit");
  const lines: string[] = [];
  await daemon.client.console("hog", {}, (line) => lines.push(line.text));

  assert.deepEqual(lines, ["RangeError", "grew within", "RangeError", "waiting"]);
  assert.match(JSON.stringify(exit), /"returned/, JSON.stringify(exit));
  assert.ok(stats.memory !== null, "memory figures");
  assert.equal(stats.memory.limit, 16 * 2 ** 20);
  assert.ok(stats.memory.used <= stats.memory.limit, JSON.stringify(stats.memory));
  assert.ok(stats.memory.reserved >= 7 * 65536, "the wasm memories' maximum is counted before it is used");
  const grew = peakKiB(daemon.child.pid!) - baseline;
  assert.ok(grew <= (16 + 64) * 1024, `the daemon's peak RSS grew by ${(grew / 1024).toFixed(0)} MiB`);
});
