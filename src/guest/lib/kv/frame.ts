/**
 * @module tsuki/kv/frame
 * A frame is one commit: a header and the records of one batch, written at a sector boundary and
 * padded with zeros to the next, so a commit never rewrites a sector that holds acknowledged data.
 *
 * Header (24 bytes, little-endian): magic `FVK1` (u32 0x314b5646) · CRC-32C u32 · generation u64
 * · payload length u32 · record count u32. The CRC covers bytes 8 to the end of the payload and
 * continues from the previous frame's CRC (the first frame of a region starts from a seed made of
 * the generation). The chain is what makes a stale frame left behind a torn tail (written by an
 * earlier, unacknowledged commit, or by an older generation of the region) fail its check once a
 * new frame has been written in front of it (SQLite's WAL chains its frame checksums the same way).
 */

import { crc32c } from "./crc32c.ts";
import { roundUp } from "./geometry.ts";
import { type EncodedRecord, OP_DELETE, OP_PUT, RECORD_HEADER } from "./record.ts";

export const FRAME_HEADER = 24;
export const FRAME_MAGIC = 0x314b5646;
/** Records are grouped into frames of about this payload (a record larger than it gets a frame alone). */
export const FRAME_PAYLOAD_TARGET = 1024 * 1024;

/** The CRC the first frame of a region under `generation` continues from. */
export function chainSeed(generation: number): number {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, generation % 2 ** 32, true);
  view.setUint32(4, Math.floor(generation / 2 ** 32), true);
  return crc32c(bytes, 0x6b762d31);
}

export interface BuiltFrame {
  /** Header, records and zero padding: a whole number of sectors. */
  readonly bytes: Uint8Array;
  readonly crc: number;
  /** Each record's offset from the frame's start. */
  readonly offsets: readonly number[];
}

/** Bytes a frame holding `payload` bytes of records takes on the device. */
export const frameLength = (payload: number, sectorSize: number): number => roundUp(FRAME_HEADER + payload, sectorSize);

export function buildFrame(records: readonly EncodedRecord[], generation: number, previousCrc: number, sectorSize: number): BuiltFrame {
  const payload = records.reduce((sum, r) => sum + r.bytes.length, 0);
  const bytes = new Uint8Array(frameLength(payload, sectorSize));
  const view = new DataView(bytes.buffer);
  const offsets: number[] = [];
  let at = FRAME_HEADER;
  for (const record of records) {
    offsets.push(at);
    bytes.set(record.bytes, at);
    at += record.bytes.length;
  }
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint32(8, generation % 2 ** 32, true);
  view.setUint32(12, Math.floor(generation / 2 ** 32), true);
  view.setUint32(16, payload, true);
  view.setUint32(20, records.length, true);
  const crc = crc32c(bytes.subarray(8, FRAME_HEADER + payload), previousCrc);
  view.setUint32(4, crc, true);
  return { bytes, crc, offsets };
}

export interface FrameHead {
  readonly generation: number;
  readonly payload: number;
  readonly count: number;
  readonly crc: number;
}

/** The header at the start of `bytes` (≥ FRAME_HEADER long), or undefined without the magic. */
export function readFrameHead(bytes: Uint8Array): FrameHead | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER);
  if (view.getUint32(0, true) !== FRAME_MAGIC) return undefined;
  return {
    crc: view.getUint32(4, true),
    generation: view.getUint32(12, true) * 2 ** 32 + view.getUint32(8, true),
    payload: view.getUint32(16, true),
    count: view.getUint32(20, true),
  };
}

/** Whether `frame` (header and payload) passes its checksum when continuing from `previousCrc`. */
export const frameChecks = (frame: Uint8Array, head: FrameHead, previousCrc: number): boolean => crc32c(frame.subarray(8, FRAME_HEADER + head.payload), previousCrc) === head.crc;

export interface ParsedRecord {
  readonly op: typeof OP_PUT | typeof OP_DELETE;
  readonly key: string;
  /** The record's length, header included. */
  readonly length: number;
  /** Where the value starts, from the frame's start. */
  readonly valueAt: number;
  readonly valueLength: number;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The records of a frame that passed its checksum, or why they are malformed. A frame that passes
 * its checksum but does not parse was not torn: it was written wrong, and the store is corrupt.
 */
export function parseRecords(frame: Uint8Array, head: FrameHead): ParsedRecord[] | string {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
  const end = FRAME_HEADER + head.payload;
  const records: ParsedRecord[] = [];
  let at = FRAME_HEADER;
  while (at < end) {
    if (end - at < RECORD_HEADER) return `a record header at ${at} runs past the payload`;
    const op = view.getUint8(at);
    const keyLength = view.getUint16(at + 1, true);
    const valueLength = view.getUint32(at + 3, true);
    const length = RECORD_HEADER + keyLength + valueLength;
    if (op !== OP_PUT && op !== OP_DELETE) return `a record at ${at} has the unknown op ${op}`;
    if (keyLength === 0 || length > end - at) return `a record at ${at} has key length ${keyLength} and value length ${valueLength}, past the payload`;
    if (op === OP_DELETE && valueLength !== 0) return `a delete record at ${at} carries a value`;
    let key: string;
    try {
      key = strictUtf8.decode(frame.subarray(at + RECORD_HEADER, at + RECORD_HEADER + keyLength));
    } catch {
      return `a record at ${at} has a key that is not UTF-8`;
    }
    records.push({ op, key, length, valueAt: at + RECORD_HEADER + keyLength, valueLength });
    at += length;
  }
  if (records.length !== head.count) return `the header says ${head.count} records but the payload holds ${records.length}`;
  return records;
}
