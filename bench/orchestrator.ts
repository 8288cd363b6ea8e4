/**
 * `npm run bench:orchestrator`: what tsukid costs, next to the bare tender, all measured in the
 * same run on this machine (issue 7).
 *
 * - create → first answer: a `create` request for hello-http (image already stored, bound to a
 *   fresh port) until the unikernel has answered its first HTTP request, p50/p99 over CREATES
 *   creates (each destroyed before the next), after a warm-up. Over mutual TLS 1.3 (a tenant's
 *   client certificate, the daemon's --listen) or over the local Unix socket: `TRANSPORT` below
 *   (one line, or TRANSPORT=unix in the environment). Next to it, the same over the other
 *   transport, and the bare tender in this process (boot → first answer: no daemon, no API).
 * - memory: the daemon's RSS, PSS and private memory (/proc/PID/smaps_rollup) with 0, 1, 100 and
 *   1,000 idle hello unikernels on the isolate target, in one daemon (a fresh one, default flags),
 *   and the increment per unikernel; next to it the increment per unikernel of a bare tender
 *   process booting the same image, and a bare idle `node` with the same flags (the floor of any
 *   Node daemon). "The daemon's own memory" is computed three ways and printed with how.
 *
 * - a hostile tenant next to a neighbour: the neighbour's p99 and the administrator's socket,
 *   quiet and while the hostile tenant spins, floods, uploads and binds (orchestrator-hostile.ts;
 *   HOSTILE=0 skips it).
 *
 * Figures taken while other work runs on the machine are disturbed by it: read the ratios.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildImage } from "../src/host/build/build.ts";
import { readImage } from "../src/host/image/image.ts";
import { certPem, createCa, issueClient, issueServer, issueTenant, keyPem } from "../src/host/orchestrator/pki/certs.ts";
import { DaemonClient } from "../src/host/orchestrator/api/client.ts";
import { TARGETS } from "../src/host/tender/targets/index.ts";
import { Tender } from "../src/host/tender/tender.ts";
import { hostileTenantFigures } from "./orchestrator-hostile.ts";

type Transport = "mtls" | "unix";
/** The transport of the headline figure (the issue's target is over mutual TLS). */
const TRANSPORT: Transport = process.env.TRANSPORT === "unix" ? "unix" : "mtls";

const ROOT = path.resolve(import.meta.dirname, "..");
const NODE_FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];
const CREATES = Number(process.env.CREATES ?? 50);
const WARMUP = 5;
const COUNTS = (process.env.COUNTS ?? "0,1,100,1000").split(",").map(Number);
/** Ports the create → first answer series binds, one per create (a tenant's policy names them). */
const PORT_BASE = 18600;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const mib = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** The first answer of an HTTP server that has just been bound, on a connection of its own. */
function firstAnswer(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
  });
}

interface Daemon {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly socket: string;
  events(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts `tsuki daemon` on a fresh state directory with `extra` flags; resolves when it is ready. */
async function startDaemon(extra: string[] = []): Promise<Daemon> {
  const dir = mkdtempSync(path.join(tmpdir(), "tsuki-bench-"));
  const child = spawn(process.execPath, [...NODE_FLAGS, path.join(ROOT, "bin/tsuki.js"), "daemon", "--state", path.join(dir, "state"), ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (err += c));
  const events = () => out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  for (let waited = 0; !events().some((e) => e.event === "daemon-ready"); waited += 20) {
    if (child.exitCode !== null || waited > 30_000) throw new Error(`the daemon did not start: ${err}`);
    await sleep(20);
  }
  return {
    child,
    dir,
    socket: path.join(dir, "state", "tsukid.sock"),
    events,
    async stop() {
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A CA, the daemon's certificate for 127.0.0.1 and a tenant allowed the bench's ports, in files; the client's target. */
async function pki(dir: string, daemonPort: () => number) {
  const ca = await createCa("tsuki bench CA");
  const server = await issueServer({ cert: ca.cert, key: ca.keys.privateKey }, ["127.0.0.1"]);
  const policy = { unikernels: 100, memoryMb: 100 * 64, storageMb: 64, targets: ["isolate" as const], addresses: ["127.0.0.1"], ports: [{ first: PORT_BASE, last: PORT_BASE + 999 }], cpuMs: 1000, connections: 100 * 1024, peers: [] };
  const tenant = await issueTenant({ cert: ca.cert, key: ca.keys.privateKey }, "bench", policy);
  const leaf = await issueClient({ cert: tenant.cert, key: tenant.keys.privateKey }, "bench-client");
  const files = { ca: path.join(dir, "ca.pem"), cert: path.join(dir, "server.pem"), key: path.join(dir, "server.key") };
  writeFileSync(files.ca, certPem([ca.cert]));
  writeFileSync(files.cert, certPem([server.cert]));
  writeFileSync(files.key, await keyPem(server.keys.privateKey));
  const client = { ca: certPem([ca.cert]), cert: certPem([leaf.cert, tenant.cert]), key: await keyPem(leaf.keys.privateKey) };
  return { flags: ["--listen", "127.0.0.1:0", "--ca", files.ca, "--cert", files.cert, "--key", files.key], target: () => ({ url: `https://127.0.0.1:${daemonPort()}`, ...client }) };
}

/**
 * create → first answer, `n` times after a warm-up, over `client`; each unikernel is destroyed
 * before the next (and with it the image, which the daemon drops with its last user: it is
 * uploaded again before the clock starts).
 */
async function createTimes(client: DaemonClient, image: Uint8Array, n: number, portOffset: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n + WARMUP; i++) {
    const port = PORT_BASE + portOffset + i;
    const sha = await client.uploadImage(image);
    const t0 = performance.now();
    const info = await client.call<{ name: string; addresses: Record<string, string> }>("POST", "/v1/unikernels", { name: `hello-${i}`, image: sha, devices: [`web=tcp://127.0.0.1:${port}`], memoryMb: 32 });
    const answer = await firstAnswer(port);
    const t = performance.now() - t0;
    if (answer !== "hello\n") throw new Error(`hello-${i} answered ${JSON.stringify(answer)} (${JSON.stringify(info.addresses)})`);
    if (i >= WARMUP) times.push(t);
    await client.destroy(info.name);
  }
  return times.sort((a, b) => a - b);
}

/** The bare tender in this process: boot → first answer, no daemon and no API. */
async function bareTimes(bytes: Uint8Array, n: number): Promise<number[]> {
  const tender = new Tender({ target: TARGETS.isolate, console: { line() {} } });
  const times: number[] = [];
  for (let i = 0; i < n + WARMUP; i++) {
    const t0 = performance.now();
    const u = await tender.boot(readImage(bytes), { bindings: [{ name: "web", uri: "tcp://127.0.0.1:0" }], memoryMb: 32 });
    const answer = await firstAnswer(u.addresses.web!.port);
    const t = performance.now() - t0;
    if (answer !== "hello\n") throw new Error(`the bare tender's hello-http answered ${JSON.stringify(answer)}`);
    if (i >= WARMUP) times.push(t);
    u.stop();
    await u.exited;
  }
  return times.sort((a, b) => a - b);
}

interface Memory {
  readonly rss: number;
  readonly pss: number;
  /** Private pages (USS): what the process alone holds, and what its exit would give back. */
  readonly uss: number;
}

/** VmRSS, Pss and private pages of a process, in bytes. */
function memory(pid: number): Memory {
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) * 1024;
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  return { rss: field(readFileSync(`/proc/${pid}/status`, "utf8"), "VmRSS"), pss: field(rollup, "Pss"), uss: field(rollup, "Private_Clean") + field(rollup, "Private_Dirty") };
}

/** Waits until a process's RSS has stopped moving (within 1%) over a second, at most `maxMs`. */
async function settled(pid: number, maxMs = 8000): Promise<Memory> {
  let last = memory(pid);
  for (let waited = 0; waited < maxMs; waited += 1000) {
    await sleep(1000);
    const now = memory(pid);
    if (Math.abs(now.rss - last.rss) < last.rss * 0.01) return now;
    last = now;
  }
  return last;
}

/** An idle bare Node process with the tender's flags: what any Node daemon starts from. */
async function bareNode(): Promise<Memory> {
  const child = spawn(process.execPath, [...NODE_FLAGS, "-e", "setTimeout(() => {}, 60_000)"], { stdio: "ignore" });
  await sleep(1500);
  const m = memory(child.pid!);
  child.kill();
  return m;
}

/** Child mode: a bare tender process keeps `n` idle hello unikernels; prints its RSS before and after. */
async function bareMemoryChild(n: number): Promise<void> {
  const bytes = readFileSync(process.env.HELLO_IMAGE!);
  const tender = new Tender({ target: TARGETS.isolate, console: { line() {} } });
  (await tender.boot(readImage(bytes), { args: { wait: 1 } })).stop();
  await sleep(2000);
  const before = memory(process.pid).rss;
  for (let i = 0; i < n; i++) await tender.boot(readImage(bytes), { name: `hello-${i}`, args: { wait: 3_600_000 } });
  const after = await settled(process.pid);
  process.stdout.write(JSON.stringify({ before, after: after.rss, live: tender.live.size }));
  process.exit(0);
}

function bareMemory(image: string, n: number): Promise<{ before: number; after: number; live: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, import.meta.filename, "--bare-memory", String(n)], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, HELLO_IMAGE: image } });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the bare tender child failed (${code})`))));
  });
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), "tsuki-bench-images-"));
  const helloHttp = readFileSync((await buildImage(path.join(ROOT, "examples/hello-http"), { out: path.join(work, "hello-http.tsuki") })).image);
  const helloPath = (await buildImage(path.join(ROOT, "examples/hello"), { out: path.join(work, "hello.tsuki") })).image;
  const hello = readFileSync(helloPath);
  console.log(`tsukid benchmark: Node ${process.version}, ${CREATES} creates per series (after ${WARMUP} warm-up), memory with ${COUNTS.join(", ")} hello unikernels\n`);

  // 1. create → first answer.
  let tlsPort = 0;
  const certs = await pki(work, () => tlsPort);
  const daemon = await startDaemon(certs.flags);
  const listening = daemon.events().find((e) => e.event === "tls-listening");
  if (listening === undefined) throw new Error("the daemon did not report its TLS listener (tls-listening)");
  tlsPort = Number(listening.port);
  const clients: Record<Transport, DaemonClient> = { mtls: new DaemonClient(certs.target()), unix: new DaemonClient(daemon.socket) };
  const other: Transport = TRANSPORT === "mtls" ? "unix" : "mtls";
  const headline = await createTimes(clients[TRANSPORT], helloHttp, CREATES, 0);
  const second = await createTimes(clients[other], helloHttp, CREATES, 200);
  await daemon.stop();
  const bare = await bareTimes(helloHttp, CREATES);
  const label = (t: Transport) => (t === "mtls" ? "over mutual TLS 1.3 (tenant certificate)" : "over the Unix socket (administrator)");
  console.log("create → first HTTP answer (hello-http)      p50         p99     vs bare tender p50");
  const row = (name: string, t: number[]) => console.log(`  ${name.padEnd(42)} ${ms(pct(t, 50)).padStart(8)} ${ms(pct(t, 99)).padStart(11)}   ${(pct(t, 50) / pct(bare, 50)).toFixed(1)}×`);
  row(`tsukid, ${label(TRANSPORT)}`, headline);
  row(`tsukid, ${label(other)}`, second);
  row("bare tender, in process (boot → answer)", bare);

  // 2. memory with 0, 1, 100, 1,000 idle hello unikernels.
  const mem = await startDaemon();
  const pid = mem.child.pid!;
  const admin = new DaemonClient(mem.socket);
  const helloSha = await admin.uploadImage(hello);
  const rows: (Memory & { n: number; heap: number; createS: number })[] = [];
  let made = 0;
  for (const n of COUNTS) {
    const t0 = performance.now();
    for (; made < n; made++) await admin.call("POST", "/v1/unikernels", { name: `hello-${made}`, image: helloSha, args: { wait: 3_600_000 } });
    const createS = (performance.now() - t0) / 1000;
    const m = await settled(pid);
    let heap = 0;
    for (let i = 0; i < n; i++) heap += (await admin.stats(`hello-${i}`)).heap?.used ?? 0;
    const running = (await admin.listUnikernels()).filter((u) => u.state === "running").length;
    if (running !== n) throw new Error(`only ${running} of ${n} hello unikernels are running`);
    rows.push({ n, ...m, heap, createS });
  }
  await mem.stop();
  const bareMem = await bareMemory(helloPath, Math.max(...COUNTS));
  const node = await bareNode();

  console.log("\ndaemon memory, isolate target, idle hello unikernels (one daemon, default flags)");
  console.log("  unikernels        RSS         PSS    Σ their heap   per unikernel (RSS)   created in");
  const base = rows.find((r) => r.n === 0) ?? rows[0]!;
  for (const r of rows) {
    const per = r.n === 0 ? "" : mib((r.rss - base.rss) / r.n);
    console.log(`  ${String(r.n).padStart(10)} ${mib(r.rss).padStart(10)} ${mib(r.pss).padStart(11)} ${mib(r.heap).padStart(15)} ${per.padStart(21)}   ${r.n === 0 ? "" : `${r.createS.toFixed(1)} s`}`);
  }
  const top = rows[rows.length - 1]!;
  const daemonPer = (top.rss - base.rss) / Math.max(1, top.n);
  const barePer = (bareMem.after - bareMem.before) / Math.max(1, bareMem.live);
  console.log(`  bare tender process, ${bareMem.live} hello unikernels: ${mib(barePer)} RSS per unikernel (from ${mib(bareMem.before)} to ${mib(bareMem.after)})`);

  // The daemon at rest, next to the floor any Node daemon starts from.
  console.log(`\nthe daemon with ${base.n} unikernels, next to a bare node process with the same flags (${NODE_FLAGS.slice(0, 2).join(" ")}, idle)`);
  console.log("                                  RSS         PSS   private (USS)");
  const line = (name: string, m: Memory) => console.log(`  ${name.padEnd(28)} ${mib(m.rss).padStart(10)} ${mib(m.pss).padStart(11)} ${mib(m.uss).padStart(15)}`);
  line("tsukid", base);
  line("bare node", node);
  line("tsukid − bare node", { rss: base.rss - node.rss, pss: base.pss - node.pss, uss: base.uss - node.uss });
  console.log("  (RSS counts Node's code pages, shared with every Node process on the host; PSS divides them among those running now; private pages are the daemon's alone)");

  // The daemon's own memory, two ways.
  const ownA = base.rss + Math.max(0, daemonPer - barePer) * top.n;
  const ownB = top.rss - top.heap;
  const ownPrivate = base.uss + Math.max(0, daemonPer - barePer) * top.n;
  console.log(`\nthe daemon's own memory with ${top.n} unikernels`);
  const kib = (x: number) => `${(x / 1024).toFixed(0)} KiB`;
  console.log(`  (a) ${mib(ownA)}: its RSS with none (${mib(base.rss)}; PSS ${mib(base.pss)}) plus, per unikernel, what it costs in the daemon beyond what it costs in a bare tender (${kib(daemonPer)} − ${kib(barePer)} = ${kib(daemonPer - barePer)})`);
  console.log(`  (a′) ${mib(ownPrivate)}: the same with its private memory with none (${mib(base.uss)}) in place of its RSS: Node's shared code pages left out`);
  console.log(`  (b) ${mib(ownB)}: RSS minus the unikernels' heaps (V8 heap in use + external); overstates the daemon, since each isolate's own structures, code and page-table overhead outside its heap count as the daemon's`);

  const p50 = pct(headline, 50);
  const checks = [
    [`create → first answer p50 ≤ 50 ms ${TRANSPORT === "mtls" ? "over mutual TLS" : "(over the Unix socket: not the issue's transport)"}`, p50 <= 50, ms(p50)],
    [`the daemon's own memory ≤ 50 MB plus the unikernels' (a, RSS)`, ownA <= 50e6, `${(ownA / 1e6).toFixed(1)} MB`],
    [`the daemon's own memory ≤ 50 MB plus the unikernels' (a′, private)`, ownPrivate <= 50e6, `${(ownPrivate / 1e6).toFixed(1)} MB`],
    [`${top.n} hello unikernels in one daemon`, top.n >= 1000, `${top.n}`],
  ] as const;
  console.log("\ntargets (issue 7)");
  for (const [what, ok, value] of checks) console.log(`  ${ok ? "met " : "MISSED"}  ${what}: ${value}`);
  rmSync(work, { recursive: true, force: true });

  // 3. A hostile tenant next to a neighbour (issue 12).
  if (process.env.HOSTILE !== "0") await hostileTenantFigures();
}

if (process.argv[2] === "--bare-memory") await bareMemoryChild(Number(process.argv[3]));
else await main();
