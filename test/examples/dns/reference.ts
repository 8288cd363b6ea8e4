/**
 * The reference side of the DNS conformance test and of `npm run bench:dns`: NSD and Knot (Debian
 * packages, servers we did not write) started on loopback in a temporary folder with the zone files
 * of examples/dns, `dig` run asynchronously, its text output parsed into a comparable answer, and
 * the comparison itself, which lists every difference at once.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { stopChild } from "../../helpers.ts";

export const ZONES_DIR = path.resolve(import.meta.dirname, "../../../examples/dns/zones");

/** A command on PATH (or an absolute path that exists and runs). */
export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

export const NSD = ["/usr/sbin/nsd", "nsd"].find(hasCommand);
export const KNOTD = ["/usr/sbin/knotd", "knotd"].find(hasCommand);

/** A zone to serve: its origin (with the final dot) and its file. */
export interface ZoneFile {
  readonly origin: string;
  readonly file: string;
}

/** Every file of examples/dns/zones as a zone whose origin is the file's name without `.zone`. */
export function exampleZones(dir = ZONES_DIR): ZoneFile[] {
  return readdirSync(dir)
    .sort()
    .map((name) => ({ origin: `${name.replace(/\.zone$/, "")}.`, file: path.join(dir, name) }));
}

/** A port free for both UDP and TCP on 127.0.0.1 (a DNS server needs both). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const udp = createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, "127.0.0.1", () => resolve(udp.address().port));
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcpFree) return port;
  }
  throw new Error("found no port free for both UDP and TCP on 127.0.0.1");
}

export interface Server {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** What the server printed so far (the end of it). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `command`, keeps the last 8 KB of its output, and stops it with SIGTERM (SIGKILL after 3 s). */
export function launch(name: string, port: number, command: string, args: readonly string[], cwd?: string): Server {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-8000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.on("error", (error) => (log += `\n${error.message}`));
  return {
    name,
    port,
    child,
    log: () => log,
    stop: () => stopChild(child),
  };
}

/** Resolves once `server` answers a query for `name` SOA over UDP and TCP, or throws after `ms`. */
export async function answering(server: Server, name: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`${server.name} exited before it answered:\n${server.log()}`);
    const [udp, tcp] = await Promise.all([dig(server.port, [name, "SOA", "+time=1", "+tries=1"]), dig(server.port, [name, "SOA", "+tcp", "+time=1", "+tries=1"])]);
    if (udp.status === "NOERROR" && tcp.status === "NOERROR") return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${server.name} did not answer ${name} SOA on port ${server.port} within ${ms} ms:\n${server.log()}`);
}

export interface ReferenceOptions {
  readonly port: number;
  /** Where the configuration, pid file and state go. */
  readonly dir: string;
  readonly zones: readonly ZoneFile[];
  /** Addresses allowed to transfer every zone (AXFR). */
  readonly allowTransfer?: readonly string[];
  /** NSD: leave the zone's NS records and the addresses of NS, MX and SRV targets out unless needed (minimal-responses: yes); default no, NSD's default. */
  readonly minimalResponses?: boolean;
  /** Query-serving processes (NSD's server-count) or threads (Knot's udp-workers and tcp-workers); default 1. */
  readonly workers?: number;
}

/**
 * NSD in the foreground (-d) as the current user: no chroot, no user switch, no database file,
 * no remote control, version and identity hidden (CH TXT queries are REFUSED, as by tsuki), and
 * response rate limiting off (it would answer a benchmark's queries with TC or nothing).
 */
export function startNsd(options: ReferenceOptions): Server {
  if (!NSD) throw new Error("nsd is not installed (apt-get install nsd)");
  mkdirSync(options.dir, { recursive: true });
  const q = (text: string) => JSON.stringify(text);
  const zones = options.zones
    .map((zone) =>
      [
        "zone:",
        `  name: ${q(zone.origin)}`,
        `  zonefile: ${q(zone.file)}`,
        ...(options.allowTransfer ?? []).map((address) => `  provide-xfr: ${address} NOKEY`),
      ].join("\n"),
    )
    .join("\n");
  const config = `server:
  ip-address: 127.0.0.1
  port: ${options.port}
  username: ""
  chroot: ""
  zonesdir: ${q(options.dir)}
  pidfile: ${q(path.join(options.dir, "nsd.pid"))}
  database: ""
  xfrdfile: ${q(path.join(options.dir, "xfrd.state"))}
  zonelistfile: ${q(path.join(options.dir, "zone.list"))}
  hide-version: yes
  hide-identity: yes
  server-count: ${options.workers ?? 1}
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  minimal-responses: ${options.minimalResponses ? "yes" : "no"}
  verbosity: 1
remote-control:
  control-enable: no
${zones}
`;
  const file = path.join(options.dir, "nsd.conf");
  writeFileSync(file, config);
  return launch("nsd", options.port, NSD, ["-d", "-c", file], options.dir);
}

/** Knot DNS in the foreground, as the current user, its state in `dir`, zone files never rewritten. */
export function startKnot(options: ReferenceOptions): Server {
  if (!KNOTD) throw new Error("knotd is not installed (apt-get install knot)");
  mkdirSync(path.join(options.dir, "db"), { recursive: true });
  const q = (text: string) => JSON.stringify(text);
  const acl = options.allowTransfer?.length ? `acl:\n  - id: transfer\n    address: [${options.allowTransfer.map(q).join(", ")}]\n    action: transfer\n` : "";
  const config = `server:
  listen: 127.0.0.1@${options.port}
  rundir: ${q(options.dir)}
  identity: ""
  version: ""
  udp-workers: ${options.workers ?? 1}
  tcp-workers: ${options.workers ?? 1}
  background-workers: 1
database:
  storage: ${q(path.join(options.dir, "db"))}
log:
  - target: stderr
    any: warning
${acl}template:
  - id: default
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
${acl ? "    acl: transfer\n" : ""}zone:
${options.zones.map((zone) => `  - domain: ${q(zone.origin)}\n    file: ${q(zone.file)}`).join("\n")}
`;
  const file = path.join(options.dir, "knot.conf");
  writeFileSync(file, config);
  return launch("knot", options.port, KNOTD!, ["-c", file], options.dir);
}

// ---- dig ---------------------------------------------------------------------------------------

/** One answer as dig printed it, reduced to what the comparison looks at. */
export interface DigAnswer {
  /** NOERROR, NXDOMAIN, …; "TIMEOUT" when no answer came, "AXFR" for a zone transfer that succeeded, "AXFR-FAILED" for one refused. */
  readonly status: string;
  readonly flags: readonly string[];
  readonly question: readonly string[];
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  readonly additional: readonly string[];
  /** The answer's OPT record as dig prints it (version, flags, UDP size, options but cookies), or null without one. */
  readonly edns: string | null;
  /** Lines where dig said the packet was malformed, or other warnings about it. */
  readonly warnings: readonly string[];
  readonly raw: string;
}

const DIG_DEFAULTS = ["+nocmd", "+nostats", "+time=2", "+tries=1", "+ignore"];

/** Runs dig asynchronously against 127.0.0.1:`port` (never spawnSync: the server may run in this process). */
export function dig(port: number, args: readonly string[]): Promise<DigAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn("dig", [`@127.0.0.1`, "-p", String(port), ...DIG_DEFAULTS, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", reject);
    child.on("close", () => resolve(parseDig(out, args)));
  });
}

const TYPES_WITH_NAMES = new Set(["NS", "CNAME", "PTR", "MX", "SRV", "SOA", "DNAME"]);

/** One RR line of dig, normalized: fields split on white space (TXT and CAA data kept as printed), the owner and names in RDATA lower-cased. */
export function normalizeRR(line: string): string {
  const match = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line.trim());
  if (!match) return line.trim();
  const [, owner, ttl, klass, type, rdata] = match as unknown as [string, string, string, string, string, string];
  const data = TYPES_WITH_NAMES.has(type) ? rdata.toLowerCase() : rdata;
  return `${owner.toLowerCase()} ${ttl} ${klass} ${type} ${data}`;
}

/** Parses dig's default text output (with +nocmd +nostats). */
export function parseDig(text: string, args: readonly string[] = []): DigAnswer {
  const lines = text.split("\n");
  const warnings = lines.filter((l) => /malformed|parse error|Warning: Message parser|unexpected|mismatch/i.test(l) && !l.startsWith(";; ->>HEADER<<-"));
  const sections: Record<string, string[]> = { question: [], answer: [], authority: [], additional: [] };
  const empty = { flags: [], question: [], answer: [], authority: [], additional: [], edns: null, warnings, raw: text };
  if (args.some((a) => /^(axfr|ixfr(=\d+)?)$/i.test(a))) {
    if (/Transfer failed|communications error|connection refused|timed out/i.test(text)) return { ...empty, status: "AXFR-FAILED" };
    const records = lines.filter((l) => l.trim() !== "" && !l.startsWith(";")).map(normalizeRR);
    // A transfer starts and ends with the zone's SOA; the records between come in any order.
    const framed = records.length >= 2 && / SOA /.test(records[0]!) && records[0] === records.at(-1);
    return { ...empty, status: framed ? "AXFR" : "AXFR-UNFRAMED", answer: records.sort() };
  }
  const header = /status: ([A-Z0-9]+)/.exec(text);
  if (!header) return { ...empty, status: /timed out|no servers could be reached/.test(text) ? "TIMEOUT" : "NO-ANSWER" };
  const flags = (/;; flags:([^;]*);/.exec(text)?.[1] ?? "").trim().split(/\s+/).filter(Boolean).sort();
  // The OPT record as dig prints it (version, flags, UDP size, then one line per option such as
  // EDE), without cookies, whose values are each server's own.
  const optLines = /;; OPT PSEUDOSECTION:\n((?:; .*\n)*)/.exec(text)?.[1];
  const edns = optLines === undefined ? null : optLines.split("\n").filter((l) => l !== "" && !/^; COOKIE:/.test(l)).map((l) => l.slice(2).trim()).join(" / ");
  let current: string | undefined;
  for (const line of lines) {
    const heading = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:$/.exec(line);
    if (heading) {
      current = heading[1]!.toLowerCase();
      continue;
    }
    if (line.trim() === "" || (line.startsWith(";;") && current !== "question")) {
      current = undefined;
      continue;
    }
    if (current === "question") sections.question!.push(line.replace(/^;/, "").trim().replace(/\s+/g, " "));
    else if (current) sections[current]!.push(normalizeRR(line));
  }
  const sort = (list: string[]) => [...list].sort();
  return {
    status: header[1]!,
    flags,
    question: sections.question!,
    answer: sort(sections.answer!),
    authority: sort(sections.authority!),
    additional: sort(sections.additional!),
    edns,
    warnings,
    raw: text,
  };
}

// ---- the corpus and the comparison -------------------------------------------------------------

export interface CorpusQuery {
  /** The dig arguments: name, type, class and options, as written. */
  readonly args: readonly string[];
  /** Where it is in the corpus, for messages. */
  readonly line: number;
  /** Fields where tsuki is expected to differ from the reference, with why (`!expect-differ field,field: reason`). */
  readonly differ: ReadonlyMap<string, string>;
  /** A check of its own for the rule the difference follows instead (`!rule NAME`). */
  readonly rule?: string;
  readonly text: string;
}

/**
 * Reads the corpus: one query per line as dig arguments (`www.example.com A +noedns`), `#` starts
 * a comment, and a query may be followed by `!expect-differ FIELDS: why` and `!rule NAME`.
 */
export function readCorpus(file: string): CorpusQuery[] {
  const queries: CorpusQuery[] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((raw, index) => {
      const text = raw.replace(/(^|\s)#.*$/, "").trim();
      if (text === "") return;
      const [query, ...marks] = text.split(/\s+!/);
      const differ = new Map<string, string>();
      let rule: string | undefined;
      for (const mark of marks) {
        const expect = /^expect-differ\s+([\w,]+):\s*(.*)$/.exec(mark);
        const named = /^rule\s+(\S+)$/.exec(mark);
        if (expect) for (const field of expect[1]!.split(",")) differ.set(field, expect[2]!);
        else if (named) rule = named[1];
        else throw new Error(`${file}:${index + 1}: unknown mark !${mark}`);
      }
      queries.push({ args: query!.split(/\s+/), line: index + 1, differ, rule, text: query! });
    });
  return queries;
}

export const COMPARED = ["status", "flags", "question", "answer", "authority", "additional", "edns"] as const;

/** Every field where `got` differs from `want`, as "field: got … vs want …" lines. */
export function differences(got: DigAnswer, want: DigAnswer, skip: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (const field of COMPARED) {
    if (skip.has(field)) continue;
    const a = got[field];
    const b = want[field];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (Array.isArray(a) && Array.isArray(b) && field !== "flags" && field !== "question") {
      const extra = (a as string[]).filter((x) => !(b as string[]).includes(x));
      const missing = (b as string[]).filter((x) => !(a as string[]).includes(x));
      out.push(`${field}: ${extra.length ? `extra [${extra.join(" | ")}]` : ""}${extra.length && missing.length ? ", " : ""}${missing.length ? `missing [${missing.join(" | ")}]` : ""}${!extra.length && !missing.length ? `order/duplicates ${JSON.stringify(a)} vs ${JSON.stringify(b)}` : ""}`);
    } else out.push(`${field}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  if (got.warnings.length && !want.warnings.length) out.push(`dig warned: ${got.warnings.join(" / ")}`);
  return out;
}
