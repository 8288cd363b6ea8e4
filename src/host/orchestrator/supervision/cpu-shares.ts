/**
 * @module host/orchestrator/supervision/cpu-shares
 * Fair shares of the CPU between tenants' tender threads. Every thread starts at
 * `TENDER_THREAD_NICE` (below the control thread); one whose unikernels keep it busy for more than
 * `BUSY_SHARE` of a core over a sample is moved further down, to `BUSY_NICE`, and back once it has
 * calmed under `CALM_SHARE`. Linux then gives a waking neighbour's thread nearly all of a core it
 * shares with a spinning tenant's (the weights of nice 5 and 15 are 335 and 36), so a tenant that
 * uses a whole core for its own turns slows nobody else's: it gets what the others leave.
 *
 * CPU time is read from /proc/self/task/TID/stat every `SAMPLE_MS` on the control thread (a busy
 * tender thread could not read its own). Raising a thread's priority back needs CAP_SYS_NICE (or
 * an RLIMIT_NICE that allows it); without it a demoted thread stays down, and the event says so.
 */

import { readFileSync } from "node:fs";
import { setPriority } from "node:os";
import type { EventLog } from "../store/event-log.ts";

export const TENDER_THREAD_NICE = 5;
export const BUSY_NICE = 15;
export const SAMPLE_MS = 500;
/** Of one core, over a sample: above it a thread is busy, below `CALM_SHARE` calm again. */
export const BUSY_SHARE = 0.5;
export const CALM_SHARE = 0.25;
/** Clock ticks a second in /proc's times (USER_HZ, 100 on every Linux architecture Node runs on). */
const TICKS = 100;

interface Tracked {
  readonly tenant: string;
  readonly tid: number;
  cpuMs: number;
  at: number;
  busy: boolean;
}

export class CpuShares {
  #log: EventLog;
  #threads = new Map<number, Tracked>();
  #timer: NodeJS.Timeout | undefined;

  #cpuOf: (tid: number) => number | undefined;

  /** `cpuOf`: a thread's CPU time in ms (the kernel's, by default; tests give their own). */
  constructor(log: EventLog, cpuOf: (tid: number) => number | undefined = threadCpuMs) {
    this.#log = log;
    this.#cpuOf = cpuOf;
  }

  /** Watches a tender thread (its Linux thread id) from `now` on (`performance.now()`; tests pass their own clock, as to `sample`). */
  track(tenant: string, tid: number, now = performance.now()): void {
    const cpuMs = this.#cpuOf(tid);
    if (cpuMs === undefined) return;
    this.#threads.set(tid, { tenant, tid, cpuMs, at: now, busy: false });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.sample(), SAMPLE_MS);
      this.#timer.unref();
    }
  }

  untrack(tid: number): void {
    this.#threads.delete(tid);
    if (this.#threads.size === 0) this.close();
  }

  /** Reads each thread's CPU time and moves it down or up (called on the timer; tests call it). */
  sample(now = performance.now()): void {
    for (const t of [...this.#threads.values()]) {
      const cpuMs = this.#cpuOf(t.tid);
      if (cpuMs === undefined) {
        this.#threads.delete(t.tid);
        continue;
      }
      const share = (cpuMs - t.cpuMs) / Math.max(1, now - t.at);
      t.cpuMs = cpuMs;
      t.at = now;
      if (!t.busy && share > BUSY_SHARE) this.#move(t, true, share);
      else if (t.busy && share < CALM_SHARE) this.#move(t, false, share);
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #move(t: Tracked, busy: boolean, share: number): void {
    const nice = busy ? BUSY_NICE : TENDER_THREAD_NICE;
    try {
      setPriority(t.tid, nice);
      t.busy = busy;
      this.#log.emit("tender-thread-priority", { tenant: t.tenant, tid: t.tid, nice, cpuShare: Math.round(share * 100) / 100 });
    } catch (error) {
      // Moving up again needs CAP_SYS_NICE: without it the thread stays where it is, and says so once.
      t.busy = busy;
      this.#log.emit("tender-thread-priority", { tenant: t.tenant, tid: t.tid, nice: null, cpuShare: Math.round(share * 100) / 100, problem: (error as Error).message });
    }
  }
}

/** A thread's user and system time in ms, or undefined when it is gone. */
export function threadCpuMs(tid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // After "(comm)", which may hold spaces: state is field 3; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}
