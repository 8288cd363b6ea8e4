/**
 * @module tsuki/kv/replay
 * Recovery on open: reads the live region's frames in order, checking each one's magic,
 * generation, length and chained CRC-32C, and applies their records to a fresh index. The first
 * frame that fails a check ends the log: it is the torn tail of a commit that was never
 * acknowledged (commits are serialised, each flushed before the next is written, so only the last
 * can be torn by a crash), and the next commit overwrites it. Nothing after it is trusted.
 */

import type { Block } from "../../sdk/devices.ts";
import { DeviceReader } from "./device-reader.ts";
import { KVError } from "./errors.ts";
import { chainSeed, FRAME_HEADER, frameChecks, frameLength, parseRecords, readFrameHead } from "./frame.ts";
import { regionStart } from "./geometry.ts";
import { KeyIndex } from "./key-index.ts";
import { OP_PUT } from "./record.ts";
import type { Superblock } from "./superblock.ts";

/** Bytes checked between two yields of the turn, so a large log does not trip the CPU watchdog. */
const BYTES_PER_TURN = 16 * 1024 * 1024;
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export interface Replayed {
  readonly index: KeyIndex;
  /** Where the next frame goes. */
  readonly tail: number;
  /** The CRC the next frame continues from. */
  readonly crc: number;
  readonly frames: number;
  /** Whether the log ended in a frame of this generation that failed its checks (a torn commit). */
  readonly tornTail: boolean;
}

export async function replay(block: Block, superblock: Superblock): Promise<Replayed> {
  const g = superblock.geometry;
  const start = regionStart(g, superblock.region);
  const end = start + g.regionSize;
  const reader = new DeviceReader(block);
  const index = new KeyIndex();
  let at = start;
  let crc = chainSeed(superblock.generation);
  let frames = 0;
  let tornTail = false;
  let scanned = 0;
  while (at + FRAME_HEADER <= end) {
    const head = readFrameHead(reader.read(at, FRAME_HEADER, end));
    if (!head || head.generation !== superblock.generation) break;
    if (FRAME_HEADER + head.payload > end - at) {
      tornTail = true;
      break;
    }
    const frame = reader.read(at, FRAME_HEADER + head.payload, end);
    if (!frameChecks(frame, head, crc)) {
      tornTail = true;
      break;
    }
    const records = parseRecords(frame, head);
    if (typeof records === "string") throw new KVError("ERR_KV_CORRUPT", `block device "${block.name}": the frame at byte ${at} passes its checksum but ${records}`);
    for (const r of records) {
      if (r.op === OP_PUT) index.set(r.key, { offset: at + r.valueAt, length: r.valueLength, recordLength: r.length });
      else index.delete(r.key);
    }
    crc = head.crc;
    at += frameLength(head.payload, g.sectorSize);
    scanned += frameLength(head.payload, g.sectorSize);
    frames++;
    if (scanned >= BYTES_PER_TURN) {
      scanned = 0;
      await nextTurn();
    }
  }
  return { index, tail: at, crc, frames, tornTail };
}
