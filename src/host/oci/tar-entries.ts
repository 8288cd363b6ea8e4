/**
 * @module host/oci/tar-entries
 * The tar reader for what other tools write: an oci-archive made by skopeo or containerd, a layer
 * from a registry. Wider than the image's own reader (host/image/tar.ts), which takes only what
 * tsuki writes: it also takes directories, GNU and POSIX magic, and PAX headers (their `path` and
 * `size`). It is as strict on everything else: header checksums, sizes bounded by the archive and
 * by `maxEntry`, no links or devices, no name twice, no path that is absolute or climbs out with
 * `..` (refused before the caller writes anything), nothing but zeros after the end marker.
 */

import { TsukiError } from "../common/errors.ts";
import type { ErrorCodeName } from "../common/error-codes.ts";

const BLOCK = 512;

export interface Entry {
  /** Normalised: no leading `./`, no trailing `/`. */
  readonly path: string;
  readonly type: "file" | "dir";
  readonly data: Uint8Array;
}

/** Reads every entry of `bytes`, `what` naming it in errors, which carry `code` unless more specific. */
export function readEntries(bytes: Uint8Array, what: string, code: ErrorCodeName, maxEntry: number): Entry[] {
  const fail = (message: string) => new TsukiError(code, `${what}: ${message}`);
  const entries: Entry[] = [];
  const seen = new Set<string>();
  let pax: Record<string, string> = {};
  let at = 0;
  for (;;) {
    if (at + BLOCK > bytes.length) throw fail(`ends at byte ${bytes.length} without an end-of-archive marker: it was cut short or is not a tar`);
    const h = bytes.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) {
      if (!bytes.subarray(at).every((b) => b === 0)) throw fail(`has data after its end-of-archive marker (byte ${at})`);
      if (entries.length === 0) throw fail("is an empty tar");
      return entries;
    }
    const where = `the header at byte ${at}`;
    if (text(h, 257, 5) !== "ustar") throw fail(`${where} is not a tar header`);
    if (number(h, 148, 8) !== checksum(h)) throw fail(`${where} has a wrong checksum: it is damaged`);
    const type = String.fromCharCode(h[156] ?? 0);
    const size = pax.size !== undefined && type !== "x" && type !== "g" ? Number(pax.size) : number(h, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw fail(`${where} has a malformed size`);
    if (size > maxEntry) throw new TsukiError("OCI_TOO_LARGE", `${what}: ${where} holds ${size} bytes, more than the ${maxEntry} accepted`);
    const start = at + BLOCK;
    if (start + size > bytes.length) throw fail(`${where} claims ${size} bytes but the tar ends first: it was cut short`);
    const data = bytes.subarray(start, start + size);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") {
      pax = paxRecords(data, fail);
      continue;
    }
    if (type === "g") continue;
    const prefix = text(h, 345, 155);
    const raw = pax.path ?? (prefix ? `${prefix}/` : "") + text(h, 0, 100);
    pax = {};
    if (type !== "0" && type !== "\0" && type !== "5") throw fail(`entry "${raw}" is not a file or a folder (type ${JSON.stringify(type)}): links and devices are refused`);
    const path = normalise(raw, what);
    if (path === "") continue; // the archive's own root, "./"
    if (seen.has(path)) throw fail(`entry "${path}" appears twice`);
    seen.add(path);
    entries.push({ path, type: type === "5" ? "dir" : "file", data });
  }
}

function normalise(raw: string, what: string): string {
  const segments = raw.split("/");
  if (raw.startsWith("/") || segments.includes("..")) {
    throw new TsukiError("OCI_LAYER_PATH", `${what}: entry "${raw}" has a path that is absolute or climbs out with ..`);
  }
  return segments.filter((s) => s !== "" && s !== ".").join("/");
}

/** PAX extended header records, `LEN key=value\n` each. */
function paxRecords(data: Uint8Array, fail: (message: string) => Error): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space < 0 ? NaN : Number(Buffer.from(data.subarray(at, space)).toString("latin1"));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length || data[at + length - 1] !== 0x0a) throw fail("has a malformed PAX header");
    const record = Buffer.from(data.subarray(space + 1, at + length - 1)).toString("utf8");
    const eq = record.indexOf("=");
    if (eq <= 0) throw fail("has a malformed PAX record");
    records[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  if (records.size !== undefined && !/^\d{1,15}$/.test(records.size)) throw fail("has a PAX size that is not a number");
  return records;
}

function text(h: Uint8Array, at: number, length: number): string {
  const field = h.subarray(at, at + length);
  const nul = field.indexOf(0);
  return Buffer.from(nul < 0 ? field : field.subarray(0, nul)).toString("utf8");
}

function number(h: Uint8Array, at: number, length: number): number {
  const field = text(h, at, length).trim();
  return /^[0-7]{1,12}$/.test(field) ? parseInt(field, 8) : NaN;
}

function checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum;
}
