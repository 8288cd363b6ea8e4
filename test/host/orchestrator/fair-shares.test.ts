/**
 * What keeps one tenant from taking the host's CPU from another, unit by unit: the request rate
 * of a tenant's API calls (a token bucket per top-level tenant), the pace of its uploads, the
 * number of uploads under way, and the fair CPU share of tender threads (a real thread that
 * spins is moved to a lower priority, read back from the kernel, and back up once it calms).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { getPriority } from "node:os";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { BUSY_NICE, CpuShares, TENDER_THREAD_NICE, threadCpuMs } from "../../../src/host/orchestrator/cpu-shares.ts";
import type { DaemonError } from "../../../src/host/orchestrator/errors.ts";
import { EventLog } from "../../../src/host/orchestrator/event-log.ts";
import { UploadGate } from "../../../src/host/orchestrator/image-upload.ts";
import { RequestRates } from "../../../src/host/orchestrator/request-rate.ts";
import { tempDir } from "../../helpers.ts";

test("a tenant's requests: bursts of `burst`, then `perSecond`; sub-tenants share their top-level tenant's; others are apart", () => {
  const rates = new RequestRates(10, 20);
  for (let i = 0; i < 20; i++) rates.take(i % 2 ? "acme" : "acme/web", 0);
  assert.throws(() => rates.take("acme/web/deep", 0), (e: DaemonError & { retryAfterS: number }) => {
    assert.equal(e.code, "ERR_RATE_LIMITED");
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterS, 1);
    assert.match(e.message, /tenant "acme" \(with its sub-tenants\) may make 10 requests a second, in bursts of 20/);
    return true;
  });
  rates.take("globex", 0);
  // A tenth of a second later, one more; not two.
  rates.take("acme", 100);
  assert.throws(() => rates.take("acme", 100));
});

test("a tenant's uploads are paced to its bytes a second, together; the administrator's are not; at most so many at once", () => {
  const gate = new UploadGate(3, 2, 1000);
  assert.equal(gate.pace("acme", 1000, 0), 0, "a second's bytes at once");
  assert.equal(gate.pace("acme", 500, 0), 500, "then half a second for 500 more");
  assert.equal(gate.pace("acme", 0, 1000), 0, "a second on, owed and refilled");
  assert.equal(gate.pace("", 10 ** 9, 0), 0);
  const a = gate.enter("acme");
  gate.enter("acme");
  assert.throws(() => gate.enter("acme"), /tenant "acme" has 2 image uploads under way/);
  gate.enter("");
  assert.throws(() => gate.enter("globex"), /takes 3 image uploads at once/);
  a();
  a();
  gate.enter("globex");
});

const ROOT_SKIP = process.getuid?.() !== 0 && "moving a thread's priority back up needs root (CAP_SYS_NICE); CI runs as root";

test("a tender thread that keeps a core busy is moved behind the others, and back once it calms", { timeout: 30_000, skip: ROOT_SKIP }, async () => {
  const worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     const fs = require("node:fs");
     parentPort.postMessage(Number(fs.readlinkSync("/proc/thread-self").split("/").at(-1)));
     parentPort.on("message", (ms) => { const end = Date.now() + ms; while (Date.now() < end); parentPort.postMessage("spun"); });`,
    { eval: true },
  );
  try {
    const tid = await new Promise<number>((resolve) => worker.once("message", resolve));
    const events = `${tempDir()}/events.log`;
    const shares = new CpuShares(new EventLog(events));
    shares.track("acme", tid);
    assert.ok(threadCpuMs(tid)! >= 0);
    // Busy: most of a core for a while.
    const spun = new Promise((resolve) => worker.once("message", resolve));
    worker.postMessage(800);
    const t0 = performance.now();
    await spun;
    shares.sample(t0 + (performance.now() - t0));
    assert.equal(getPriority(tid), BUSY_NICE);
    // Calm: idle for a while.
    await new Promise((r) => setTimeout(r, 400));
    shares.sample();
    assert.equal(getPriority(tid), TENDER_THREAD_NICE);
    shares.close();
    const logged = readFileSync(events, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { event: string; tenant: string; nice: number });
    assert.deepEqual(logged.map((e) => [e.event, e.tenant, e.nice]), [["tender-thread-priority", "acme", BUSY_NICE], ["tender-thread-priority", "acme", TENDER_THREAD_NICE]]);
  } finally {
    await worker.terminate();
  }
});
