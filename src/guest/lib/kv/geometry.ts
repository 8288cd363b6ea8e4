/**
 * @module tsuki/kv/geometry
 * Where things are on the device. Sectors 0 and 1 are the two superblock slots (written
 * alternately, so a torn header write leaves the other intact); the rest is split into two equal
 * regions of whole sectors. One region holds the live log; compaction writes the live records into
 * the other and then switches the superblock to it (ping-pong, as in a copying collector).
 */

/** The smallest region, in sectors: enough for a few records after every overhead. */
const MIN_REGION_SECTORS = 8;

export interface Geometry {
  readonly sectorSize: number;
  readonly deviceSize: number;
  /** Bytes per region, a multiple of the sector size. */
  readonly regionSize: number;
}

/** The geometry of a device of `deviceSize` bytes, or why it cannot hold a store. */
export function geometryFor(deviceSize: number, sectorSize: number): Geometry | string {
  const regionSize = Math.floor((deviceSize - 2 * sectorSize) / 2 / sectorSize) * sectorSize;
  if (regionSize < MIN_REGION_SECTORS * sectorSize) {
    return `the device has ${deviceSize} bytes; a store needs at least ${(2 + 2 * MIN_REGION_SECTORS) * sectorSize} (two header sectors and two regions of ${MIN_REGION_SECTORS} sectors)`;
  }
  return { sectorSize, deviceSize, regionSize };
}

/** Byte offset of superblock slot 0 or 1. */
export const slotOffset = (g: Geometry, slot: number): number => slot * g.sectorSize;

/** Byte offset where region 0 or 1 begins. */
export const regionStart = (g: Geometry, region: number): number => 2 * g.sectorSize + region * g.regionSize;

/** `n` rounded up to a whole number of sectors. */
export const roundUp = (n: number, sectorSize: number): number => Math.ceil(n / sectorSize) * sectorSize;

/** `n` rounded down to a sector boundary. */
export const roundDown = (n: number, sectorSize: number): number => Math.floor(n / sectorSize) * sectorSize;
