/**
 * The pieces that bound what a peer can make tsukid spend, without a daemon: the descriptor
 * budget (exact under contention from worker threads sharing it, never below zero, the limit read
 * from /proc/self/limits), the rate limiter of refusal events (a burst, then a steady rate, the
 * rest summarised by peer), how addresses are grouped (IPv6 by /64), short error bodies whatever
 * the error carries, the request checks (percent-encoding, nesting), and the daemon's cap flags.
 */

import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { DescriptorBudget, nofileLimit } from "../../../src/host/orchestrator/supervision/descriptors.ts";
import { RateLimitedEvents } from "../../../src/host/orchestrator/server/event-limiter.ts";
import { addressKey } from "../../../src/host/orchestrator/server/api-connections.ts";
import { DaemonError, ERROR_LIMITS, errorBody } from "../../../src/host/orchestrator/api/errors.ts";
import { TsukiError } from "../../../src/host/common/errors.ts";
import { MAX_JSON_DEPTH, checkJsonDepth, decodeSegment } from "../../../src/host/orchestrator/server/request-checks.ts";
import { limitFlags } from "../../../src/cli/support/daemon-limits.ts";
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
    const url = pathToFileURL(path.join(ROOT, "src/host/orchestrator/supervision/descriptors.ts")).href;
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

test("peers are grouped by IPv4 address, by IPv6 /64, and IPv4-mapped addresses as IPv4", () => {
  assert.equal(addressKey("192.0.2.1"), "192.0.2.1");
  assert.equal(addressKey("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(addressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:db8:1:2::9"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:0db8:0001:0002:ffff::1"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
  assert.equal(addressKey("::1"), "0:0:0:0::/64");
  assert.equal(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
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

describe("tsuki daemon's cap flags", () => {
  test("defaults without flags; values given are read; TIME has a unit", () => {
    const caps = limitFlags({ "max-unauthenticated": "20", "max-unauthenticated-per-address": "10", "handshake-timeout": "1500ms", "idle-timeout": "2m" }, true);
    assert.equal(caps.maxUnauthenticated, 20);
    assert.equal(caps.maxUnauthenticatedPerAddress, 10);
    assert.equal(caps.handshakeTimeoutMs, 1500);
    assert.equal(caps.idleTimeoutMs, 120_000);
    assert.equal(caps.maxAuthenticated, 1024);
    // A default larger than the total given is lowered to fit it.
    assert.equal(limitFlags({ "max-unauthenticated": "4" }, true).maxUnauthenticatedPerAddress, 4);
  });

  test("a bad value is ERR_FLAG_VALUE saying what to write", () => {
    const bad: [Parameters<typeof limitFlags>[0], boolean, RegExp][] = [
      [{ "max-unauthenticated": "0" }, true, /--max-unauthenticated 0 is out of range: give 1–1000000/],
      [{ "max-authenticated": "lots" }, true, /--max-authenticated "lots" is not a whole number/],
      [{ "handshake-timeout": "10" }, true, /--handshake-timeout "10" is not a duration: write e\.g\. --handshake-timeout 10s/],
      [{ "handshake-timeout": "20m" }, true, /--handshake-timeout 20m is out of range/],
      [{ "max-unauthenticated": "8", "max-unauthenticated-per-address": "9" }, true, /--max-unauthenticated-per-address 9 is larger than --max-unauthenticated 8, so it could never apply/],
      [{ "max-tenant-connections": "8" }, false, /--max-tenant-connections applies to the remote API: give --listen/],
    ];
    for (const [values, remote, message] of bad) assert.throws(() => limitFlags(values, remote), code("ERR_FLAG_VALUE", message));
    assert.equal(limitFlags({ "max-local-connections": "8" }, false).maxLocalConnections, 8);
  });
});
