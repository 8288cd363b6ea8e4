/**
 * What bounds what a peer can make tsukid spend, without a daemon: the descriptor budget (exact
 * under contention from worker threads sharing it, never below zero, the limit read from
 * /proc/self/limits), the rate limiter of refusal events (a burst, then a steady rate, the rest
 * summarised by peer), short error bodies whatever the error carries, and the request checks
 * (percent-encoding, nesting).
 */

import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { DescriptorBudget, nofileLimit } from "../../../src/host/orchestrator/descriptors.ts";
import { RateLimitedEvents } from "../../../src/host/orchestrator/event-limiter.ts";
import { DaemonError, ERROR_LIMITS, errorBody } from "../../../src/host/orchestrator/errors.ts";
import { TsukiError } from "../../../src/host/errors.ts";
import { MAX_JSON_DEPTH, checkJsonDepth, decodeSegment } from "../../../src/host/orchestrator/request-checks.ts";
import { ROOT } from "../../helpers.ts";

const code = (c: string, message?: RegExp) => (e: { code: string; message: string }) => {
  assert.equal(e.code, c, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

describe("the descriptor budget", () => {
  test("takes up to the limit less the reserve, refuses (and counts) past it, and never goes below zero", () => {
    const budget = DescriptorBudget.create(10, 4);
    assert.equal(budget.capacity, 6);
    for (let i = 0; i < 6; i++) assert.equal(budget.tryTake(), true);
    assert.equal(budget.tryTake(), false);
    assert.deepEqual(budget.snapshot(), { limit: 10, reserve: 4, inUse: 6, available: 0, refused: 1 });
    for (let i = 0; i < 8; i++) budget.release();
    assert.equal(budget.snapshot().inUse, 0);
    assert.equal(DescriptorBudget.create(10, 64).capacity, 0);
  });

  test("holdFor gives one back once, when the socket closes", () => {
    const budget = DescriptorBudget.create(3, 0);
    const listeners: (() => void)[] = [];
    const socket = { once: (_: "close", f: () => void) => listeners.push(f) };
    assert.equal(budget.holdFor(socket), true);
    assert.equal(budget.snapshot().inUse, 1);
    for (const f of listeners) f();
    assert.equal(budget.snapshot().inUse, 0);
  });

  test("worker threads that attach the shared buffer take exactly the capacity between them, racing", async () => {
    const budget = DescriptorBudget.create(20_064, 64);
    const url = pathToFileURL(path.join(ROOT, "src/host/orchestrator/descriptors.ts")).href;
    // Each worker takes until refused, then gives back and takes again half as many, to race both ways.
    const source = `
      const { workerData, parentPort } = await import("node:worker_threads");
      const { DescriptorBudget } = await import(${JSON.stringify(url)});
      const budget = DescriptorBudget.attach(workerData);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      let taken = 0;
      while (budget.tryTake()) taken++;
      parentPort.postMessage(taken);`;
    const run = () =>
      new Promise<number>((resolve, reject) => {
        const worker = new Worker(source, { eval: true, workerData: budget.shared, type: "module" } as ConstructorParameters<typeof Worker>[1]);
        worker.once("message", resolve);
        worker.once("error", reject);
      });
    const counts = await Promise.all([run(), run(), run()]);
    assert.equal(counts.reduce((a, b) => a + b, 0), 20_000, `taken: ${counts.join(" + ")}`);
    assert.equal(budget.snapshot().inUse, 20_000);
    assert.ok(budget.snapshot().refused >= 3);
    assert.throws(() => DescriptorBudget.attach(new SharedArrayBuffer(24)), /DescriptorBudget\.attach needs/);
  });

  test("the limit is RLIMIT_NOFILE's soft limit from /proc/self/limits", () => {
    const text = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            400                  20000                files\n";
    assert.equal(nofileLimit(text), 400);
    assert.equal(nofileLimit("Max open files            unlimited            unlimited            files\n"), 2 ** 30);
    assert.equal(nofileLimit("nothing here"), 1024);
    assert.ok(nofileLimit() > 0);
  });
});

describe("rate-limited refusal events", () => {
  const setup = (summaryEveryMs = 60_000) => {
    const lines: [string, Record<string, unknown>][] = [];
    let now = 0;
    const events = new RateLimitedEvents({ emit: (event, fields = {}) => void lines.push([event, fields]) }, "tls-refused", "tls-refused-suppressed", { perSecond: 1, burst: 50, summaryEveryMs, top: 3 }, () => now);
    return { lines, events, advance: (ms: number) => (now += ms) };
  };

  test("a burst is logged in full up to its size, then one a second; the rest is summarised with the peers that caused most", () => {
    const { lines, events, advance } = setup();
    for (let i = 0; i < 50; i++) events.emit("198.51.100.1", { code: "X" });
    for (const [peer, n] of [["10.0.0.1", 30], ["10.0.0.2", 20], ["10.0.0.3", 10], ["10.0.0.4", 5]] as const) for (let i = 0; i < n; i++) events.emit(peer, {});
    assert.equal(lines.length, 50);
    assert.ok(lines.every(([event, f]) => event === "tls-refused" && f.peer === "198.51.100.1" && f.code === "X"));
    advance(3000);
    for (let i = 0; i < 10; i++) events.emit("10.0.0.9", {});
    assert.equal(lines.length, 53);
    events.flush();
    const [event, summary] = lines.at(-1)!;
    assert.equal(event, "tls-refused-suppressed");
    assert.equal(summary.suppressed, 65 + 7);
    assert.deepEqual(summary.top, [
      { peer: "10.0.0.1", count: 30 },
      { peer: "10.0.0.2", count: 20 },
      { peer: "10.0.0.3", count: 10 },
    ]);
    assert.equal(summary.peer, "10.0.0.1");
    assert.equal(summary.fromOtherPeers, 5 + 7);
    // Nothing left out since: no summary.
    events.flush();
    assert.equal(lines.length, 54);
  });

  test("the summary comes by itself once per interval", async () => {
    const { lines, events } = setup(50);
    for (let i = 0; i < 60; i++) events.emit("192.0.2.7", {});
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      lines.filter(([e]) => e === "tls-refused-suppressed").map(([, f]) => [f.suppressed, f.peer]),
      [[10, "192.0.2.7"]],
    );
  });
});

describe("error bodies are short whatever the error carries", () => {
  const bytes = (body: unknown) => Buffer.byteLength(JSON.stringify(body));

  test("a long message is cut and says so; many problems are cut to the limit, the last saying how many more", () => {
    const long = new TsukiError("IMAGE_MANIFEST", `manifest.${"k".repeat(5_000_000)} is not a manifest key`, [], Array.from({ length: 100_000 }, (_, i) => ({ code: "ERR_IMAGE_MANIFEST", message: `manifest.${String(i).repeat(200)} is not a manifest key` })));
    const { status, body } = errorBody(long);
    assert.equal(status, 422);
    assert.ok(bytes(body) < 12 * 1024, `${bytes(body)} bytes`);
    assert.match(body.error.message, /^manifest\.kkkk.*… \(\d+ more characters\)$/);
    assert.equal(body.error.problems.length, ERROR_LIMITS.problems);
    assert.equal(body.error.problems.at(-1)!.message, `… and ${100_000 - ERROR_LIMITS.problems + 1} more problems (only the first ${ERROR_LIMITS.problems - 1} are listed)`);
    assert.equal(body.error.code, "ERR_IMAGE_MANIFEST");
  });

  test("the cap counts bytes as encoded: control characters and non-ASCII do not slip past it", () => {
    for (const filler of ["\u0001", "€", "😀"]) {
      const { body } = errorBody(new DaemonError("REQUEST_VALUE", filler.repeat(100_000)));
      assert.ok(Buffer.byteLength(JSON.stringify(body.error.message)) <= ERROR_LIMITS.messageBytes + 2, filler);
      assert.ok(!/[\ud800-\udbff]…/.test(body.error.message), "no half surrogate pair");
    }
    const { status, body } = errorBody(new Error("x".repeat(1_000_000)));
    assert.equal(status, 500);
    assert.ok(bytes(body) < 3 * 1024);
    // Short ones pass untouched.
    assert.equal(errorBody(new DaemonError("NOT_FOUND", "no unikernel named \"web\"")).body.error.message, 'no unikernel named "web"');
  });
});

describe("request checks", () => {
  test("a malformed percent-encoding is ERR_REQUEST_MALFORMED naming the segment; a good one is decoded", () => {
    assert.equal(decodeSegment("a%2Fb%20c"), "a/b c");
    assert.throws(() => decodeSegment("web%zz"), code("ERR_REQUEST_MALFORMED", /the path segment "web%zz" is not valid percent-encoding/));
    assert.throws(() => decodeSegment("%E0%A4%A"), code("ERR_REQUEST_MALFORMED"));
  });

  test("nesting is counted without recursion: the limit passes, one more level does not, even a million deep", () => {
    const nest = (levels: number) => {
      let v: unknown = 1;
      for (let i = 1; i < levels; i++) v = i % 2 ? [v] : { a: v };
      return { args: v };
    };
    checkJsonDepth(nest(MAX_JSON_DEPTH));
    assert.throws(() => checkJsonDepth(nest(MAX_JSON_DEPTH + 1)), code("ERR_REQUEST_MALFORMED", /nests objects and arrays 33 or more levels deep \(at args/));
    const deep = JSON.parse(`{"name":"x","args":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`);
    assert.throws(() => checkJsonDepth(deep), code("ERR_REQUEST_MALFORMED", /at args\[0\]\[0\]/));
    checkJsonDepth({ wide: Array.from({ length: 100_000 }, () => ({ a: [1] })) });
  });
});
