/**
 * @module tsuki/kv/open-device
 * Deciding what a device holds before anything is written to it: a store (the valid superblock
 * with the higher generation), nothing (all zeros at the start: format it), or something else (a
 * clear error, never a silent reformat).
 */

import type { Block } from "../../sdk/devices.ts";
import { KVError } from "./errors.ts";
import { type Geometry, geometryFor, slotOffset } from "./geometry.ts";
import { FORMAT_VERSION, type Superblock, decodeSlot } from "./superblock.ts";

/** How much of the device must be zeros for it to count as blank (a file system may leave its first KiB zero). */
const BLANK_CHECK = 1024 * 1024;

export type Found = { readonly kind: "store"; readonly superblock: Superblock } | { readonly kind: "blank"; readonly geometry: Geometry };

export function inspectDevice(block: Block): Found {
  const geometry = geometryFor(block.size, block.sectorSize);
  if (typeof geometry === "string") throw new KVError("ERR_KV_GEOMETRY", `block device "${block.name}": ${geometry}`);
  const slots = [0, 1].map((slot) => decodeSlot(block.read(slotOffset(geometry, slot), geometry.sectorSize)));
  const newer = slots.find((s) => s.kind === "version");
  if (newer?.kind === "version") {
    throw new KVError("ERR_KV_VERSION", `block device "${block.name}" holds a tsuki/kv store of format version ${newer.version}; this library reads version ${FORMAT_VERSION}`);
  }
  const valid = slots.flatMap((s) => (s.kind === "valid" ? [s.superblock] : []));
  if (valid.length > 0) {
    const superblock = valid.reduce((a, b) => (b.generation > a.generation ? b : a));
    const g = superblock.geometry;
    if (g.sectorSize !== geometry.sectorSize || g.deviceSize !== geometry.deviceSize || g.regionSize !== geometry.regionSize) {
      throw new KVError(
        "ERR_KV_GEOMETRY",
        `block device "${block.name}" holds a store made on a device of ${g.deviceSize} bytes with ${g.sectorSize}-byte sectors, but it is now ${geometry.deviceSize} bytes with ${geometry.sectorSize}-byte sectors; bind it with its original size and sector`,
      );
    }
    return { kind: "store", superblock };
  }
  const damaged = slots.find((s) => s.kind === "damaged");
  if (damaged?.kind === "damaged") {
    throw new KVError("ERR_KV_CORRUPT", `block device "${block.name}" holds a tsuki/kv store whose superblocks are both unreadable (${damaged.why}); nothing was changed`);
  }
  const blank = slots.every((s) => s.kind === "zero") && block.read(0, Math.min(block.size, BLANK_CHECK)).every((b) => b === 0);
  if (!blank) {
    throw new KVError("ERR_KV_FOREIGN", `block device "${block.name}" holds data that is not a tsuki/kv store; nothing was changed (a blank device must be all zeros in its first MiB)`);
  }
  return { kind: "blank", geometry };
}
