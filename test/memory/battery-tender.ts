/**
 * The tender of one battery run (battery.test.ts), in a process of its own so that its peak RSS
 * is the guest's doing: boots the image at argv[4] on target argv[2] with --mem argv[3], waits
 * for it to end, boots the image at argv[5] (a guest that prints "alive") in the same tender,
 * and prints one JSON line: how each ended, what the first printed, the tender's peak RSS
 * (/proc/self/status VmHWM) and, on the process target, the largest peak of the sandboxed
 * processes its guests ran in (read from /proc before the tender kills one, and every 2 ms).
 */

import { readFileSync, readdirSync } from "node:fs";
import { readImage } from "../../src/host/image/image.ts";
import type { ConsoleLine } from "../../src/host/tender/console.ts";
import { TARGETS, type TargetName } from "../../src/host/tender/targets/index.ts";
import { Sandboxed } from "../../src/host/tender/targets/process-sandboxed.ts";
import { drainProcessTarget } from "../../src/host/tender/targets/process.ts";
import { Tender } from "../../src/host/tender/tender.ts";

const [target, memory, hostile, next] = process.argv.slice(2) as [TargetName, string, string, string];

const peakKiB = (pid: number | string): number => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);

/** The processes below `pid` (bubblewrap's child is the sandboxed Node). */
function descendants(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean).map(Number)) found.push(child, ...descendants(child));
    }
  } catch {}
  return found;
}

let sandboxPeakKiB = 0;
const watched = new Set<Sandboxed>();
const measure = (child: Sandboxed) => {
  if (child.pid === undefined) return;
  for (const pid of descendants(child.pid)) {
    try {
      sandboxPeakKiB = Math.max(sandboxPeakKiB, peakKiB(pid));
    } catch {}
  }
};
const attach = Sandboxed.prototype.attach;
Sandboxed.prototype.attach = function (this: Sandboxed, ...args: Parameters<typeof attach>) {
  watched.add(this);
  return attach.apply(this, args);
};
const kill = Sandboxed.prototype.kill;
Sandboxed.prototype.kill = function (this: Sandboxed, why: string) {
  measure(this);
  return kill.call(this, why);
};
const poll = setInterval(() => watched.forEach(measure), 2);

const lines: ConsoleLine[] = [];
const tender = new Tender({ target: TARGETS[target], console: { line: (l) => void lines.push(l) } });
const first = await tender.boot(readImage(readFileSync(hostile)), { name: "hostile", memoryMb: Number(memory), cpuMs: 60_000 });
const status = await first.exited;
const second = await tender.boot(readImage(readFileSync(next)), { name: "next", memoryMb: 16 });
const after = await second.exited;
clearInterval(poll);
process.stdout.write(
  `${JSON.stringify({
    status: status.kind,
    reason: status.reason,
    out: lines.filter((l) => l.unikernel === first.name).map((l) => l.text).slice(-5),
    second: after.kind,
    secondOut: lines.filter((l) => l.unikernel === second.name).map((l) => l.text),
    tenderPeakKiB: peakKiB("self"),
    sandboxPeakKiB,
  })}\n`,
);
drainProcessTarget();
process.exit(0);
