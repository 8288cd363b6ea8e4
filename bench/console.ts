/**
 * `npm run bench:console`: what a unikernel's console costs the tender (issue 14).
 *
 * - assembly: the tender's line assembly as it is and as it was before console limits
 *   (bench/peers/console-before.ts, commit 55b3a60), fed the same writes an honest chatty guest
 *   makes (one 40-byte console.log a write), alternating rounds; lines/s and MB/s, and the ratio.
 * - end to end: an honest chatty guest writing as fast as it can, its limits out of the way, on
 *   the isolate and process targets, alternating rounds; lines/s and MB/s that reach the output.
 * - flood, the tender's console work: a flood of lines replayed into the tender's console path
 *   (the hypercall validator, line assembly and limits, the terminal output to /dev/null) at a
 *   given rate, its clock advanced as the flood's would be, under the default limits (50,000
 *   lines/s, bursts of 100,000): the CPU it takes as a share of one core, for the writes of the
 *   isolate target (one write a line) and of the process target (runs of 64 KiB). This is the part
 *   the console limits bound; the target is 5 % of a core.
 * - flood, end to end: the chatty guest under the default limits, on each target: the tender
 *   process's CPU (on the isolate target the guest's turns run on the tender's thread and are in
 *   it; on the process target they are not, but each turn's frames are).
 *
 * Each end-to-end figure comes from a fresh tender process (bench/peers/console-tender.ts) whose
 * stdout and stderr are /dev/null. `ROUNDS` (default 3) and `MS` (default 3000) set the work.
 */

import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { Writable } from "node:stream";
import path from "node:path";
import { buildImage } from "../src/host/build/build.ts";
import { ConsoleLines } from "../src/host/tender/console.ts";
import { TerminalOutput } from "../src/host/tender/console-output.ts";
import { NO_DEVICES } from "../src/host/tender/devices/calls.ts";
import { makeHypercall } from "../src/host/tender/hypercalls.ts";
import { CONSOLE_DEFAULTS } from "../src/host/tender/console-limits.ts";
import { processSandbox } from "../src/host/tender/targets/process.ts";
import { tempDir, unikernelDir } from "../test/helpers.ts";
import { ConsoleLinesBefore } from "./peers/console-before.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const MS = Number(process.env.MS ?? 3000);
const FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];
const TENDER = path.join(import.meta.dirname, "peers/console-tender.ts");
const LINE = "GET /assets/site.css 200 1.2 ms 10.0.0.7"; // 40 bytes, an access log's line
const n = (x: number) => Math.round(x).toLocaleString("en-US");
const mb = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);

// ---- assembly ----
const writes = Array.from({ length: 200_000 }, (_, i) => new TextEncoder().encode(`${LINE.slice(0, 34)}${String(i).padStart(6, "0")}\n`));
const bytes = writes.reduce((a, w) => a + w.length - 1, 0);
function assemble(make: (sink: { line(): void }) => { write(stream: 1 | 2, b: Uint8Array): void; flush(): void }): number {
  let lines = 0;
  const c = make({ line: () => void lines++ });
  const t0 = performance.now();
  for (const w of writes) c.write(1, w);
  c.flush();
  const ms = performance.now() - t0;
  if (lines !== writes.length) throw new Error(`${lines} lines`);
  return ms;
}
const best = { before: Infinity, now: Infinity };
for (let r = 0; r < ROUNDS * 3; r++) {
  best.before = Math.min(best.before, assemble((sink) => new ConsoleLinesBefore("web", sink)));
  best.now = Math.min(best.now, assemble((sink) => new ConsoleLines("web", sink, { limits: { rate: 1_000_000, burst: 10_000_000 } })));
}
console.log(`console assembly, ${n(writes.length)} lines of 40 bytes, one write each (best of ${ROUNDS * 3}, alternating):`);
console.log(`  before (55b3a60)  ${n(writes.length / (best.before / 1000))} lines/s  ${mb(bytes, best.before)} MB/s`);
console.log(`  now               ${n(writes.length / (best.now / 1000))} lines/s  ${mb(bytes, best.now)} MB/s   now/before ×${(best.before / best.now).toFixed(2)}`);

// ---- flood replayed into the tender's console path ----
/** The CPU share of one core the tender's console path takes for `seconds` of a flood of `perSecond` lines written in `shape`. */
function replay(perSecond: number, shape: "line" | "run" | "newlines", seconds = 5): { share: number; passed: number } {
  // A sink that takes every write at once, encoded as a real one is: what /dev/null costs, less the syscall.
  const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });
  const out = new TerminalOutput({ stdout: discard(), stderr: discard() });
  let clock = 0;
  let passed = 0;
  const lines = new ConsoleLines("web", { line: (l) => (out.line(l) ? void passed++ : false) }, { now: () => clock });
  const hypercall = makeHypercall({ alive: () => true, exit() {}, abort() {}, console: (stream, b) => lines.write(stream, b), monotonic: () => clock, armTimer() {}, asset: () => undefined, rejected() {}, devices: NO_DEVICES });
  const line = new TextEncoder().encode("GET /assets/site.css 200 1.2 ms 00000000\n");
  const run = new Uint8Array(64 * 1024 - ((64 * 1024) % line.length));
  for (let at = 0; at < run.length; at += line.length) run.set(line, at);
  const newlines = new Uint8Array(64 * 1024).fill(0x0a);
  const write = shape === "line" ? line : shape === "run" ? run : newlines;
  const perWrite = shape === "line" ? 1 : shape === "run" ? run.length / line.length : newlines.length;
  const writesPerMs = perSecond / 1000 / perWrite;
  const cpu0 = process.cpuUsage();
  let owed = 0;
  for (let ms = 0; ms < seconds * 1000; ms++) {
    clock = ms;
    for (owed += writesPerMs; owed >= 1; owed--) hypercall("console.write", 1, write);
    if (ms % 10 === 9) out.flush();
  }
  lines.flush();
  out.flush();
  const cpu = process.cpuUsage(cpu0);
  return { share: (cpu.user + cpu.system) / 1000 / (seconds * 1000), passed };
}
console.log(`\nflood, the tender's console work (validator, assembly, limits, output to /dev/null) under the default limits, share of one core (best of ${ROUNDS}):`);
const SHAPES = { line: "40-byte lines, one a write (isolate)      ", run: "40-byte lines in 64 KiB runs (process)   ", newlines: "empty lines, 64 KiB of newlines a write   " } as const;
for (const [shape, rate] of [["line", 200_000], ["line", 1_000_000], ["run", 200_000], ["run", 1_000_000], ["newlines", 10_000_000]] as const) {
  const share = Math.min(...Array.from({ length: ROUNDS }, () => replay(rate, shape).share)) * 100;
  console.log(`  ${n(rate).padStart(10)} lines/s, ${SHAPES[shape]} ${share.toFixed(1).padStart(5)} %   ${share <= 5 ? "within" : "OVER"} the 5 % target`);
}

// ---- end to end and flood ----
const image = (await buildImage(unikernelDir({ "src/main.ts": `import { unikernel } from "tsuki";
export default unikernel({ async start() {
  for (let i = 0; ; i++) {
    for (let j = 0; j < 1000; j++) console.log("GET /assets/site.css 200 1.2 ms", String(i * 1000 + j).padStart(8, "0"));
    await new Promise((r) => setTimeout(r, 0));
  }
} });
` }, "chatty"), { out: path.join(tempDir("tsuki-bench-"), "chatty.tsuki") })).image;

interface Run { wallMs: number; tenderMs: number; guestMs: number; lines: number; bytes: number; dropped: number }
function run(target: string, rate: number, burst: number): Promise<Run> {
  const devnull = openSync("/dev/null", "w");
  const child = spawn(process.execPath, [...FLAGS, TENDER, image, target, String(MS), String(rate), String(burst)], { stdio: ["ignore", devnull, devnull, "pipe"] });
  let out = "";
  (child.stdio[3] as NodeJS.ReadableStream).setEncoding("utf8").on("data", (t: string) => (out += t));
  return new Promise((resolve, reject) => child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as Run) : reject(new Error(`the tender exited ${code}`)))));
}

const targets = ["isolate", ...((await processSandbox().then(() => true, () => false)) ? ["process"] : [])];
const honest: Record<string, Run[]> = {};
const flood: Record<string, Run[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const target of targets) {
    (honest[target] ??= []).push(await run(target, 1_000_000, 10_000_000));
    (flood[target] ??= []).push(await run(target, CONSOLE_DEFAULTS.rate, CONSOLE_DEFAULTS.burst));
  }
}
const median = (runs: Run[], f: (r: Run) => number) => runs.map(f).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
console.log(`\nend to end, an honest chatty guest writing as fast as it can, limits out of the way (median of ${ROUNDS}, ${MS} ms each, alternating):`);
for (const target of targets) {
  const runs = honest[target]!;
  console.log(`  ${target.padEnd(8)} ${n(median(runs, (x) => x.lines / (x.wallMs / 1000)))} lines/s  ${median(runs, (x) => Number(mb(x.bytes, x.wallMs)))} MB/s`);
}
if (targets.length === 2) console.log(`  process/isolate ×${(median(honest.process!, (x) => x.lines / x.wallMs) / median(honest.isolate!, (x) => x.lines / x.wallMs)).toFixed(2)}`);
console.log(`\nflood, end to end: the same guest under the default limits, after a second (its burst spent), the tender process's CPU as a share of one core (median of ${ROUNDS}):`);
for (const target of targets) {
  const runs = flood[target]!;
  console.log(`  ${target.padEnd(8)} tender process ${(median(runs, (x) => x.tenderMs / x.wallMs) * 100).toFixed(1)} % (${target === "isolate" ? "the guest's turns included" : "the guest's own process not included"}); ${n(median(runs, (x) => x.lines / (x.wallMs / 1000)))} lines/s passed, ${n(median(runs, (x) => x.dropped / (x.wallMs / 1000)))} lines/s dropped`);
}
