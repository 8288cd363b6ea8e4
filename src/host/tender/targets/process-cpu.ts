/**
 * @module host/tender/targets/process-cpu
 * CPU time of a process-target unikernel, read by the tender from /proc rather than asked of the
 * sandboxed child (whose answers are untrusted): the user and system time of its bubblewrap and
 * every process under it (`/proc/PID/stat` fields utime, stime, cutime and cstime, in clock
 * ticks; the tree from `/proc/PID/task/PID/children`). Linux only; undefined elsewhere or once
 * the process is gone. Resolution is one clock tick (10 ms at the usual 100 Hz).
 */

import { readFileSync } from "node:fs";

/** Clock ticks per second (sysconf(_SC_CLK_TCK)): 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;
/** A process tree deeper or wider than this is not a sandbox of ours: stop counting. */
const MAX_PROCESSES = 64;

/** User + system CPU time of `pid` and its descendants, in ms; undefined if `pid` cannot be read. */
export function processTreeCpuMs(pid: number): number | undefined {
  const pids = [pid];
  let ticks = 0;
  for (let i = 0; i < pids.length && i < MAX_PROCESSES; i++) {
    const p = pids[i]!;
    const own = statTicks(p);
    if (own === undefined) {
      if (i === 0) return undefined;
      continue;
    }
    ticks += own;
    try {
      const children = readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim();
      if (children !== "") for (const child of children.split(/\s+/)) pids.push(Number(child));
    } catch {
      // gone meanwhile
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** utime + stime + cutime + cstime of one process, in ticks. */
function statTicks(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields are counted after it.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14–17.
  const sum = [11, 12, 13, 14].reduce((total, i) => total + Number(fields[i]), 0);
  return Number.isFinite(sum) ? sum : undefined;
}
