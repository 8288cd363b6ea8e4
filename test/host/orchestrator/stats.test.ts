/**
 * tsukid's stats on a real daemon: `tsuki stats` (and the API) show CPU time, heap and its limit,
 * the memory limit, and connections and bytes per device, which grow with requests and are summed
 * over restarts; the unikernel boots under its daemon name (its console and the guest's `name`);
 * the event log records create, start, exit, operator restart and destroy; the console ring grows
 * as lines come and keeps the last ones in order.
 */

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ConsoleRing } from "../../../src/host/orchestrator/supervision/console-ring.ts";
import { processTargetUnavailable, tempDir } from "../../helpers.ts";
import { tsuki } from "../../cli/spawn.ts";
import { type RunningDaemon, fetchText, helloHttpImage, sourceImage, startDaemon } from "./harness.ts";

const T = { timeout: 60_000 };
const processUnavailable = await processTargetUnavailable();
let daemon: RunningDaemon;
let hello: Uint8Array;
let helloPath: string;

before(async () => {
  hello = await helloHttpImage();
  helloPath = path.join(tempDir(), "hello-http.tsuki");
  writeFileSync(helloPath, hello);
  daemon = await startDaemon();
});
after(async () => {
  assert.equal(await daemon.stop(), 0);
});

/** `count` requests, each on a connection of its own. */
async function requests(address: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await fetch(address.replace(/^tcp:/, "http:") + "/", { headers: { connection: "close" } });
    assert.equal(await res.text(), "hello\n");
  }
}

describe("tsuki stats", () => {
  test("shows CPU time, heap, memory limit, and connections and bytes per device that grow with requests", T, async () => {
    const info = await daemon.client.create({ name: "web", devices: ["web=tcp://127.0.0.1:0"], memoryMb: 48 }, hello);
    await requests(info.addresses.web!, 5);
    const before = await daemon.client.stats("web");
    await requests(info.addresses.web!, 20);
    const s = await daemon.client.stats("web");
    assert.equal(s.target, "isolate");
    assert.ok(s.cpuTimeMs !== null && s.cpuTimeMs > 0, `cpu ${s.cpuTimeMs}`);
    assert.ok(s.cpuTimeMs > before.cpuTimeMs!, `CPU time grew: ${before.cpuTimeMs} → ${s.cpuTimeMs}`);
    assert.ok(s.cpuTimeTotalMs >= s.cpuTimeMs);
    assert.ok(s.heap !== null && s.heap.used > 0 && s.heap.limit >= 48 * 2 ** 20);
    // Memory as the limit counts it: the heap and what lies outside it, against --mem.
    assert.ok(s.memory !== null, "memory figures");
    assert.equal(s.memory.limit, 48 * 2 ** 20);
    assert.equal(s.memory.heap, s.heap.used);
    assert.equal(s.memory.used, s.memory.heap + s.memory.external + s.memory.reserved);
    assert.equal(s.memoryLimitBytes, 48 * 2 ** 20);
    const web = s.devices.web!;
    const was = before.devices.web!;
    assert.equal(web.kind, "listener");
    assert.ok("connectionsTotal" in web && "connectionsTotal" in was);
    assert.equal(web.connectionsTotal - was.connectionsTotal, 20);
    assert.ok(web.bytesIn - was.bytesIn >= 20 * 16 && web.bytesOut - was.bytesOut >= 20 * 40, JSON.stringify({ web, was }));
    assert.deepEqual(s.deviceTotals.web, { kind: "listener", bytesIn: web.bytesIn, bytesOut: web.bytesOut, connectionsTotal: web.connectionsTotal });

    const r = await tsuki(daemon.tsukiArgs("stats", "web"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^cpu time: +[\d.]+ (ms|s) this boot, [\d.]+ (ms|s) in all$/m);
    assert.match(r.stdout, /^heap: +[\d.]+ MiB of [\d.]+ MiB$/m);
    assert.match(r.stdout, /^memory: +[\d.]+ MiB of 48\.0 MiB \(heap [\d.]+ MiB, external [\d.]+ MiB, reserved [\d.]+ MiB\)$/m);
    assert.match(r.stdout, /^memory limit: +48\.0 MiB$/m);
    assert.match(r.stdout, /^ {2}web: +listener: \d+ open, 25 in all, [\d.]+ (B|KiB) in, [\d.]+ (B|KiB) out$/m);
    const json = JSON.parse((await tsuki(daemon.tsukiArgs("stats", "web", "--json"))).stdout);
    assert.equal(json.devices.web.connectionsTotal, 25);
  });

  test("counters are summed over restarts; this boot's start again from zero", T, async () => {
    const first = await daemon.client.create({ name: "counted", devices: ["web=tcp://127.0.0.1:0"], memoryMb: 32 }, hello);
    await requests(first.addresses.web!, 4);
    const before = await daemon.client.stats("counted");
    assert.equal((before.devices.web as { connectionsTotal: number }).connectionsTotal, 4);
    const info = await daemon.client.restart("counted");
    await requests(info.addresses.web!, 3);
    const s = await daemon.client.stats("counted");
    const web = s.devices.web as { connectionsTotal: number };
    assert.equal(web.connectionsTotal, 3);
    assert.equal(s.deviceTotals.web!.connectionsTotal, 4 + 3);
    assert.ok(s.cpuTimeTotalMs >= before.cpuTimeTotalMs + s.cpuTimeMs! - 0.001, JSON.stringify({ before: before.cpuTimeTotalMs, now: s.cpuTimeTotalMs, boot: s.cpuTimeMs }));
    const restarted = daemon.events().find((e) => e.event === "restarted" && e.name === "counted");
    assert.equal(restarted?.by, "operator");
    await daemon.client.destroy("counted");
  });

  test("a stopped unikernel has no CPU time of this boot but keeps its totals", T, async () => {
    const done = await sourceImage("quick", `import { unikernel } from "tsuki";
export default unikernel({ start({ console }) { let x = 0; for (let i = 0; i < 1e6; i++) x += i; console.log("sum " + x); } });`);
    await daemon.client.create({ name: "quick", restart: "never" }, done);
    await waitUntil(async () => (await daemon.client.info("quick")).state === "exited");
    const s = await daemon.client.stats("quick");
    assert.equal(s.cpuTimeMs, null);
    assert.ok(s.cpuTimeTotalMs > 0, `total ${s.cpuTimeTotalMs}`);
    assert.deepEqual(s.devices, {});
    assert.equal(s.console.total, 1);
    const r = await tsuki(daemon.tsukiArgs("stats", "quick"));
    assert.match(r.stdout, /^cpu time: +- this boot, [\d.]+ (ms|s) in all$/m);
    assert.match(r.stdout, /^devices: +none$/m);
    await daemon.client.destroy("quick");
  });

  test("on the process target, CPU time is read from its sandboxed process", { ...T, skip: processUnavailable }, async () => {
    const info = await daemon.client.create({ name: "boxed", target: "process", devices: ["web=tcp://127.0.0.1:0"], memoryMb: 64 }, hello);
    await requests(info.addresses.web!, 50);
    await waitUntil(async () => ((await daemon.client.stats("boxed")).cpuTimeMs ?? 0) > 0, 20_000, async () => requests(info.addresses.web!, 10));
    const s = await daemon.client.stats("boxed");
    assert.equal(s.target, "process");
    assert.ok((s.devices.web as { connectionsTotal: number }).connectionsTotal >= 50);
    await daemon.client.destroy("boxed");
  });
});

describe("naming and the event log", () => {
  test("a unikernel boots under its daemon name: the guest's name is it, not the image's", T, async () => {
    const namer = await sourceImage("namer", `import { unikernel, listener } from "tsuki";
export default unikernel({ devices: { web: listener() }, async start({ console, name, web }) { console.log("I am " + name); for await (const c of web) c.close(); } });`);
    await daemon.client.create({ name: "first-one", devices: ["web=tcp://127.0.0.1:0"] }, namer);
    await daemon.client.create({ name: "second-one", devices: ["web=tcp://127.0.0.1:0"] }, namer);
    for (const name of ["first-one", "second-one"]) {
      const lines: string[] = [];
      await daemon.client.console(name, {}, (l) => lines.push(l.text));
      assert.deepEqual(lines, [`I am ${name}`]);
    }
    await daemon.client.destroy("first-one");
    await daemon.client.destroy("second-one");
  });

  test("the event log records create, start, exit, operator restart and destroy, in order, as JSON lines", T, async () => {
    const info = await daemon.client.create({ name: "logged", devices: ["web=tcp://127.0.0.1:0"] }, hello);
    assert.equal(await fetchText(info.addresses.web!), "hello\n");
    await daemon.client.restart("logged");
    await daemon.client.destroy("logged");
    const mine = daemon.events().filter((e) => e.name === "logged").map((e) => e.event);
    assert.deepEqual(mine, ["created", "started", "exited", "started", "restarted", "exited", "destroyed"]);
    for (const e of daemon.events()) assert.ok(!Number.isNaN(Date.parse(e.time)), JSON.stringify(e));
  });
});

describe("console ring", () => {
  test("grows as lines come, then keeps the last `capacity` in order; counts what it dropped and wrote", () => {
    const ring = new ConsoleRing(3);
    assert.deepEqual(ring.history(), []);
    ring.push(1, 1, "a");
    ring.push(2, 1, "b");
    assert.deepEqual(ring.history().map((l) => l.text), ["a", "b"]);
    for (const [t, text] of [[3, "c"], [4, "d"], [5, "e"]] as const) ring.push(t, 1, text);
    assert.deepEqual(ring.history().map((l) => l.text), ["c", "d", "e"]);
    assert.deepEqual(ring.history().map((l) => l.seq), [3, 4, 5]);
    assert.equal(ring.dropped, 2);
    assert.equal(ring.total, 5);
    assert.deepEqual(ring.history({ count: 2 }).map((l) => l.text), ["d", "e"]);
    assert.deepEqual(ring.history({ since: 4 }).map((l) => l.text), ["d", "e"]);
    ring.push(6, 2, "f");
    assert.deepEqual(ring.history().map((l) => l.text), ["d", "e", "f"]);
  });

  test("holds at most maxBytes of text: long lines push the oldest out, and the newest line is always kept", () => {
    const ring = new ConsoleRing(1000, 16, 10_000);
    for (let i = 0; i < 100; i++) ring.push(i, 1, `${i}`.padEnd(1000, "."));
    const held = ring.history();
    assert.equal(held.length, 4, "4 lines of 2,064 bytes each fit in 10,000");
    assert.deepEqual(held.map((l) => l.seq), [97, 98, 99, 100]);
    assert.deepEqual([ring.held, ring.dropped, ring.total], [4, 96, 100]);
    ring.push(100, 1, "x".repeat(20_000));
    assert.deepEqual(ring.history().map((l) => l.seq), [101], "a line over the bound alone is held alone");
  });

  test("marks the tender's own lines", () => {
    const ring = new ConsoleRing(3);
    ring.push(1, 2, "tsuki: 5 console lines of web dropped (rate 1/s, burst 2)", true);
    ring.push(2, 2, "tsuki: a guest's own line");
    assert.deepEqual(ring.history().map((l) => l.tender), [true, undefined]);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, ms = 10_000, meanwhile?: () => Promise<void>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    if (meanwhile) await meanwhile();
    else await new Promise((r) => setTimeout(r, 20));
  }
}
