/**
 * @module tsuki/kv/compaction
 * Compaction: the live records (those in the index, with a batch's changes applied over them) are
 * copied into the other region under the next generation, flushed, and only then is the new
 * superblock written into the other slot and flushed. Until that last flush completes, a crash
 * leaves the old superblock, region and log exactly as they were; after it, the new region is the
 * store. Either way nothing acknowledged is lost, and the batch's changes become durable together.
 */

import type { Block } from "../../sdk/devices.ts";
import { DeviceReader } from "./device-reader.ts";
import { KVError } from "./errors.ts";
import { buildFrame, chainSeed, FRAME_HEADER, FRAME_PAYLOAD_TARGET } from "./frame.ts";
import { regionStart, slotOffset } from "./geometry.ts";
import { KeyIndex } from "./key-index.ts";
import { type EncodedRecord, OP_PUT, RECORD_HEADER } from "./record.ts";
import { encodeSuperblock, type Superblock } from "./superblock.ts";

/** A key's state after a batch: its new put record, or null once deleted. Keys not in it keep their index entry. */
export type Overlay = ReadonlyMap<string, EncodedRecord | null>;

export interface Compacted {
  readonly superblock: Superblock;
  readonly index: KeyIndex;
  readonly tail: number;
  readonly crc: number;
}

/** Frames written between two yields of the turn, so a large compaction does not trip the CPU watchdog. */
const FRAMES_PER_TURN = 8;
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * An upper bound of the bytes `recordBytes` bytes of records take once packed into frames: each
 * two consecutive frames hold more than FRAME_PAYLOAD_TARGET, and each frame costs its header and
 * at most a sector of padding.
 */
export function packedBound(recordBytes: number, sectorSize: number): number {
  return recordBytes + (2 * Math.floor(recordBytes / FRAME_PAYLOAD_TARGET) + 2) * (FRAME_HEADER + sectorSize);
}

export async function compact(block: Block, current: Superblock, index: KeyIndex, overlay: Overlay, counters: { flushes: number }): Promise<Compacted> {
  const g = current.geometry;
  const superblock: Superblock = { generation: current.generation + 1, region: current.region === 0 ? 1 : 0, geometry: g };
  const start = regionStart(g, superblock.region);
  const end = start + g.regionSize;
  const oldEnd = regionStart(g, current.region) + g.regionSize;

  // Old records in device order, so the reader's window sweeps the old region once.
  const kept = [...index.entries()].filter(([key]) => !overlay.has(key)).sort((a, b) => a[1].offset - b[1].offset);
  const added = [...overlay.values()].filter((r): r is EncodedRecord => r !== null);
  const reader = new DeviceReader(block);
  const next = new KeyIndex();
  let at = start;
  let crc = chainSeed(superblock.generation);
  let frames = 0;
  let pending: EncodedRecord[] = [];
  let payload = 0;

  const writeFrame = async () => {
    const frame = buildFrame(pending, superblock.generation, crc, g.sectorSize);
    if (at + frame.bytes.length > end) throw new KVError("ENOSPC", `block device "${block.name}" is full: the live data does not fit in a region of ${g.regionSize} bytes`);
    block.write(at, frame.bytes);
    pending.forEach((record, i) => {
      const keyLength = new DataView(record.bytes.buffer, record.bytes.byteOffset).getUint16(1, true);
      const valueAt = at + frame.offsets[i]! + RECORD_HEADER + keyLength;
      next.set(record.key, { offset: valueAt, length: record.bytes.length - RECORD_HEADER - keyLength, recordLength: record.bytes.length });
    });
    at += frame.bytes.length;
    crc = frame.crc;
    pending = [];
    payload = 0;
    if (++frames % FRAMES_PER_TURN === 0) await nextTurn();
  };
  const add = async (record: EncodedRecord) => {
    if (pending.length > 0 && payload + record.bytes.length > FRAME_PAYLOAD_TARGET) await writeFrame();
    pending.push(record);
    payload += record.bytes.length;
  };

  for (const [key, entry] of kept) {
    const recordAt = entry.offset - (entry.recordLength - entry.length);
    await add({ op: OP_PUT, key, bytes: reader.read(recordAt, entry.recordLength, oldEnd) });
  }
  for (const record of added) await add(record);
  if (pending.length > 0) await writeFrame();

  await block.flush();
  block.write(slotOffset(g, superblock.generation % 2), encodeSuperblock(superblock));
  await block.flush();
  counters.flushes += 2;
  return { superblock, index: next, tail: at, crc };
}
