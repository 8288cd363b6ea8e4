/**
 * @module host/tender/devices/block
 * The host side of a `block()` device: a file of fixed size read and written in whole sectors,
 * many sectors per call (Solo5 allows one, its most-reported limitation). Bound as
 * `file:PATH?size=64M&sector=512` (spec/device-uri.ts): the file is created at `size` if absent;
 * an existing file must have that size if one is given. `flush` is a real fdatasync, run off the tender's thread, with a
 * `flushed` event when it is done. Reads and writes are synchronous positional I/O.
 */

import { closeSync, fdatasync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import path from "node:path";
import { type DeviceErrno, deviceErrno } from "../../../abi/index.ts";
import { TsukiError } from "../../common/errors.ts";
import { type BlockBinding, DEFAULT_SECTOR } from "../../spec/device-uri.ts";
import { formatSize } from "../../common/size.ts";
import type { BlockCounters } from "./stats.ts";


export class BlockDevice {
  readonly handle: number;
  readonly path: string;
  readonly size: number;
  readonly sectorSize: number;
  /** Reads, writes and flushes the unikernel made, and the bytes they moved, for the operator. */
  readonly counters: BlockCounters = { bytesIn: 0, bytesOut: 0, reads: 0, writes: 0, flushes: 0 };
  #fd: number;

  constructor(handle: number, file: string, fd: number, size: number, sectorSize: number) {
    this.handle = handle;
    this.path = file;
    this.#fd = fd;
    this.size = size;
    this.sectorSize = sectorSize;
  }

  /** Why `offset`/`length` are not a whole run of sectors inside the device, or undefined. */
  problem(offset: number, length: number): string | undefined {
    if (offset % this.sectorSize !== 0 || length % this.sectorSize !== 0) return `offset ${offset} and length ${length} must be multiples of the sector size ${this.sectorSize}`;
    if (offset + length > this.size) return `${length} bytes at ${offset} reach past the end of the device (${this.size} bytes)`;
    return undefined;
  }

  read(offset: number, length: number): Uint8Array {
    this.counters.reads++;
    this.counters.bytesIn += length;
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const n = readSync(this.#fd, out, done, length - done, offset + done);
      if (n === 0) break; // cannot happen on a file of the right size; zeros are the honest answer
      done += n;
    }
    return out;
  }

  write(offset: number, bytes: Uint8Array): void {
    this.counters.writes++;
    this.counters.bytesOut += bytes.length;
    for (let done = 0; done < bytes.length; ) done += writeSync(this.#fd, bytes, done, bytes.length - done, offset + done);
  }

  flush(done: (errno: DeviceErrno | undefined) => void): void {
    this.counters.flushes++;
    fdatasync(this.#fd, (error) => done(error ? deviceErrno(error.code) : undefined));
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Opens (or creates, when a size is given) the file of a `file:` binding. */
export function openBlock(device: string, handle: number, binding: Extract<BlockBinding, { scheme: "file" }>): BlockDevice {
  const file = path.resolve(binding.path);
  const sectorSize = binding.sector ?? DEFAULT_SECTOR;
  const wanted = binding.size;
  let fd: number;
  try {
    try {
      fd = openSync(file, "r+");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      if (wanted === undefined) throw new TsukiError("DEV_OPEN", `device "${device}": ${file} does not exist; give its size to create it, e.g. file:${file}?size=64M`);
      fd = openSync(file, "wx+", 0o600);
      ftruncateSync(fd, wanted);
    }
  } catch (error) {
    if (error instanceof TsukiError) throw error;
    throw new TsukiError("DEV_OPEN", `device "${device}": cannot open ${file}: ${(error as Error).message}`);
  }
  const stat = fstatSync(fd);
  const size = stat.size;
  const problem = !stat.isFile()
    ? `${file} is not a regular file`
    : wanted !== undefined && size !== wanted
      ? `${file} is ${size} bytes but the binding says size=${formatSize(wanted)} (${wanted} bytes); fix the size or use another file`
      : size === 0 || size % sectorSize !== 0
        ? `${file} is ${size} bytes, not a positive multiple of the sector size ${sectorSize}`
        : undefined;
  if (problem) {
    closeSync(fd);
    throw new TsukiError("DEV_OPEN", `device "${device}": ${problem}`);
  }
  return new BlockDevice(handle, file, fd, size, sectorSize);
}
