/**
 * @module host/image/tar
 * The image container: a deterministic POSIX ustar archive of regular files, so that any `tar`
 * can list and unpack an image (`tar -tvf hello.tsuki`). Writing fixes everything that could vary
 * between machines (mode 0644, uid/gid 0, empty owner names, mtime 0, entries in the given order).
 *
 * Reading is strict, because an image is untrusted input: only regular-file entries, ustar magic,
 * header checksums verified, sizes bounded by the archive, no duplicate names, nothing but zeros in
 * the padding after each entry's data and after the end marker. Every violation is a `TsukiError`
 * naming the entry and offset.
 */

import { TsukiError } from "../common/errors.ts";

const BLOCK = 512;
const MAX_NAME = 255; // 100 in name + 155 in prefix

export interface TarEntry {
  readonly path: string;
  readonly data: Uint8Array;
}

export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  let size = 2 * BLOCK;
  for (const e of entries) size += BLOCK + Math.ceil(e.data.length / BLOCK) * BLOCK;
  const out = new Uint8Array(size);
  let at = 0;
  for (const entry of entries) {
    out.set(header(entry.path, entry.data.length), at);
    out.set(entry.data, at + BLOCK);
    at += BLOCK + Math.ceil(entry.data.length / BLOCK) * BLOCK;
  }
  return out;
}

function header(path: string, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const name = Buffer.from(path, "utf8");
  if (name.length > MAX_NAME) throw new TsukiError("BUILD_ASSETS", `path "${path}" is longer than ${MAX_NAME} bytes`);
  let prefix = Buffer.alloc(0);
  let rest = name;
  if (name.length > 100) {
    const slash = name.lastIndexOf(0x2f, 155);
    if (slash <= 0 || name.length - slash - 1 > 100) throw new TsukiError("BUILD_ASSETS", `path "${path}" cannot be stored in a ustar header; shorten its last segment`);
    prefix = name.subarray(0, slash);
    rest = name.subarray(slash + 1);
  }
  h.set(rest, 0);
  ascii(h, 100, "0000644\0");
  ascii(h, 108, "0000000\0");
  ascii(h, 116, "0000000\0");
  ascii(h, 124, `${size.toString(8).padStart(11, "0")}\0`);
  ascii(h, 136, "00000000000\0");
  ascii(h, 148, "        ");
  h[156] = 0x30; // '0': regular file
  ascii(h, 257, "ustar\0");
  ascii(h, 263, "00");
  h.set(prefix, 345);
  let sum = 0;
  for (const byte of h) sum += byte;
  ascii(h, 148, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

function ascii(target: Uint8Array, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) target[at + i] = text.charCodeAt(i);
}

export function readTar(bytes: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  if (bytes.length % BLOCK !== 0) {
    throw new TsukiError("IMAGE_TRUNCATED", `the image is ${bytes.length} bytes, not a whole number of 512-byte blocks: it was cut short or is not an image`);
  }
  let at = 0;
  for (;;) {
    if (at + BLOCK > bytes.length) throw new TsukiError("IMAGE_TRUNCATED", `the image ends at byte ${bytes.length} without an end-of-archive marker: it was cut short`);
    const h = bytes.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) {
      if (at + 2 * BLOCK > bytes.length) throw new TsukiError("IMAGE_TRUNCATED", "the image's end-of-archive marker is incomplete: it was cut short");
      if (!bytes.subarray(at).every((b) => b === 0)) throw new TsukiError("IMAGE_MALFORMED", `the image has data after its end-of-archive marker (byte ${at})`);
      return entries;
    }
    const where = `the header at byte ${at}`;
    if (text(h, 257, 6) !== "ustar") throw new TsukiError("IMAGE_MALFORMED", `${where} is not a ustar header: the file is not a tsuki image`);
    if (octal(h, 148, 8, where) !== checksum(h)) throw new TsukiError("IMAGE_MALFORMED", `${where} has a wrong checksum: the image is damaged`);
    const prefix = text(h, 345, 155);
    const path = (prefix ? `${prefix}/` : "") + text(h, 0, 100);
    const type = h[156];
    if (type !== 0x30 && type !== 0) throw new TsukiError("IMAGE_MALFORMED", `entry "${path}" is not a regular file (type ${String.fromCharCode(type ?? 0)}); images hold only files`);
    if (seen.has(path)) throw new TsukiError("IMAGE_MALFORMED", `entry "${path}" appears twice in the image`);
    seen.add(path);
    const size = octal(h, 124, 12, where);
    const end = at + BLOCK + size;
    if (end > bytes.length) throw new TsukiError("IMAGE_TRUNCATED", `entry "${path}" claims ${size} bytes but the image ends first: it was cut short`);
    const next = at + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    // Padding is outside every hash the manifest records, so bytes hidden there would go unseen.
    if (!bytes.subarray(end, next).every((b) => b === 0)) throw new TsukiError("IMAGE_MALFORMED", `entry "${path}" is followed by padding that is not zero: the image was changed`);
    entries.push({ path, data: bytes.subarray(at + BLOCK, end) });
    at = next;
  }
}

function text(h: Uint8Array, at: number, length: number): string {
  const field = h.subarray(at, at + length);
  const nul = field.indexOf(0);
  return Buffer.from(nul < 0 ? field : field.subarray(0, nul)).toString("utf8");
}

function octal(h: Uint8Array, at: number, length: number, where: string): number {
  const field = text(h, at, length).trim();
  if (!/^[0-7]{1,11}$/.test(field)) throw new TsukiError("IMAGE_MALFORMED", `${where} has a malformed number field: the image is damaged`);
  return parseInt(field, 8);
}

function checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum;
}
