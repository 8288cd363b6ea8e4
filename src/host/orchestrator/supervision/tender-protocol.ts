/**
 * @module host/orchestrator/supervision/tender-protocol
 * The messages between tsukid's control thread and its tender threads: one `node:worker_threads`
 * Worker per tenant (tender-threads.ts), each running a `Tender` (tender-worker.ts) so that no
 * guest code runs on the thread that serves the API. Messages are plain structured-clone values;
 * no host object crosses.
 *
 *   control → tender thread                      tender thread → control
 *   boot {id, target, sha256, image?, options}   ready {tid, nice, problem}     (once, at start)
 *   stop {id, reason, code}                      booted {id, addresses, links, figures}
 *   stats {req, ids}                             boot-failed {id, error}
 *   drop-image {sha256}                          exited {id, status, figures}   (figures as it ended)
 *   close                                        console {lines}                (batched per tick, bounded)
 *                                                stats {req, figures}
 *
 * An image crosses once per thread (`image` on the first boot of its SHA-256 there, its assets
 * packed into one transferred buffer) and stays until the control side, which counts its users
 * there, sends `drop-image`. A thread sends every pending console line before any other message,
 * so the ring has a unikernel's last lines before it hears that it booted or ended. What a thread
 * has sent in console lines and the control thread has not yet taken is counted in a shared word
 * (`CONSOLE_IN_FLIGHT`, by `consoleEntrySize`): past the bound a thread refuses lines, and its
 * unikernels' consoles drop and count them, so a busy control thread is never buried under them.
 *
 * The tender thread is our code, but what it sends is checked (`checkFromWorker`): a thread that
 * sends something malformed is treated as failed, never trusted.
 */

import type { ExitStatus, Manifest, PeerAddress } from "../../../abi/index.ts";
import type { Image } from "../../image/image.ts";
import { type Problem, TsukiError, isErrorCodeName } from "../../common/errors.ts";
import { type ConsoleCounts, NO_CONSOLE_COUNTS } from "../../tender/console.ts";
import type { DeviceStats } from "../../tender/devices/stats.ts";
import type { CpuTime, MemoryUse } from "../../tender/targets/target.ts";
import type { BootOptions } from "../../tender/tender.ts";
import { DaemonError } from "../api/errors.ts";
import type { DaemonTarget } from "../model/spec.ts";

/** What a unikernel has used this boot, as its tender thread read it. */
export interface Figures {
  /** V8's heap alone. */
  readonly heap: { readonly used: number; readonly limit: number } | null;
  /** All of its memory as the limit counts it: heap, external, reserved (README, "Memory"). */
  readonly memory: MemoryUse | null;
  readonly cpuTime: CpuTime | null;
  readonly devices: Readonly<Record<string, DeviceStats>>;
  readonly connections: number;
  readonly rejectedCalls: Readonly<Record<string, number>>;
  /** What its console carried, and what the tender dropped or cut of it. */
  readonly console: ConsoleCounts;
}

export const NO_FIGURES: Figures = { heap: null, memory: null, cpuTime: null, devices: {}, connections: 0, rejectedCalls: {}, console: NO_CONSOLE_COUNTS };

export type Links = Readonly<Record<string, { readonly tap: string; readonly mac: string; readonly mtu: number }>>;

/** An image on its way to a tender thread: its assets back to back in one buffer (transferred, not copied twice). */
export interface PackedImage {
  readonly sha256: string;
  readonly size: number;
  readonly manifest: Manifest;
  readonly entry: string;
  readonly assets: ArrayBuffer;
  /** Each asset's length, in manifest order. */
  readonly lengths: readonly number[];
}

/** An error as it crosses: enough to rebuild it so that the API answers as if it were thrown here. */
export interface CarriedError {
  /** What it was an instance of: a tender error, a daemon error, or anything else. */
  readonly kind: "tsuki" | "daemon" | "other";
  readonly name: string;
  readonly code: string | null;
  readonly message: string;
  readonly problems: readonly Problem[];
  readonly details: readonly string[];
}

/** One console line: unikernel id, stream, text, wall time in ms, and 1 when the tender wrote it (a drop notice). */
export type ConsoleEntry = readonly [id: number, stream: 1 | 2, text: string, time: number, tender?: 1];

/** Bytes of console lines a tender thread may have sent that the control thread has not taken: 4 MiB. */
export const CONSOLE_IN_FLIGHT = 4 * 1024 * 1024;

/** What a console entry counts against CONSOLE_IN_FLIGHT: its text (two bytes a code unit) and the rest of it. */
export function consoleEntrySize(entry: ConsoleEntry): number {
  return entry[2].length * 2 + 64;
}

export type ToWorker =
  | { readonly type: "boot"; readonly id: number; readonly target: DaemonTarget; readonly sha256: string; readonly image?: PackedImage; readonly options: BootOptions }
  | { readonly type: "stop"; readonly id: number; readonly reason: string; readonly code: number }
  | { readonly type: "stats"; readonly req: number; readonly ids: readonly number[] }
  | { readonly type: "drop-image"; readonly sha256: string }
  | { readonly type: "close" };

export type FromWorker =
  | { readonly type: "ready"; readonly tid: number | null; readonly nice: number | null; readonly problem: string | null }
  | { readonly type: "booted"; readonly id: number; readonly addresses: Readonly<Record<string, PeerAddress>>; readonly links: Links; readonly figures: Figures }
  | { readonly type: "boot-failed"; readonly id: number; readonly error: CarriedError }
  | { readonly type: "exited"; readonly id: number; readonly status: ExitStatus; readonly figures: Figures }
  | { readonly type: "console"; readonly lines: readonly ConsoleEntry[] }
  | { readonly type: "stats"; readonly req: number; readonly figures: readonly (readonly [id: number, figures: Figures])[] };

/** Packs an image for a tender thread; the buffer goes in the message's transfer list. */
export function packImage(image: Image): PackedImage {
  const lengths = image.assets.map((a) => a.length);
  const assets = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const asset of image.assets) {
    assets.set(asset, at);
    at += asset.length;
  }
  return { sha256: image.sha256, size: image.size, manifest: image.manifest, entry: image.entry, assets: assets.buffer, lengths };
}

/** The image again, its assets views into the one buffer that crossed. */
export function unpackImage(packed: PackedImage): Image {
  let at = 0;
  const assets = packed.lengths.map((length) => new Uint8Array(packed.assets, (at += length) - length, length));
  return { sha256: packed.sha256, size: packed.size, manifest: packed.manifest, entry: packed.entry, assets };
}

export function carryError(error: unknown): CarriedError {
  if (!(error instanceof Error)) return { kind: "other", name: "Error", code: null, message: String(error), problems: [], details: [] };
  const e = error as Error & { code?: unknown; problems?: unknown; details?: unknown };
  return {
    // DaemonError first: it is a TsukiError too.
    kind: error instanceof DaemonError ? "daemon" : error instanceof TsukiError ? "tsuki" : "other",
    name: e.name,
    code: typeof e.code === "string" ? e.code : null,
    message: e.message,
    problems: Array.isArray(e.problems) ? (e.problems as Problem[]).map((p) => ({ code: String(p.code), message: String(p.message) })) : [],
    details: Array.isArray(e.details) ? e.details.map(String) : [],
  };
}

/**
 * The error as the control thread throws it: a TsukiError (of any subclass: its name is kept) or
 * a DaemonError with its code, so that `errorBody` answers as before; else a plain Error.
 */
export function rebuildError(carried: CarriedError): Error {
  const key = carried.code?.startsWith("ERR_") ? carried.code.slice(4) : undefined;
  let error: Error;
  if (carried.kind === "tsuki" && key !== undefined && isErrorCodeName(key)) {
    error = new TsukiError(key, carried.message, carried.details, carried.problems.length > 0 ? carried.problems : undefined);
  } else if (carried.kind === "daemon" && key !== undefined && isErrorCodeName(key)) {
    error = new DaemonError(key, carried.message);
  } else {
    error = carried.code === null ? new Error(carried.message) : Object.assign(new Error(carried.message), { code: carried.code });
  }
  error.name = carried.name;
  return error;
}

// ---- checking what a tender thread sends ----

const fail = (what: string): never => {
  throw new Error(what);
};
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const id = (v: unknown, what: string): number => (Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : fail(`${what}: not an id`));
const num = (v: unknown, what: string): number => (typeof v === "number" && Number.isFinite(v) ? v : fail(`${what}: not a number`));
const str = (v: unknown, what: string): string => (typeof v === "string" ? v : fail(`${what}: not a string`));
const record = (v: unknown, what: string): Record<string, unknown> => (isRecord(v) ? v : fail(`${what}: not an object`));

function checkFigures(v: unknown): Figures {
  const f = record(v, "figures");
  if (f.heap !== null) ["used", "limit"].forEach((k) => num(record(f.heap, "heap")[k], `heap.${k}`));
  if (f.memory !== null) ["heap", "external", "reserved", "used", "limit"].forEach((k) => num(record(f.memory, "memory")[k], `memory.${k}`));
  if (f.cpuTime !== null) num(record(f.cpuTime, "cpuTime").cpuMs, "cpuTime.cpuMs");
  for (const [name, d] of Object.entries(record(f.devices, "devices"))) {
    const device = record(d, `device ${name}`);
    str(device.kind, `device ${name}'s kind`);
    for (const [k, value] of Object.entries(device)) if (k !== "kind") num(value, `device ${name}'s ${k}`);
  }
  num(f.connections, "connections");
  for (const [k, value] of Object.entries(record(f.rejectedCalls, "rejectedCalls"))) num(value, `rejectedCalls.${k}`);
  const c = record(f.console, "console");
  for (const k of Object.keys(NO_CONSOLE_COUNTS)) num(c[k], `console.${k}`);
  return f as unknown as Figures;
}

function checkStatus(v: unknown): ExitStatus {
  const s = record(v, "status");
  str(s.kind, "status.kind");
  num(s.code, "status.code");
  str(s.reason, "status.reason");
  return s as unknown as ExitStatus;
}

/** `data` as a message from a tender thread; throws an Error saying what is wrong with it. */
export function checkFromWorker(data: unknown): FromWorker {
  const m = record(data, "message");
  switch (m.type) {
    case "ready":
      if (m.tid !== null) num(m.tid, "tid");
      if (m.nice !== null) num(m.nice, "nice");
      if (m.problem !== null) str(m.problem, "problem");
      break;
    case "booted":
      id(m.id, "booted");
      for (const [name, a] of Object.entries(record(m.addresses, "addresses"))) {
        str(record(a, `address of ${name}`).address, `address of ${name}`);
        num((a as Record<string, unknown>).port, `port of ${name}`);
      }
      for (const [name, l] of Object.entries(record(m.links, "links"))) str(record(l, `link ${name}`).tap, `link ${name}'s tap`);
      checkFigures(m.figures);
      break;
    case "boot-failed": {
      id(m.id, "boot-failed");
      const e = record(m.error, "error");
      if (e.kind !== "tsuki" && e.kind !== "daemon" && e.kind !== "other") fail("error.kind: not one of tsuki, daemon, other");
      str(e.name, "error.name");
      str(e.message, "error.message");
      if (e.code !== null) str(e.code, "error.code");
      if (!Array.isArray(e.problems) || !Array.isArray(e.details)) fail("error: no problems or details");
      break;
    }
    case "exited":
      id(m.id, "exited");
      checkStatus(m.status);
      checkFigures(m.figures);
      break;
    case "console":
      if (!Array.isArray(m.lines)) fail("console: no lines");
      for (const line of m.lines as unknown[]) {
        if (!Array.isArray(line) || (line.length !== 4 && !(line.length === 5 && line[4] === 1)) || (line[1] !== 1 && line[1] !== 2)) fail("console: a malformed line");
        id((line as unknown[])[0], "console line");
        str((line as unknown[])[2], "console line's text");
        num((line as unknown[])[3], "console line's time");
      }
      break;
    case "stats":
      id(m.req, "stats");
      if (!Array.isArray(m.figures)) fail("stats: no figures");
      for (const pair of m.figures as unknown[]) {
        if (!Array.isArray(pair) || pair.length !== 2) fail("stats: a malformed pair");
        id((pair as unknown[])[0], "stats pair");
        checkFigures((pair as unknown[])[1]);
      }
      break;
    default:
      fail(`unknown message type ${JSON.stringify(m.type)?.slice(0, 40)}`);
  }
  return m as unknown as FromWorker;
}
