/**
 * @module tsuki/kv/device-reader
 * Byte-granular reads over a block device that only reads whole sectors: each read is widened to
 * sector boundaries, and a window of up to 1 MiB is kept so that a sequential scan (recovery,
 * compaction) makes one block read per MiB instead of one per record. Returned arrays are views
 * of a buffer that is never written again, so they stay valid after later reads.
 */

import type { Block } from "../../sdk/devices.ts";
import { roundDown, roundUp } from "./geometry.ts";

const WINDOW = 1024 * 1024;

export class DeviceReader {
  #block: Block;
  #window: Uint8Array = new Uint8Array(0);
  #start = 0;

  constructor(block: Block) {
    this.#block = block;
  }

  /** Bytes [offset, offset + length) of the device, read ahead up to `limit` (a sector boundary). */
  read(offset: number, length: number, limit = this.#block.size): Uint8Array {
    if (offset >= this.#start && offset + length <= this.#start + this.#window.length) {
      return this.#window.subarray(offset - this.#start, offset - this.#start + length);
    }
    const sector = this.#block.sectorSize;
    const from = roundDown(offset, sector);
    const to = Math.min(Math.max(roundUp(offset + length, sector), from + WINDOW), limit);
    this.#window = this.#block.read(from, to - from);
    this.#start = from;
    return this.#window.subarray(offset - from, offset - from + length);
  }
}

/** A copy of bytes [offset, offset + length) of the device, in one aligned read. */
export function readExact(block: Block, offset: number, length: number): Uint8Array {
  const sector = block.sectorSize;
  const from = roundDown(offset, sector);
  const bytes = block.read(from, roundUp(offset + length, sector) - from);
  return bytes.slice(offset - from, offset - from + length);
}
