/**
 * `npm run bench:http`: HTTP requests per second and latency of tsuki unikernels under wrk, next to
 * bare Node `http`, workerd and Deno serving the same response, all measured in the same run on
 * this machine; then what the tender's memory does under 10,000 idle connections and under a
 * client that sends and never reads.
 *
 * - hello: examples/hello-http (isolate target) answers "hello\n"; each peer answers the same.
 * - website: examples/website answers GET / with its index.html; each peer answers with the same
 *   bytes, content type and ETag.
 *
 * Every server runs in its own process on 127.0.0.1, is warmed up for WARMUP seconds, then
 * measured with `wrk -t1 -c64 -dDURATION --latency` (wrk takes one core, the server the other).
 * The servers of a scenario are measured ROUNDS times in turn and the best round of each is kept,
 * so that a burst of noise on this machine does not decide a ratio. Ratios are tsuki ÷ peer.
 *
 * Environment: DURATION (s, default 5), WARMUP (s, 2), ROUNDS (2), CONNECTIONS (64),
 * IDLE (10000 connections for the memory check), ONLY (hello, website or memory: run just that
 * part). Needs `wrk` (Debian: apt-get install wrk).
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildImage } from "../src/host/build/build.ts";
import { stopChild } from "../test/helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "node_modules/.bin");
const DURATION = Number(process.env.DURATION ?? 5);
const WARMUP = Number(process.env.WARMUP ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const IDLE = Number(process.env.IDLE ?? 10_000);
const NODE_FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

interface Server {
  name: string;
  start(port: number): ChildProcess;
}

interface Scenario {
  name: string;
  path: string;
  body: Uint8Array;
  type: string;
  etag?: string;
  tsuki: string;
}

const work = mkdtempSync(path.join(tmpdir(), "tsuki-bench-http-"));
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});
process.on("SIGINT", () => process.exit(130));

function requireTool(name: string, hint: string): void {
  if (spawnSync("sh", ["-c", `command -v ${name}`]).status !== 0) {
    console.error(`bench:http needs ${name}: ${hint}`);
    process.exit(1);
  }
}

function launch(command: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
  children.add(child);
  let log = "";
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.on("exit", (code, signal) => {
    children.delete(child);
    if (!child.killed && code !== 0) console.error(`${command} exited (${code ?? signal}):\n${log}`);
  });
  return child;
}

/** Resolves once `port` answers `urlPath` with a 200, or throws after 20 s. */
async function ready(port: number, urlPath: string, child: ChildProcess): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the server on port ${port} exited before it was ready`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}${urlPath}`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server on port ${port} did not answer within 20 s`);
}

function wrk(port: number, urlPath: string, seconds: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", `http://127.0.0.1:${port}${urlPath}`], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("exit", () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      const latency = (p: string) => {
        const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)$`, "m").exec(out);
        return match ? Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as "us" | "ms" | "s"] : Number.NaN;
      };
      const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? /Socket errors: .*/.exec(out)?.[0] ?? "0";
      if (!Number.isFinite(rps)) return reject(new Error(`wrk printed no rate:\n${out}`));
      resolve({ rps, p50: latency("50"), p99: latency("99"), errors: Number.parseInt(String(errors).replace(/\D+/g, "") || "0", 10) });
    });
  });
}

// ---- the servers -------------------------------------------------------------------------------

function tsukiServer(image: string): Server {
  return {
    name: "tsuki",
    start: (port) => launch(process.execPath, [...NODE_FLAGS, path.join(ROOT, "bin/tsuki.js"), "run", image, "--quiet", "--dev", `web=tcp://127.0.0.1:${port}`]),
  };
}

function peers(scenario: Scenario): Server[] {
  const bodyFile = path.join(work, `${scenario.name}.body`);
  writeFileSync(bodyFile, scenario.body);
  const args = [String(0), bodyFile, scenario.type, scenario.etag ?? ""];
  const withPort = (port: number) => [String(port), ...args.slice(1)];
  return [
    { name: "node http", start: (port) => launch(process.execPath, [path.join(ROOT, "bench/peers/node-http.ts"), ...withPort(port)]) },
    { name: "workerd", start: (port) => launch(path.join(BIN, "workerd"), ["serve", workerdConfig(scenario, port)]) },
    {
      name: "deno",
      start: (port) => launch(path.join(BIN, "deno"), ["run", "--allow-net=127.0.0.1", `--allow-read=${bodyFile}`, path.join(ROOT, "bench/peers/deno-serve.ts"), ...withPort(port)], { env: { DENO_NO_UPDATE_CHECK: "1" } }),
    },
  ];
}

/** The newest compatibility date the installed workerd supports is its release date (`workerd --version` prints it). */
const WORKERD_DATE = /\d{4}-\d{2}-\d{2}/.exec(spawnSync(path.join(BIN, "workerd"), ["--version"]).stdout.toString())?.[0] ?? "2026-01-01";

/** A workerd config serving the scenario's body on `port` from bench/peers/workerd-worker.js. */
function workerdConfig(scenario: Scenario, port: number): string {
  const dir = mkdtempSync(path.join(work, "workerd-"));
  copyFileSync(path.join(ROOT, "bench/peers/workerd-worker.js"), path.join(dir, "worker.js"));
  writeFileSync(path.join(dir, "body"), scenario.body);
  const headers: Record<string, string> = { "content-type": scenario.type };
  if (scenario.etag) headers.etag = scenario.etag;
  writeFileSync(path.join(dir, "meta.json"), JSON.stringify({ headers }));
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker", esModule = embed "worker.js"),
    (name = "body", data = embed "body"),
    (name = "meta", json = embed "meta.json"),
  ],
  compatibilityDate = "${WORKERD_DATE}",
);
`;
  const file = path.join(dir, "config.capnp");
  writeFileSync(file, config);
  return file;
}

// ---- the run -----------------------------------------------------------------------------------

let nextPort = 7400 + Math.floor(Math.random() * 400);

async function measure(server: Server, scenario: Scenario): Promise<Result> {
  const port = nextPort++;
  const child = server.start(port);
  try {
    await ready(port, scenario.path, child);
    await wrk(port, scenario.path, WARMUP);
    return await wrk(port, scenario.path, DURATION);
  } finally {
    await stopChild(child);
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function runScenario(scenario: Scenario): Promise<Map<string, Result>> {
  const servers = [tsukiServer(scenario.tsuki), ...peers(scenario)];
  const best = new Map<string, Result>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const server of servers) {
      const result = await measure(server, scenario);
      const kept = best.get(server.name);
      if (kept === undefined || result.rps > kept.rps) best.set(server.name, result);
      process.stderr.write(`  ${scenario.name} round ${round}: ${server.name} ${fmt(result.rps)} req/s\n`);
    }
  }
  const tsuki = best.get("tsuki")!;
  console.log(`\n${scenario.name}: GET ${scenario.path} (${fmt(scenario.body.length)} B ${scenario.type}), wrk -t1 -c${CONNECTIONS} -d${DURATION}s, best of ${ROUNDS}`);
  console.log(`  ${"server".padEnd(12)} ${"req/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"errors".padStart(7)}   tsuki ÷ this`);
  for (const server of servers) {
    const r = best.get(server.name)!;
    const ratio = server.name === "tsuki" ? "" : `${(tsuki.rps / r.rps).toFixed(2)}×`;
    console.log(`  ${server.name.padEnd(12)} ${fmt(r.rps).padStart(9)} ${fmt(r.p50, 2).padStart(8)} ${fmt(r.p99, 2).padStart(8)} ${String(r.errors).padStart(7)}   ${ratio}`);
  }
  return best;
}

async function built(folder: string): Promise<string> {
  const result = await buildImage(path.join(ROOT, "examples", folder), { out: path.join(work, `${folder}.tsuki`) });
  return result.image;
}

requireTool("wrk", "install it (Debian: apt-get install wrk)");
console.log(`bench:http on ${process.platform} ${process.arch}, Node ${process.version}, ${spawnSync(path.join(BIN, "workerd"), ["--version"]).stdout.toString().trim()}, ${spawnSync(path.join(BIN, "deno"), ["--version"]).stdout.toString().split("\n")[0]}`);

const hello: Scenario = { name: "hello", path: "/", body: new TextEncoder().encode("hello\n"), type: "text/plain;charset=UTF-8", tsuki: await built("hello-http") };
const siteIndex = readFileSync(path.join(ROOT, "examples/website/site/index.html"));
const website: Scenario = {
  name: "website",
  path: "/",
  body: siteIndex,
  type: "text/html; charset=utf-8",
  etag: `"${(await import("node:crypto")).createHash("sha256").update(siteIndex).digest("hex")}"`,
  tsuki: await built("website"),
};

const only = process.env.ONLY;
const helloResults = only === undefined || only === "hello" ? await runScenario(hello) : undefined;
if (only === undefined || only === "website") await runScenario(website);
console.log("\nissue 3's targets:");
if (helloResults !== undefined) {
  const t = helloResults.get("tsuki")!.rps;
  const vsNode = t / helloResults.get("node http")!.rps;
  const vsWorkerd = t / helloResults.get("workerd")!.rps;
  console.log(`  hello ≥ 0.6× bare Node http:  ${vsNode.toFixed(2)}×  ${vsNode >= 0.6 ? "met" : "NOT MET"}`);
  console.log(`  hello ≥ 1.5× workerd:         ${vsWorkerd.toFixed(2)}×  ${vsWorkerd >= 1.5 ? "met" : "NOT MET"}`);
}
if (only === undefined || only === "memory") {
  const { idle, slowReader } = await import("./http-memory.ts");
  console.log(`  ${fmt(IDLE)} idle connections:   ${await idle(hello.tsuki, IDLE, launch, stopChild)}`);
  console.log(`  a client that never reads:    ${await slowReader(hello.tsuki, launch, stopChild)}`);
}
process.exit(0);
