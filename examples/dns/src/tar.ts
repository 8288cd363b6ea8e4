/**
 * Reads the regular files of a POSIX tar archive (ustar, as `tar -cf` writes it, GNU and pax
 * variants included) from a block device, for examples/dns/from-block. The archive starts at the
 * device's first sector; it ends at the first all-zero header or at the end of the device. Only
 * regular files are returned; folders are skipped; links and special files are an error.
 */

import type { Block } from "tsuki";

export interface TarFile {
  readonly path: string;
  readonly data: Uint8Array;
}

export class TarError extends Error {
  override readonly name = "TarError";
}

const BLOCK = 512;
/** Files bigger than this are not zone files: refuse them before reading them in. */
const MAX_FILE = 64 * 1024 * 1024;

const ascii = (bytes: Uint8Array, start: number, length: number): string => {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(start, end));
};

const octal = (bytes: Uint8Array, start: number, length: number, what: string, at: number): number => {
  const text = ascii(bytes, start, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarError(`the tar header at byte ${at} has a malformed ${what} ${JSON.stringify(text)}`);
  return text === "" ? 0 : Number.parseInt(text, 8);
};

/** The pax extended header's `path` record, if any (`NN path=VALUE\n` records). */
function paxPath(data: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(data);
  for (const record of text.split("\n")) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return undefined;
}

/** Reads every regular file of the archive on `device`. */
export function readTar(device: Block): TarFile[] {
  const files: TarFile[] = [];
  const sector = device.sectorSize;
  // Reads [offset, offset + length) through whole sectors.
  const read = (offset: number, length: number): Uint8Array => {
    const start = Math.floor(offset / sector) * sector;
    const end = Math.min(device.size, Math.ceil((offset + length) / sector) * sector);
    const out = new Uint8Array(end - start);
    for (let at = start; at < end; at += 1024 * 1024) {
      const n = Math.min(1024 * 1024, end - at);
      out.set(device.read(at, n), at - start);
    }
    return out.subarray(offset - start, offset - start + length);
  };
  let longName: string | undefined;
  for (let offset = 0; offset + BLOCK <= device.size; ) {
    const header = read(offset, BLOCK);
    if (header.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    if (sum !== octal(header, 148, 8, "checksum", offset)) {
      throw new TarError(`the device does not hold a tar archive (bad header checksum at byte ${offset}): write one with tar -cf, e.g. tar -cf zones.tar -C zones .`);
    }
    const size = octal(header, 124, 12, "size", offset);
    const type = String.fromCharCode(header[156]!);
    const prefix = ascii(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${ascii(header, 0, 100)}` : ascii(header, 0, 100));
    longName = undefined;
    const dataStart = offset + BLOCK;
    if (dataStart + size > device.size) throw new TarError(`${name}: the archive is cut off (its ${size} bytes reach past the end of the device)`);
    if (size > MAX_FILE) throw new TarError(`${name}: ${size} bytes is too big for a zone file`);
    const data = () => read(dataStart, size).slice();
    if (type === "0" || type === "\0" || type === "7") files.push({ path: name.replace(/^(\.\/)+/, ""), data: data() });
    else if (type === "x") longName = paxPath(data());
    else if (type === "L") longName = ascii(data(), 0, size);
    else if (type !== "5" && type !== "g") throw new TarError(`${name}: a tar entry of type '${type}' is not a regular file; archive only the zone files`);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
