/**
 * @module tsuki/kv
 * A crash-safe key-value store on a `block()` device: a log of checksummed, chained frames in one
 * of two regions, compacted into the other when it fills, with two alternating superblocks.
 * A change is acknowledged (its promise resolves) only once it is on the device and flushed, and
 * survives a crash at any moment after; a torn last commit is detected and ignored on open.
 *
 * ```ts
 * import { KV } from "tsuki/kv";
 * const db = await KV.open(data);
 * await db.put("greeting", "hello");
 * db.getText("greeting"); // "hello"
 * ```
 *
 * See README.md in this folder for the on-disk format, the guarantees and the limits.
 */

export { KV, DEFAULT_MAX_VALUE_BYTES } from "./store.ts";
export type { ListOptions, OpenOptions, Stats } from "./store.ts";
export { KV_ERROR_CODES, KVError } from "./errors.ts";
export type { KVErrorCode } from "./errors.ts";
export { MAX_KEY_BYTES } from "./keys.ts";
export { FORMAT_VERSION } from "./superblock.ts";
