/**
 * Floods, as a hostile tenant found them (issue 14), each on every target where it means
 * something: console lines, one huge console line, a reader of the tender's output that never
 * reads, millions of timers, many intervals, connections accepted and never read while a client
 * sends, and the hypercall function called in a loop with wrong arguments.
 *
 * Each runs in a tender of its own process (runner.ts) with a neighbour unikernel beside it, and
 * holds the bounds: the tender's peak RSS (VmHWM) is at most --mem + 64 MiB over an idle
 * guest's measured the same way; the hostile unikernel is stopped with a reason where it should
 * be; the tender answers at the end and the neighbour answers every request during the flood.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { buildImage } from "../../src/host/build/build.ts";
import type { TargetName } from "../../src/host/tender/targets/index.ts";
import { helloHttpImage } from "../host/orchestrator/harness.ts";
import { paced, timedGet } from "../host/orchestrator/hostile.ts";
import { processTargetUnavailable, stopChild, tempDir, unikernelDir } from "../helpers.ts";
import type { RunnerConfig } from "./runner.ts";

const RUNNER = path.join(import.meta.dirname, "runner.ts");
const SENDER = path.join(import.meta.dirname, "sender.ts");
const NODE_FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];
const RUN_MS = 3000;
const MIB = 2 ** 20;

const tick = "await new Promise((r) => setTimeout(r, 0));";
const raw = `const raw = globalThis[Symbol.for("tsuki.hypercall")];`;
const body = (start: string) => `import { unikernel, listener } from "tsuki";\nexport default unikernel({ devices: { web: listener({ optional: true }) }, async start({ web }) {\n${start}\n} });\n`;

interface Flood {
  readonly source: string;
  readonly memoryMb: number;
  /** How long it floods before its figures are taken (RUN_MS). */
  readonly runMs?: number;
  /** Its console limits; the defaults when absent. */
  readonly console?: { rate: number; burst: number };
  /** Where the tender's stdout goes: read by the test, or into a process that never reads. */
  readonly stdout?: "read" | "stall";
  /** Connections that send and are never read, to the hostile's `web`. */
  readonly senders?: number;
  /** Why it means nothing on a target (a skip reason). */
  readonly skip?: Partial<Record<TargetName, string>>;
  /** A known miss on a target, still run and reported (node:test's todo): why, and the issue that holds it open. */
  readonly todo?: Partial<Record<TargetName, string>>;
  /** What must hold of the hostile as it ended (or after RUN_MS) and of what the tender counted. */
  readonly check: (r: RunResult) => void;
}

interface RunResult {
  readonly peakMiB: Record<string, number>;
  readonly hostile: { kind: string; reason: string } | null;
  readonly neighbour: unknown;
  readonly counts: { lines: number; droppedRate: number; droppedBacklog: number; truncated: number };
  readonly rejected: Record<string, number>;
}

const running = (r: RunResult) => assert.equal(r.hostile, null, `the hostile ended: ${JSON.stringify(r.hostile)}`);
const NO_WALL = "the unix target promises no heap limit: a guest's memory is the tender's";

const FLOODS: Record<string, Flood> = {
  "many console lines": {
    source: `for (;;) { for (let i = 0; i < 20000; i++) console.log("flood line", i); ${tick} }`,
    memoryMb: 64,
    // Limits well under what any target writes in a flood (tens of thousands of lines a second).
    console: { rate: 5000, burst: 10_000 },
    check: (r) => {
      running(r);
      assert.ok(r.counts.droppedRate > 0, JSON.stringify(r.counts));
      assert.ok(r.counts.lines + r.counts.droppedBacklog <= 10_000 + 5000 * (RUN_MS / 1000 + 1), JSON.stringify(r.counts));
    },
  },
  "one huge console line": {
    source: `${raw} const chunk = new Uint8Array(65536).fill(120);
      for (let i = 0; i < 4800; i++) { raw("console.write", 1, chunk); if (i % 200 === 199) ${tick} }
      raw("console.write", 1, new Uint8Array([10]));
      console.log("y".repeat(16 * 2 ** 20));
      setInterval(() => {}, 1000);`,
    memoryMb: 128,
    // 316 MiB through the process target's channel take a while.
    runMs: 8000,
    check: (r) => {
      running(r);
      assert.equal(r.counts.truncated, 2, JSON.stringify(r.counts));
    },
  },
  "a reader of the tender's output that never reads": {
    source: `for (;;) { for (let i = 0; i < 20000; i++) console.log("flood line", i); ${tick} }`,
    memoryMb: 64,
    stdout: "stall",
    check: (r) => {
      running(r);
      assert.ok(r.counts.droppedBacklog > 0, JSON.stringify(r.counts));
    },
  },
  "millions of timers": {
    // 5,000 a turn: on the process target each reads the clock across the channel, and a turn has a second.
    source: `for (let t = 0; t < 400; t++) { for (let i = 0; i < 5000; i++) (i % 2 ? setInterval : setTimeout)(() => {}, 1e9); ${tick} }`,
    memoryMb: 64,
    runMs: 15_000,
    skip: { unix: NO_WALL },
    // Refused at the runtime's bound for 64 MiB, before its tables outgrow the heap.
    check: (r) => assert.match(r.hostile?.reason ?? "", /^aborted: uncaught RangeError: set(Timeout|Interval): 65536 timers are pending, the most a unikernel may have with --mem 64M/),
  },
  "many intervals of 1 ms": {
    source: `let n = 0; for (let t = 0; t < 10; t++) { for (let i = 0; i < 2000; i++) setInterval(() => { n++; }, 1); ${tick} }`,
    memoryMb: 64,
    check: running,
  },
  "connections accepted and never read while their clients send": {
    source: `const held = []; for await (const c of web) held.push(c);`,
    memoryMb: 64,
    // 40 MiB: what the guest runtime buffers for them (1 MiB each) before it pauses them all.
    senders: 40,
    skip: { unix: NO_WALL },
    check: running,
  },
  "more such connections than the guest's memory holds": {
    source: `const held = []; for await (const c of web) held.push(c);`,
    memoryMb: 64,
    senders: 200,
    skip: { unix: NO_WALL },
    // Issue 14 (open): the guest's 64 MiB plus the tender's own garbage ArrayBuffers of the data it
    // copied in (V8 collects them when about 64 MiB of external memory has piled up) peaks at
    // 119-132 MiB over idle, so the bound of 128 is missed by up to 4 MiB about half the time.
    todo: { isolate: "known miss by up to 4 MiB over --mem + 64 MiB: the tender's garbage buffers are collected late (issue 14)" },
    check: (r) => assert.equal(r.hostile?.kind, "out-of-memory", JSON.stringify(r.hostile)),
  },
  "the hypercall function called in a loop with wrong arguments": {
    source: `${raw}
      const bad = [() => raw(42), () => raw("nope"), () => raw("console.write", "x", 5), () => raw("stream.write", 9999, new Uint8Array(1)),
        () => raw("timer.arm", -1), () => raw("random.fill", 1e9), () => raw("life.exit", 999), () => raw("console.write", 3, new Uint8Array(1))];
      for (;;) { for (let i = 0; i < 2000; i++) bad[i % bad.length](); ${tick} }`,
    memoryMb: 64,
    check: (r) => {
      running(r);
      const refused = Object.values(r.rejected).reduce((a, b) => a + b, 0);
      assert.ok(refused >= 10_000, `${refused} refused`);
      assert.deepEqual(Object.keys(r.rejected).sort(), ["EBADF", "EINVAL", "ENOSYS"]);
    },
  },
};

let files: string;
let neighbourImage: string;
const images = new Map<string, Promise<string>>();
function imageOf(source: string): Promise<string> {
  if (!images.has(source)) images.set(source, buildImage(unikernelDir({ "src/main.ts": body(source) }, "hostile"), { out: path.join(files, `h${images.size}.tsuki`), check: false }).then((b) => b.image));
  return images.get(source)!;
}

before(async () => {
  files = tempDir("tsuki-floods-");
  neighbourImage = path.join(files, "hello.tsuki");
  writeFileSync(neighbourImage, await helloHttpImage());
});

const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) await stopChild(c);
});

/** Runs a tender with the hostile `source` beside a neighbour; the neighbour is asked every 50 ms meanwhile. */
async function run(target: TargetName, flood: Pick<Flood, "source" | "memoryMb" | "stdout" | "senders" | "runMs" | "console">): Promise<{ result: RunResult; hwm: number; answered: number }> {
  const runMs = flood.runMs ?? RUN_MS;
  const config: RunnerConfig = { target, neighbour: neighbourImage, hostile: await imageOf(flood.source), memoryMb: flood.memoryMb, runMs, ...(flood.console ? { console: flood.console } : {}), ...(flood.senders ? { bindings: ["web=tcp://127.0.0.1:0"] } : {}) };
  let stall: ChildProcess | undefined;
  if (flood.stdout === "stall") {
    // Reads nothing, ever: the pipe fills, and then every write of the tender's waits.
    stall = spawn("sleep", ["3600"], { stdio: ["pipe", "ignore", "ignore"] });
    children.push(stall);
  }
  const child = spawn(process.execPath, [...NODE_FLAGS, RUNNER, JSON.stringify(config)], { stdio: ["pipe", stall ? stall.stdin! : "pipe", "pipe", "pipe"] });
  children.push(child);
  child.stdout?.resume();
  let errors = "";
  child.stderr!.setEncoding("utf8").on("data", (t: string) => (errors = (errors + t).slice(-4000)));
  const said: Record<string, unknown>[] = [];
  let partial = "";
  (child.stdio[3] as NodeJS.ReadableStream).setEncoding("utf8");
  (child.stdio[3] as NodeJS.ReadableStream).on("data", (t: string) => {
    const lines = (partial + t).split("\n");
    partial = lines.pop()!;
    for (const l of lines) said.push(JSON.parse(l) as Record<string, unknown>);
  });
  const next = async (key: string) => {
    for (;;) {
      const found = said.find((m) => key in m);
      if (found) return found;
      if (child.exitCode !== null) throw new Error(`the tender ended (${child.exitCode}): ${errors}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const ready = await next("ready");
  let sender: ChildProcess | undefined;
  if (flood.senders) {
    sender = spawn(process.execPath, [...NODE_FLAGS, SENDER, String((ready.addresses as Record<string, number>).web), String(flood.senders)], { stdio: ["pipe", "pipe", "inherit"] });
    children.push(sender);
  }
  const port = ready.port as number;
  const answeredDuring = paced(runMs - 500, 50, () => timedGet({ port }));
  const result = (await next("hostile")) as unknown as RunResult;
  const answered = (await answeredDuring).length;
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${ready.pid as number}/status`, "utf8"))![1]) * 1024;
  // The tender and its neighbour are still there, and answer.
  await timedGet({ port });
  assert.equal(result.neighbour, null, "the neighbour is still running");
  if (sender) await stopChild(sender);
  child.stdin!.end("exit\n");
  await new Promise((r) => child.once("exit", r));
  if (stall) await stopChild(stall);
  return { result, hwm, answered };
}

const unavailable = await processTargetUnavailable();

for (const target of ["isolate", "process", "unix"] as const) {
  describe(`target ${target}: floods`, { skip: target === "process" ? unavailable : undefined }, () => {
    let baseline = 0;
    before(async () => {
      baseline = (await run(target, { source: "setInterval(() => {}, 1000);", memoryMb: 64 })).hwm;
    });

    for (const [what, flood] of Object.entries(FLOODS)) {
      test(what, { skip: flood.skip?.[target], todo: flood.todo?.[target], timeout: 120_000 }, async (t) => {
        const { result, hwm, answered } = await run(target, flood);
        t.diagnostic(`VmHWM ${(hwm / MIB).toFixed(1)} MiB, idle ${(baseline / MIB).toFixed(1)} MiB; neighbour answered ${answered}; hostile ${JSON.stringify(result.hostile)}; console ${JSON.stringify(result.counts)}; peaks (MiB) ${JSON.stringify(result.peakMiB)}`);
        assert.ok(hwm - baseline <= (flood.memoryMb + 64) * MIB, `the tender peaked ${((hwm - baseline) / MIB).toFixed(1)} MiB over idle, more than --mem ${flood.memoryMb}M + 64 MiB`);
        // Asked every 50 ms, one at a time: it answers throughout (how fast is the soak test's business).
        assert.ok(answered >= 5, `the neighbour answered ${answered} requests`);
        flood.check(result);
      });
    }
  });
}
