/**
 * @module tsuki/kv/superblock
 * The superblock: which region holds the live log and under which generation. Two slots hold one
 * each; the valid one with the higher generation wins, so switching regions is one sector write
 * into the slot that does not hold the current superblock (LMDB's two meta pages).
 *
 * Layout (64 bytes at the start of a sector, little-endian, rest of the sector zero):
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 8 | magic `tsuki-kv` |
 * | 8 | 4 | format version (1) |
 * | 12 | 4 | sector size |
 * | 16 | 8 | generation (u64; frames of the live log carry it) |
 * | 24 | 8 | device size in bytes |
 * | 32 | 8 | region size in bytes |
 * | 40 | 4 | live region (0 or 1) |
 * | 44 | 16 | reserved, zero |
 * | 60 | 4 | CRC-32C of bytes 0–59 |
 */

import { crc32c } from "./crc32c.ts";
import type { Geometry } from "./geometry.ts";

export const FORMAT_VERSION = 1;
export const MAGIC = new TextEncoder().encode("tsuki-kv");
const SIZE = 64;
const CRC_AT = 60;

export interface Superblock {
  /** Starts at 1; each compaction adds one. The slot it lives in is `generation % 2`. */
  readonly generation: number;
  readonly region: 0 | 1;
  readonly geometry: Geometry;
}

export type SlotContents =
  | { readonly kind: "valid"; readonly superblock: Superblock }
  | { readonly kind: "zero" }
  | { readonly kind: "foreign" }
  | { readonly kind: "damaged"; readonly why: string }
  | { readonly kind: "version"; readonly version: number };

const getU64 = (view: DataView, at: number): number => view.getUint32(at + 4, true) * 2 ** 32 + view.getUint32(at, true);
function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % 2 ** 32, true);
  view.setUint32(at + 4, Math.floor(value / 2 ** 32), true);
}

/** The sector holding `superblock`. */
export function encodeSuperblock(superblock: Superblock): Uint8Array {
  const g = superblock.geometry;
  const bytes = new Uint8Array(g.sectorSize);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, g.sectorSize, true);
  setU64(view, 16, superblock.generation);
  setU64(view, 24, g.deviceSize);
  setU64(view, 32, g.regionSize);
  view.setUint32(40, superblock.region, true);
  view.setUint32(CRC_AT, crc32c(bytes.subarray(0, CRC_AT)), true);
  return bytes;
}

/** What one slot's sector holds. */
export function decodeSlot(sector: Uint8Array): SlotContents {
  if (sector.every((b) => b === 0)) return { kind: "zero" };
  if (!MAGIC.every((b, i) => sector[i] === b)) return { kind: "foreign" };
  const view = new DataView(sector.buffer, sector.byteOffset, SIZE);
  if (view.getUint32(CRC_AT, true) !== crc32c(sector.subarray(0, CRC_AT))) return { kind: "damaged", why: "its checksum does not match" };
  const version = view.getUint32(8, true);
  if (version !== FORMAT_VERSION) return { kind: "version", version };
  const region = view.getUint32(40, true);
  const generation = getU64(view, 16);
  if (region > 1 || generation < 1) return { kind: "damaged", why: `it names region ${region}, generation ${generation}` };
  const geometry = { sectorSize: view.getUint32(12, true), deviceSize: getU64(view, 24), regionSize: getU64(view, 32) };
  return { kind: "valid", superblock: { generation, region: region as 0 | 1, geometry } };
}
