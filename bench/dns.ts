/**
 * `npm run bench:dns`: queries per second and latency of examples/dns (the tsuki/dns authoritative
 * server on the isolate target) under dnsperf, next to NSD and Knot DNS serving the same zone files
 * (examples/dns/zones), all measured in the same run on this machine with the same query file.
 *
 * The query file is made from the zones: names and types that exist (A, AAAA, MX and SRV with
 * their additional addresses, TXT, NS, SOA, PTR, CNAME chains, the other zone), names that do not
 * (NXDOMAIN), types a name does not have (NODATA), names under a wildcard, referrals to the
 * delegated sub.example.com and a few names outside the zones (REFUSED); BENCH_QUERIES lines in a
 * fixed pseudo-random order, so every server gets the same stream.
 *
 * Every server runs in its own process with one query-serving thread (NSD server-count 1, Knot
 * one UDP and one TCP worker; tsuki is one isolate on the tender's thread), is warmed up for
 * WARMUP seconds, then measured twice:
 * - throughput: `dnsperf -c CLIENTS -T 1 -q OUTSTANDING -l DURATION` (dnsperf takes one core, the
 *   server the other): queries per second, lost queries, average latency;
 * - latency: `dnsperf -Q RATE -l LATENCY_SECONDS -v` at a fixed rate below every server's limit,
 *   whose per-query lines give the percentiles (dnsperf itself prints only the mean and stddev).
 * The servers are measured ROUNDS times in turn and the best round of each is kept. Ratios are
 * tsuki ÷ peer; issue 4's target is ≥ 0.5× NSD's queries per second. The response codes of each
 * server are printed next to each other: the same query file must give the same mix.
 *
 * Environment: DURATION (s, 10), WARMUP (s, 2), ROUNDS (2), CLIENTS (1), OUTSTANDING (100), RATE
 * (qps for the latency pass, 2000), LATENCY_SECONDS (3), BENCH_QUERIES (10000), TRANSPORT (udp or
 * tcp), ONLY (comma-separated: tsuki, nsd, knot). Needs dnsperf and dig (Debian: apt-get install
 * dnsperf bind9-dnsutils) and nsd; knot is measured when knotd is installed.
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildImage } from "../src/host/build/build.ts";
import { KNOTD, NSD, type Server, answering, exampleZones, freePort, hasCommand, launch, startKnot, startNsd } from "../test/examples/dns/reference.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const DURATION = Number(process.env.DURATION ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const CLIENTS = Number(process.env.CLIENTS ?? 1);
const OUTSTANDING = Number(process.env.OUTSTANDING ?? 100);
const RATE = Number(process.env.RATE ?? 2000);
const LATENCY_SECONDS = Number(process.env.LATENCY_SECONDS ?? 3);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 10_000);
const TRANSPORT = process.env.TRANSPORT === "tcp" ? "tcp" : "udp";
const ONLY = process.env.ONLY?.split(",").map((s) => s.trim());
const NODE_FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];

const work = mkdtempSync(path.join(tmpdir(), "tsuki-bench-dns-"));
const servers = new Set<Server>();
process.on("exit", () => {
  for (const server of servers) server.child.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});
process.on("SIGINT", () => process.exit(130));

for (const [tool, hint] of [
  ["dnsperf", "apt-get install dnsperf"],
  ["dig", "apt-get install bind9-dnsutils"],
] as const) {
  if (!hasCommand(tool)) {
    console.error(`bench:dns needs ${tool} (Debian: ${hint})`);
    process.exit(1);
  }
}
if (!NSD) {
  console.error("bench:dns needs nsd, the reference server (Debian: apt-get install nsd)");
  process.exit(1);
}

// ---- the query file ----------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32), so that every run sends the same stream. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Kinds of query with their share of the file; `{n}` becomes a number, making a fresh name. */
const MIX: readonly [weight: number, kind: string, lines: readonly string[]][] = [
  [
    45,
    "exists",
    [
      "www.example.com A",
      "www.example.com AAAA",
      "example.com A",
      "example.com MX",
      "example.com NS",
      "example.com SOA",
      "example.com TXT",
      "mail.example.com A",
      "ns1.example.com AAAA",
      "_sip._tcp.example.com SRV",
      "txt.example.com TXT",
      "www.example.org A",
      "10.2.0.192.in-addr.arpa PTR",
      "25.2.0.192.in-addr.arpa PTR",
    ],
  ],
  [10, "cname", ["alias.example.com A", "chain1.example.com A", "other.example.com A", "ftp.example.org A"]],
  [15, "nxdomain", ["nx{n}.example.com A", "nx{n}.example.org AAAA", "{n}.99.2.0.192.in-addr.arpa PTR"]],
  [10, "wildcard", ["h{n}.wild.example.com A", "h{n}.wild.example.com TXT", "x{n}.wcname.example.com A"]],
  [10, "nodata", ["www.example.com MX", "mail.example.com TXT", "b.ent.example.com A"]],
  [7, "referral", ["www.sub.example.com A", "h{n}.sub.example.com AAAA"]],
  [3, "refused", ["www.example.net A", "h{n}.example.net A"]],
];

function queryFile(): { file: string; counts: Record<string, number> } {
  const random = prng(4);
  const total = MIX.reduce((sum, [weight]) => sum + weight, 0);
  const counts: Record<string, number> = {};
  const lines: string[] = [];
  for (let i = 0; i < QUERIES; i++) {
    let pick = random() * total;
    const [, kind, choices] = MIX.find(([weight]) => (pick -= weight) < 0) ?? MIX[0]!;
    counts[kind] = (counts[kind] ?? 0) + 1;
    lines.push(choices[Math.floor(random() * choices.length)]!.replace("{n}", String(Math.floor(random() * 1e6))));
  }
  const file = path.join(work, "queries.txt");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return { file, counts };
}

// ---- dnsperf -----------------------------------------------------------------------------------

interface Result {
  qps: number;
  sent: number;
  lost: number;
  avgMs: number;
  rcodes: string;
  p50: number;
  p90: number;
  p99: number;
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", reject);
    child.on("close", () => resolve(Buffer.concat(chunks).toString()));
  });
}

function dnsperf(port: number, file: string, extra: readonly string[]): Promise<string> {
  return run("dnsperf", ["-s", "127.0.0.1", "-p", String(port), "-m", TRANSPORT, "-d", file, "-T", "1", "-t", "2", ...extra]);
}

async function throughput(port: number, file: string, seconds: number): Promise<Omit<Result, "p50" | "p90" | "p99">> {
  const out = await dnsperf(port, file, ["-c", String(CLIENTS), "-q", String(OUTSTANDING), "-l", String(seconds)]);
  const num = (re: RegExp) => Number(re.exec(out)?.[1]);
  const qps = num(/Queries per second:\s+([\d.]+)/);
  if (!Number.isFinite(qps)) throw new Error(`dnsperf printed no rate:\n${out}`);
  return {
    qps,
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    rcodes: (/Response codes:\s+(.*)/.exec(out)?.[1] ?? "").trim(),
  };
}

/** Per-query latencies at a fixed rate, from dnsperf -v lines (`> NOERROR name type 0.000123`). */
async function latency(port: number, file: string): Promise<{ p50: number; p90: number; p99: number }> {
  const out = await dnsperf(port, file, ["-c", "1", "-Q", String(RATE), "-l", String(LATENCY_SECONDS), "-v"]);
  const samples = [...out.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
  if (samples.length === 0) throw new Error(`dnsperf -v printed no latencies:\n${out.slice(0, 2000)}`);
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
  return { p50: at(50), p90: at(90), p99: at(99) };
}

// ---- the servers -------------------------------------------------------------------------------

interface Contender {
  name: string;
  start(port: number, dir: string): Server;
}

function contenders(image: string): Contender[] {
  const zones = exampleZones();
  const all: Contender[] = [
    {
      name: "tsuki",
      start: (port) =>
        launch("tsuki", port, process.execPath, [...NODE_FLAGS, path.join(ROOT, "bin/tsuki.js"), "run", image, "--quiet", "--mem", "64M", "--dev", `udp=udp://127.0.0.1:${port}`, "--dev", `tcp=tcp://127.0.0.1:${port}`]),
    },
    { name: "nsd", start: (port, dir) => startNsd({ port, dir, zones }) },
  ];
  if (KNOTD) all.push({ name: "knot", start: (port, dir) => startKnot({ port, dir, zones }) });
  return all.filter((c) => ONLY === undefined || ONLY.includes(c.name));
}

async function measure(contender: Contender, file: string): Promise<Result> {
  const port = await freePort();
  const server = contender.start(port, mkdtempSync(path.join(work, `${contender.name}-`)));
  servers.add(server);
  try {
    await answering(server, "example.com");
    await throughput(port, file, WARMUP);
    const t = await throughput(port, file, DURATION);
    const l = await latency(port, file);
    return { ...t, ...l };
  } finally {
    await server.stop();
    servers.delete(server);
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

const dnsperfVersion = /Version ([\d.]+)/.exec(await run("dnsperf", ["-h"]))?.[1] ?? "?";
const nsdVersion = /NSD version ([\d.]+)/.exec(await run(NSD, ["-v"]))?.[1] ?? "?";
const knotVersion = KNOTD ? (/version ([\d.]+)/.exec(await run(KNOTD, ["--version"]))?.[1] ?? "?") : "absent";
console.log(`bench:dns on ${process.platform} ${process.arch}, Node ${process.version}, dnsperf ${dnsperfVersion}, NSD ${nsdVersion}, Knot ${knotVersion}`);

const image = ONLY === undefined || ONLY.includes("tsuki") ? (await buildImage(path.join(ROOT, "examples/dns"), { out: path.join(work, "dns.tsuki") })).image : "";
const { file, counts } = queryFile();
console.log(`query file: ${fmt(QUERIES)} queries from examples/dns/zones (${Object.entries(counts).map(([kind, n]) => `${kind} ${((100 * n) / QUERIES).toFixed(0)}%`).join(", ")})`);

const list = contenders(image);
const best = new Map<string, Result>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const contender of list) {
    const result = await measure(contender, file);
    const kept = best.get(contender.name);
    if (kept === undefined || result.qps > kept.qps) best.set(contender.name, result);
    process.stderr.write(`  round ${round}: ${contender.name} ${fmt(result.qps)} queries/s, ${result.lost} lost\n`);
  }
}

console.log(
  `\n${TRANSPORT.toUpperCase()}, dnsperf -T 1 -c ${CLIENTS} -q ${OUTSTANDING} -l ${DURATION} (best of ${ROUNDS}); percentiles at -Q ${fmt(RATE)} for ${LATENCY_SECONDS} s`,
);
console.log(`  ${"server".padEnd(8)} ${"queries/s".padStart(10)} ${"lost".padStart(6)} ${"avg ms".padStart(7)}   ${"p50 ms".padStart(7)} ${"p90 ms".padStart(7)} ${"p99 ms".padStart(7)}   tsuki ÷ this`);
const tsuki = best.get("tsuki");
for (const contender of list) {
  const r = best.get(contender.name)!;
  const ratio = contender.name === "tsuki" || tsuki === undefined ? "" : `${(tsuki.qps / r.qps).toFixed(2)}×`;
  console.log(
    `  ${contender.name.padEnd(8)} ${fmt(r.qps).padStart(10)} ${String(r.lost).padStart(6)} ${fmt(r.avgMs, 3).padStart(7)}   ${fmt(r.p50, 3).padStart(7)} ${fmt(r.p90, 3).padStart(7)} ${fmt(r.p99, 3).padStart(7)}   ${ratio}`,
  );
}
console.log("\nresponse codes (the same query file must give the same mix):");
for (const contender of list) console.log(`  ${contender.name.padEnd(8)} ${best.get(contender.name)!.rcodes}`);

const nsd = best.get("nsd");
if (tsuki && nsd) {
  const ratio = tsuki.qps / nsd.qps;
  const note = TRANSPORT === "udp" ? "" : " (measured over TCP; the target is meant for UDP)";
  console.log(`\nissue 4's target: tsuki ≥ 0.5× NSD's queries per second: ${ratio.toFixed(2)}×  ${ratio >= 0.5 ? "met" : "NOT MET"}${note}`);
}
process.exit(0);

