/**
 * @module host/orchestrator/supervision/thread-priority
 * Lowers the CPU priority of the calling thread alone (Linux schedules each thread by its own
 * nice value): tsukid's tender threads and its image-check thread run below the control thread,
 * so that what tenants make the daemon do never keeps it from answering.
 */

import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

export interface Lowered {
  /** The thread's id, or null where it cannot be known (not Linux). */
  readonly tid: number | null;
  /** Its nice value now, or null when it could not be changed. */
  readonly nice: number | null;
  /** Why not, when it could not be changed. */
  readonly problem: string | null;
}

/** Sets this thread's nice value to `nice`; says which thread it is and what came of it. */
export function lowerThisThread(nice: number): Lowered {
  let tid: number | null = null;
  try {
    // "PID/task/TID": Linux names each thread of a process by its own id.
    tid = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    setPriority(tid, nice);
    return { tid, nice: getPriority(tid), problem: null };
  } catch (error) {
    const why = tid === null ? `this host has no /proc/thread-self (not Linux?): ${(error as Error).message}` : (error as Error).message;
    return { tid, nice: null, problem: `its CPU priority is the control thread's: ${why}` };
  }
}
