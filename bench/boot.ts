/**
 * `npm run bench:boot`: what a unikernel costs to boot and to keep, next to its peers, all measured
 * in the same run on this machine.
 *
 * - boot: the hello image's bytes in memory → `start` entered (image verified, isolate and context
 *   made, runtime installed, module evaluated, `start` called), p50/p99 over many boots in one
 *   tender process; next to a bare isolated-vm isolate with a context, and a bare `node -e 0`.
 * - memory: RSS per live, idle hello unikernel with 100 and 1,000 in one tender process, next to
 *   the same number of bare isolates with a context, and one bare Node process.
 *
 * - the web platform (issue 13): the same figures for an image that uses the web globals (it makes
 *   a Response and a URL in start), whose tender also runs the web script; hello does not.
 * - the process target (issue 6): boot with a spare process ready (the zygote: bubblewrap, Node
 *   and the addon already started behind every wall), the cold start of one sandboxed process,
 *   and RSS and PSS per unikernel process with 100 live at once, next to one bare Node process.
 *
 * Each memory figure comes from a fresh child process, so that one measurement's heap does not
 * inflate the next. Figures are printed with the ratios; the targets of issues 2 and 6 are checked last.
 */

import { spawnSync } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ivm from "isolated-vm";
import { buildImage } from "../src/host/build/build.ts";
import { readImage } from "../src/host/image/image.ts";
import { TARGETS, type Target, type TargetName } from "../src/host/tender/targets/index.ts";
import { type ProcessGuest, drainProcessTarget, launchOptions, processSandbox, processTarget, warmProcessTarget } from "../src/host/tender/targets/process.ts";
import { Sandboxed } from "../src/host/tender/targets/process-sandboxed.ts";
import { Tender } from "../src/host/tender/tender.ts";

const HELLO = path.join(import.meta.dirname, "../examples/hello");
const BOOTS = Number(process.env.BOOTS ?? 2000);
const FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];
// A garbage collector for settling memory figures, taken without --expose-gc, which would also put
// `gc` in every unikernel's global scope.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
setFlagsFromString("--no-expose-gc");
const quiet = { line() {} };

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
};
const rss = () => process.memoryUsage().rss;

async function helloBytes(): Promise<Uint8Array> {
  const built = await buildImage(HELLO, { out: path.join(HELLO, "dist/hello.tsuki") });
  return readFileSync(built.image);
}

/** Hello that touches the web: a Response and a URL in start, then the same wait. */
async function webBytes(): Promise<Uint8Array> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "tsuki-bench-")), "hello-web");
  mkdirSync(path.join(dir, "src"), { recursive: true });
  writeFileSync(
    path.join(dir, "src/main.ts"),
    `import { unikernel } from "tsuki";
export default unikernel({
  async start({ args }) {
    void new Response("hello").headers.get("content-type");
    void new URL("http://example.com/a?b").searchParams;
    await new Promise((resolve) => setTimeout(resolve, typeof args.wait === "number" ? args.wait : 100));
  },
});
`,
  );
  return readFileSync((await buildImage(dir)).image);
}

/** Boot time of the hello image: bytes → start entered. Each unikernel is stopped before the next boot. */
async function bootTimes(target: TargetName, bytes: Uint8Array, n: number): Promise<number[]> {
  const tender = new Tender({ target: TARGETS[target], console: quiet });
  const times: number[] = [];
  for (let i = 0; i < n + 50; i++) {
    const t0 = performance.now();
    const u = await tender.boot(readImage(bytes), { args: { wait: 60_000 } });
    const t = performance.now() - t0;
    if (i >= 50) times.push(t); // the first boots warm up the JIT and the runtime's code cache
    u.stop();
    await u.exited;
  }
  return times.sort((a, b) => a - b);
}

function bareIsolateTimes(n: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n + 50; i++) {
    const t0 = performance.now();
    const isolate = new ivm.Isolate({ memoryLimit: 128 });
    isolate.createContextSync();
    const t = performance.now() - t0;
    if (i >= 50) times.push(t);
    isolate.dispose();
  }
  return times.sort((a, b) => a - b);
}

function nodeProcessTimes(n: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

/** Child mode: keep `n` live things of `kind` and print the RSS per thing in bytes. */
async function memoryChild(kind: string, n: number): Promise<void> {
  const bytes = kind === "web" ? await webBytes() : await helloBytes();
  const tender = new Tender({ target: TARGETS.isolate, console: quiet });
  const keep: unknown[] = [];
  // Warm up what every kind shares (the runtime bundle, its code cache), then measure the baseline.
  (await tender.boot(readImage(bytes), { args: { wait: 60_000 } })).stop();
  await settle();
  const before = rss();
  for (let i = 0; i < n; i++) {
    if (kind === "tsuki" || kind === "web") keep.push(await tender.boot(readImage(bytes), { args: { wait: 600_000 } }));
    else {
      const isolate = new ivm.Isolate({ memoryLimit: 128 });
      keep.push([isolate, isolate.createContextSync()]);
    }
  }
  await settle();
  const live = kind === "tsuki" || kind === "web" ? tender.live.size : keep.length;
  process.stdout.write(JSON.stringify({ perUnit: (rss() - before) / n, live }));
  process.exit(0);
}

function childMemory(kind: string, n: number): { perUnit: number; live: number } {
  const r = spawnSync(process.execPath, [...FLAGS, import.meta.filename, "--memory", kind, String(n)], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`memory child ${kind} ${n} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function nodeProcessRss(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.memoryUsage().rss))"], { encoding: "utf8" });
  return Number(r.stdout);
}

/** Process target: boot times with a spare ready before each boot (its start is not counted). */
async function processBootTimes(bytes: Uint8Array, n: number): Promise<number[]> {
  const tender = new Tender({ target: TARGETS.process, console: quiet });
  const times: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    await warmProcessTarget();
    const t0 = performance.now();
    const u = await tender.boot(readImage(bytes), { args: { wait: 60_000 } });
    const t = performance.now() - t0;
    if (i >= 3) times.push(t);
    u.stop();
    await u.exited;
  }
  return times.sort((a, b) => a - b);
}

/** Process target: a sandboxed process from nothing to ready (bubblewrap, Node, the addon, every wall). */
async function processColdTimes(n: number): Promise<number[]> {
  const box = await processSandbox();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const child = new Sandboxed(box, launchOptions(128));
    await child.ready;
    times.push(performance.now() - t0);
    child.kill("measured");
  }
  return times.sort((a, b) => a - b);
}

/** The processes of one sandbox on the host: its bubblewrap and everything under it. */
function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    try {
      const children = readFileSync(`/proc/${all[i]}/task/${all[i]}/children`, "utf8").trim();
      if (children) all.push(...children.split(/\s+/).map(Number));
    } catch {}
  }
  return all;
}

const procField = (pid: number, file: string, field: string): number => {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/${file}`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
};

/** Process target: `n` hello unikernels live at once; RSS and PSS per unikernel (all its processes). */
async function processMemory(bytes: Uint8Array, n: number): Promise<{ live: number; rss: number; pss: number; bootAll: number }> {
  const guests: ProcessGuest[] = [];
  const target: Target = { ...processTarget, create: async (o) => { const g = (await processTarget.create(o)) as ProcessGuest; guests.push(g); return g; } };
  const tender = new Tender({ target, console: quiet });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => tender.boot(readImage(bytes), { args: { wait: 600_000 } })));
  const bootAll = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 500));
  let rss = 0;
  let pss = 0;
  for (const g of guests) {
    for (const pid of processTree(g.pid!)) {
      rss += procField(pid, "status", "VmRSS");
      pss += procField(pid, "smaps_rollup", "Pss");
    }
  }
  const live = tender.live.size;
  await tender.stopAll();
  return { live, rss: rss / n, pss: pss / n, bootAll };
}

const ms = (x: number) => `${x.toFixed(3)} ms`;
const mb = (x: number) => `${(x / 2 ** 20).toFixed(2)} MiB`;

async function main(): Promise<void> {
  const bytes = await helloBytes();
  console.log(`tsuki boot benchmark: Node ${process.version}, isolated-vm, ${BOOTS} boots per series\n`);
  console.log(`hello image: ${bytes.length} bytes (entry ${readImage(bytes).manifest.entry.size} bytes)`);

  const web = await webBytes();
  const isolate = await bootTimes("isolate", bytes, BOOTS);
  const isolateWeb = await bootTimes("isolate", web, BOOTS);
  const unix = await bootTimes("unix", bytes, Math.min(BOOTS, 500));
  const bare = bareIsolateTimes(BOOTS);
  const node = nodeProcessTimes(20);
  console.log("\nboot (image bytes → start entered)      p50          p99     vs bare isolate p50");
  const row = (name: string, t: number[]) => console.log(`  ${name.padEnd(36)} ${ms(pct(t, 50)).padStart(10)} ${ms(pct(t, 99)).padStart(12)}   ${(pct(t, 50) / pct(bare, 50)).toFixed(2)}×`);
  row("tsuki, isolate target", isolate);
  row("tsuki web (Response+URL), isolate", isolateWeb);
  row("tsuki, unix target", unix);
  row("bare isolated-vm isolate + context", bare);
  row("bare node -e 0 (process)", node);

  console.log("\nmemory: RSS per live idle unikernel      tsuki hello    bare isolate+context   ratio");
  const results: Record<number, number> = {};
  for (const n of [100, 1000]) {
    const t = childMemory("tsuki", n);
    const b = childMemory("isolate", n);
    if (t.live !== n) throw new Error(`only ${t.live} of ${n} unikernels stayed live`);
    results[n] = t.perUnit;
    console.log(`  ${String(n).padStart(5)} live                              ${mb(t.perUnit).padStart(11)}   ${mb(b.perUnit).padStart(20)}   ${(t.perUnit / b.perUnit).toFixed(2)}×`);
  }
  const webMemory = childMemory("web", 1000);
  const webPerUnit = webMemory.perUnit;
  console.log(`   1000 live, web (Response+URL made)  ${mb(webPerUnit).padStart(11)}   ${(webPerUnit / results[1000]!).toFixed(2)}× hello`);
  const nodeRss = nodeProcessRss();
  console.log(`  one bare node process: ${mb(nodeRss)} (${(nodeRss / results[1000]!).toFixed(0)}× a tsuki unikernel)`);

  console.log("\nprocess target (each unikernel in its own sandboxed process)");
  const processBoot = await processBootTimes(bytes, Number(process.env.PROCESS_BOOTS ?? 40));
  const cold = await processColdTimes(10);
  const isolateP50 = pct(isolate, 50);
  console.log(`  boot, spare ready (zygote)          p50 ${ms(pct(processBoot, 50))}  p99 ${ms(pct(processBoot, 99))}   ${(pct(processBoot, 50) / isolateP50).toFixed(1)}× the isolate target`);
  console.log(`  cold start of a sandboxed process   p50 ${ms(pct(cold, 50))}  p99 ${ms(pct(cold, 99))}   ${(pct(cold, 50) / pct(node, 50)).toFixed(2)}× bare node -e 0`);
  const mem = await processMemory(bytes, 100);
  drainProcessTarget();
  console.log(`  100 live at once (booted together in ${(mem.bootAll / 1000).toFixed(1)} s): ${mem.live} live`);
  console.log(`    RSS per unikernel ${mb(mem.rss)}, PSS ${mb(mem.pss)}; isolate target ${mb(results[1000]!)}; bare node process ${mb(nodeRss)} (RSS)`);

  const checks = [
    [`boot p50 ≤ 3 ms on the isolate target`, pct(isolate, 50) <= 3, ms(pct(isolate, 50))],
    [`≤ 1.5 MB RSS per idle hello unikernel with 1,000 live`, results[1000]! <= 1.5e6, `${(results[1000]! / 1e6).toFixed(2)} MB`],
    [`hello image ≤ 10 KB`, bytes.length <= 10_240, `${bytes.length} bytes`],
    [`web image boot p50 ≤ 1.5× hello's (issue 13)`, pct(isolateWeb, 50) <= 1.5 * pct(isolate, 50), `${(pct(isolateWeb, 50) / pct(isolate, 50)).toFixed(2)}×`],
    [`process target boot p50 ≤ 60 ms (spare ready)`, pct(processBoot, 50) <= 60, ms(pct(processBoot, 50))],
    [`≥ 100 process-target unikernels live at once`, mem.live >= 100, `${mem.live}`],
  ] as const;
  console.log("\ntargets (issues 2, 6 and 13)");
  for (const [what, ok, value] of checks) console.log(`  ${ok ? "met " : "MISSED"}  ${what}: ${value}`);
}

if (process.argv[2] === "--memory") await memoryChild(process.argv[3]!, Number(process.argv[4]));
else await main();
