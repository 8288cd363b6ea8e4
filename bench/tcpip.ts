/**
 * `npm run bench:tcpip`: tsuki/tcpip, the TCP/IP stack inside the image, against the Linux kernel
 * over a TAP, next to the same unikernel on the host's sockets, in one run on this machine.
 *
 * - Bulk TCP, each direction: test/tcpip/fixture's sink (port 9000) and source (port 9001) with a
 *   Node peer (test/tcpip/peer.ts) whose sockets are the kernel's: on the direct stack the peer runs
 *   in a network namespace holding the TAP's kernel side (MTU 1500), on the host's sockets it talks
 *   to the fixture's `sink`/`source` listeners over loopback. Every byte is checked at the receiver.
 * - The website (examples/website, GET /) under `wrk -t1 -c64`: on the direct stack (wrk in the
 *   namespace) and on a `tcp://127.0.0.1` listener.
 * Each figure is the best of ROUNDS; ratios are direct stack ÷ host sockets. The tender runs in this
 * process (isolate target) on one core; the peer or wrk takes the other.
 *
 * Environment: BYTES (per transfer, default 1e9), ROUNDS (2), DURATION (wrk seconds, 5). Needs root,
 * /dev/net/tun, iproute2 and wrk.
 */

import { spawn } from "node:child_process";
import path from "node:path";
import { parseBinding } from "../src/host/spec/bindings.ts";
import type { ConsoleLine } from "../src/host/tender/console.ts";
import { ROOT, testTender } from "../test/helpers.ts";
import { cleanup, netUnavailable } from "../test/netns.ts";
import { FIXTURE, GUEST_ADDRESS, PEER, buildFolder, link } from "../test/tcpip/harness.ts";

const BYTES = Number(process.env.BYTES ?? 1e9);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const DURATION = Number(process.env.DURATION ?? 5);
const TARGET_GBITS = 1;

const why = netUnavailable();
if (why) {
  console.error(`bench:tcpip cannot run here: ${why}`);
  process.exit(1);
}

type Event = { event: string; [key: string]: unknown };

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(" ")} failed (${code}): ${out}${err}`))));
  });
}

/** Runs the Node peer in this namespace (the direct stack's runs go through `Link.peer`). */
const peer = async (...args: string[]): Promise<Event[]> =>
  (await run(process.execPath, ["--disable-warning=ExperimentalWarning", PEER, ...args]))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event);

const gbits = (bytes: number, ms: number) => (bytes * 8) / ms / 1e6;

/** Runs `transfer` ROUNDS times; the best Gbit/s. */
async function best(transfer: () => Promise<{ bytes: number; ms: number; mismatch: number }>): Promise<number> {
  let top = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await transfer();
    if (r.bytes !== BYTES || r.mismatch !== -1) throw new Error(`a transfer arrived wrong: ${JSON.stringify(r)}`);
    top = Math.max(top, gbits(r.bytes, r.ms));
  }
  return top;
}

/** wrk against `url`, inside network namespace `ns` if given. */
function wrk(url: string, ns?: string): Promise<number> {
  const args = ["-t1", "-c64", `-d${DURATION}s`, url];
  return run(ns ? "ip" : "wrk", ns ? ["netns", "exec", ns, "wrk", ...args] : args).then((out) => {
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    if (!Number.isFinite(rps)) throw new Error(`wrk printed no rate:\n${out}`);
    return rps;
  });
}

async function bestRps(url: string, ns?: string): Promise<number> {
  await wrk(url, ns); // warm-up
  let top = 0;
  for (let i = 0; i < ROUNDS; i++) top = Math.max(top, await wrk(url, ns));
  return top;
}

/** Boots `image` on the host's sockets; resolves with the tender's unikernel and its console lines. */
async function onSockets(image: Awaited<ReturnType<typeof buildFolder>>, bindings: string[], args: Record<string, unknown>) {
  const { tender, lines } = testTender("isolate");
  const unikernel = await tender.boot(image, { bindings: bindings.map(parseBinding), args, memoryMb: 256 });
  return { unikernel, lines };
}

async function waitEvent(lines: ConsoleLine[], name: string, from = 0): Promise<Event> {
  for (let i = 0; i < 6000; i++) {
    for (const line of lines.slice(from)) if (line.text.startsWith(`{"event":"${name}"`)) return JSON.parse(line.text) as Event;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no ${name} event`);
}

const fixture = await buildFolder(FIXTURE);
const website = await buildFolder(path.join(ROOT, "examples/website"));
const mb = (BYTES / 1e6).toFixed(0);
console.log(`bench:tcpip — ${mb} MB per transfer, best of ${ROUNDS}; wrk -t1 -c64 -d${DURATION}s; the tender on the isolate target`);

// ---- bulk TCP on the direct stack ------------------------------------------------------------
const direct = await link({ image: fixture, args: { sourceBytes: BYTES } });
const directIn = await best(async () => {
  const [sink] = await Promise.all([direct.event("sink", 600_000), direct.peer("send", GUEST_ADDRESS, "9000", String(BYTES))]);
  return sink as unknown as { bytes: number; ms: number; mismatch: number };
});
const directOut = await best(async () => {
  const read = (await direct.peer("read", GUEST_ADDRESS, "9001")).find((e) => e.event === "read")!;
  return read as unknown as { bytes: number; ms: number; mismatch: number };
});
await direct.stop();

// ---- bulk TCP on the host's sockets -----------------------------------------------------------
const sockets = await onSockets(fixture, ["sink=tcp://127.0.0.1:0", "source=tcp://127.0.0.1:0"], { sourceBytes: BYTES });
await waitEvent(sockets.lines, "ready");
const ports = { sink: sockets.unikernel.addresses.sink!.port, source: sockets.unikernel.addresses.source!.port };
let seen = sockets.lines.length;
const socketsIn = await best(async () => {
  const sent = peer("send", "127.0.0.1", String(ports.sink), String(BYTES));
  const sink = await waitEvent(sockets.lines, "sink", seen);
  seen = sockets.lines.length;
  await sent;
  return sink as unknown as { bytes: number; ms: number; mismatch: number };
});
const socketsOut = await best(async () => (await peer("read", "127.0.0.1", String(ports.source))).find((e) => e.event === "read") as unknown as { bytes: number; ms: number; mismatch: number });
sockets.unikernel.stop();
await sockets.unikernel.exited;

// ---- the website ------------------------------------------------------------------------------
const site = await link({ image: website, args: { address: `${GUEST_ADDRESS}/24`, port: 80 }, readyEvent: null });
for (let i = 0; i < 500 && !site.lines.some((l) => l.text.includes("over the in-image TCP/IP stack")); i++) await new Promise((r) => setTimeout(r, 10));
const siteDirect = await bestRps(`http://${GUEST_ADDRESS}/`, site.ns.name);
await site.stop();
const siteHost = await onSockets(website, ["web=tcp://127.0.0.1:0"], {});
const port = siteHost.unikernel.addresses.web!.port;
const siteSockets = await bestRps(`http://127.0.0.1:${port}/`);
siteHost.unikernel.stop();
await siteHost.unikernel.exited;
cleanup();

const row = (name: string, a: number, b: number, unit: string, digits: number) =>
  console.log(`${name.padEnd(34)} ${a.toFixed(digits).padStart(10)} ${unit}   ${b.toFixed(digits).padStart(10)} ${unit}   ${(a / b).toFixed(2)}×`);
console.log(`\n${"".padEnd(34)} ${"direct stack (TAP)".padStart(17)}   ${"host sockets".padStart(15)}   ratio`);
row("bulk TCP kernel → unikernel", directIn, socketsIn, "Gbit/s", 2);
row("bulk TCP unikernel → kernel", directOut, socketsOut, "Gbit/s", 2);
row("website GET / (wrk -c64)", siteDirect, siteSockets, "req/s ", 0);
const ok = (v: number) => (v >= TARGET_GBITS ? "met" : "MISSED");
console.log(`\nTarget: ≥ ${TARGET_GBITS} Gbit/s each way over TAP — kernel → unikernel ${directIn.toFixed(2)} (${ok(directIn)}), unikernel → kernel ${directOut.toFixed(2)} (${ok(directOut)}).`);
