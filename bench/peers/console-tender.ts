/**
 * One tender running one console-writing guest, for `npm run bench:console`: boots the image on
 * the target with the console limits given, its console on this process's stdout and stderr as
 * `tsuki run` prints it (the parent points them at /dev/null), waits `ms`, and prints one JSON
 * line on fd 3, for the `ms` after a second's warm-up (a flood's burst is spent by then): the
 * lines and bytes that passed, what was dropped, the wall time, this process's
 * CPU time (the tender's; a process-target guest runs in a child of its own) and the guest's CPU
 * time as its target counts it.
 *
 *   console-tender.ts IMAGE TARGET MS RATE BURST
 */

import { writeSync } from "node:fs";
import { loadImage } from "../../src/host/image/image.ts";
import { terminalSink } from "../../src/host/tender/console-output.ts";
import { TARGETS, type TargetName } from "../../src/host/tender/targets/index.ts";
import { drainProcessTarget, warmProcessTarget } from "../../src/host/tender/targets/process.ts";
import { Tender } from "../../src/host/tender/tender.ts";

const [image, target, ms, rate, burst] = process.argv.slice(2) as [string, TargetName, string, string, string];
if (target === "process") await warmProcessTarget(64);
const tender = new Tender({ target: TARGETS[target], console: terminalSink() });
const u = await tender.boot(loadImage(image), { memoryMb: 64, console: { rate: Number(rate), burst: Number(burst) } });
await new Promise((r) => setTimeout(r, 1000));
const cpu0 = process.cpuUsage();
const guest0 = u.cpuTime()?.cpuMs ?? 0;
const c0 = u.consoleCounts();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, Number(ms)));
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const c = u.consoleCounts();
const guestMs = (u.cpuTime()?.cpuMs ?? 0) - guest0;
writeSync(3, `${JSON.stringify({ wallMs, tenderMs: (cpu.user + cpu.system) / 1000, guestMs, lines: c.lines - c0.lines, bytes: c.bytes - c0.bytes, dropped: c.droppedRate + c.droppedBacklog - c0.droppedRate - c0.droppedBacklog })}\n`);
await tender.stopAll();
drainProcessTarget();
process.exit(0);
