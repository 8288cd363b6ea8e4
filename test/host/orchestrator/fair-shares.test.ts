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
import { BUSY_NICE, CpuShares, TENDER_THREAD_NICE, threadCpuMs } from "../../../src/host/orchestrator/supervision/cpu-shares.ts";
import type { DaemonError } from "../../../src/host/orchestrator/api/errors.ts";
import { EventLog } from "../../../src/host/orchestrator/store/event-log.ts";
import { UploadGate } from "../../../src/host/orchestrator/store/image-upload.ts";
import { RequestRates } from "../../../src/host/orchestrator/server/request-rate.ts";
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
  // A real thread, whose priority the kernel holds; its CPU time as the test says (on a busy
  // machine a spinning thread may not get half a core, and the test is of the decisions).
  const worker = new Worker(`require("node:worker_threads").parentPort.postMessage(Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").at(-1))); setInterval(() => {}, 60_000);`, { eval: true });
  try {
    const tid = await new Promise<number>((resolve) => worker.once("message", resolve));
    assert.ok(threadCpuMs(tid)! >= 0, "the kernel's figure can be read");
    let cpuMs = 0;
    const events = `${tempDir()}/events.log`;
    const shares = new CpuShares(new EventLog(events), () => cpuMs);
    const t0 = performance.now();
    shares.track("acme", tid, t0);
    // 400 ms of CPU in 500 ms: busy.
    cpuMs = 400;
    shares.sample(t0 + 500);
    assert.equal(getPriority(tid), BUSY_NICE);
    // 200 more in the next 500 ms: 40%, between the two thresholds, so it stays down.
    cpuMs = 600;
    shares.sample(t0 + 1000);
    assert.equal(getPriority(tid), BUSY_NICE);
    // 50 in 500 ms: calm again.
    cpuMs = 650;
    shares.sample(t0 + 1500);
    assert.equal(getPriority(tid), TENDER_THREAD_NICE);
    shares.close();
    const logged = readFileSync(events, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { event: string; tenant: string; nice: number; cpuShare: number });
    assert.deepEqual(logged.map((e) => [e.event, e.tenant, e.nice, e.cpuShare]), [["tender-thread-priority", "acme", BUSY_NICE, 0.8], ["tender-thread-priority", "acme", TENDER_THREAD_NICE, 0.1]]);
  } finally {
    await worker.terminate();
  }
});
