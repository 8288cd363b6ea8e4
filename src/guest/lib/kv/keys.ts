/**
 * @module tsuki/kv/keys
 * Checking what callers pass: keys are strings of 1–1,024 UTF-8 bytes with no lone surrogates (a
 * lone surrogate would be stored as U+FFFD and come back as another key); values are bytes, or a
 * string stored as UTF-8.
 */

import { KVError } from "./errors.ts";

export const MAX_KEY_BYTES = 1024;
const encoder = new TextEncoder();

/** The key's UTF-8 bytes, or a KVError saying what is wrong with it. */
export function keyBytes(key: unknown, where: string): Uint8Array {
  if (typeof key !== "string") throw new KVError("ERR_KV_KEY", `${where}: a key must be a string, not ${key === null ? "null" : typeof key}`);
  if (key.length === 0) throw new KVError("ERR_KV_KEY", `${where}: a key must not be empty`);
  if (!key.isWellFormed()) throw new KVError("ERR_KV_KEY", `${where}: the key has a lone surrogate (it is not valid Unicode, so it has no UTF-8 form)`);
  const bytes = encoder.encode(key);
  if (bytes.length > MAX_KEY_BYTES) throw new KVError("ERR_KV_KEY", `${where}: the key is ${bytes.length} bytes of UTF-8; the most is ${MAX_KEY_BYTES}`);
  return bytes;
}

/** The value as bytes (a string becomes UTF-8), or a KVError. */
export function valueBytes(value: unknown, maxValueBytes: number, key: string): Uint8Array {
  const bytes = typeof value === "string" ? encoder.encode(value) : value instanceof Uint8Array ? value : undefined;
  if (bytes === undefined) throw new KVError("ERR_KV_VALUE", `put(${JSON.stringify(key)}): a value must be a Uint8Array or a string`);
  if (bytes.length > maxValueBytes) throw new KVError("E2BIG", `put(${JSON.stringify(key)}): the value is ${bytes.length} bytes; this store takes at most ${maxValueBytes}`);
  return bytes;
}
