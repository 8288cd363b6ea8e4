/**
 * A tender under a flood, run as a process of its own so that its peak memory (VmHWM) is its own:
 * one Tender on the target given, printing consoles as `tsuki run` does (the same bounded
 * terminal output, on this process's stdout and stderr), with two unikernels in it: a neighbour
 * (hello-http on a port of its own) and the hostile image under test.
 *
 * Driven over fd 3 (what it says, one JSON object a line) and stdin (a line tells it to end):
 *   argv[2] = { target, neighbour, hostile, memoryMb, cpuMs, console?, bindings?, args?, runMs }
 *   → { ready, pid, port, addresses }        once both are running
 *   → { hostile, neighbour, counts, rejected, cpuMs }   when the hostile ended, or after runMs
 *   ← any line on stdin: stop both and exit
 */

import { once } from "node:events";
import { writeSync } from "node:fs";
import { loadImage } from "../../src/host/image/image.ts";
import { parseBinding } from "../../src/host/spec/bindings.ts";
import { terminalSink } from "../../src/host/tender/console-output.ts";
import { TARGETS, type TargetName } from "../../src/host/tender/targets/index.ts";
import { drainProcessTarget } from "../../src/host/tender/targets/process.ts";
import { Tender } from "../../src/host/tender/tender.ts";

export interface RunnerConfig {
  readonly target: TargetName;
  readonly neighbour: string;
  readonly hostile: string;
  readonly memoryMb: number;
  readonly cpuMs?: number;
  readonly console?: { rate?: number; burst?: number };
  readonly bindings?: readonly string[];
  readonly args?: Record<string, unknown>;
  readonly runMs: number;
}

const config = JSON.parse(process.argv[2]!) as RunnerConfig;
const say = (message: object) => writeSync(3, `${JSON.stringify(message)}\n`);

const output = terminalSink();
const tender = new Tender({ target: TARGETS[config.target], console: output });
const neighbour = await tender.boot(loadImage(config.neighbour), { name: "neighbour", bindings: [parseBinding("web=tcp://127.0.0.1:0")], memoryMb: 32 });
const hostile = await tender.boot(loadImage(config.hostile), {
  name: "hostile",
  memoryMb: config.memoryMb,
  ...(config.cpuMs === undefined ? {} : { cpuMs: config.cpuMs }),
  ...(config.console === undefined ? {} : { console: config.console }),
  bindings: (config.bindings ?? []).map(parseBinding),
  args: config.args ?? {},
});
say({ ready: true, pid: process.pid, port: neighbour.addresses.web!.port, addresses: Object.fromEntries(Object.entries(hostile.addresses).map(([k, a]) => [k, a.port])) });

// The most of each kind of memory seen, sampled: what a peak was made of.
const peak = { heapUsed: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k]);
}, 20);
await Promise.race([hostile.exited, new Promise((resolve) => setTimeout(resolve, config.runMs))]);
clearInterval(sampler);
const cpu = process.cpuUsage();
const mib = (n: number) => Math.round(n / 2 ** 20);
say({ hostile: hostile.status ?? null, neighbour: neighbour.status ?? null, counts: hostile.consoleCounts(), rejected: Object.fromEntries(hostile.rejectedCalls), cpuMs: (cpu.user + cpu.system) / 1000, peakMiB: { heapUsed: mib(peak.heapUsed), external: mib(peak.external), arrayBuffers: mib(peak.arrayBuffers) } });

await once(process.stdin, "data");
await tender.stopAll();
drainProcessTarget();
process.exit(0);
