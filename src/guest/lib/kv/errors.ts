/**
 * @module tsuki/kv/errors
 * The store's errors: `KVError`, an `Error` with a stable `code` (messages may improve, codes do
 * not change), in the shape every guest library's errors share (`CodedError`). Errno-style codes
 * where the meaning is the errno's (ENOSPC, E2BIG); `ERR_KV_*` for the rest. `KV_ERROR_CODES`
 * lists them all with what each means.
 */

import { CodedError } from "../../sdk/errors.ts";

/** Every code a `KVError` can have, and what it means. */
export const KV_ERROR_CODES = {
  ERR_KV_KEY: "the key is not a string of 1–1,024 UTF-8 bytes without lone surrogates",
  ERR_KV_VALUE: "the value is not a Uint8Array or string, or a list option has the wrong type",
  E2BIG: "the value is larger than the store's maxValueBytes",
  ENOSPC: "the live data would not fit in a region even after compaction; nothing was written",
  ERR_KV_FOREIGN: "the device holds something that is not a tsuki/kv store (and is not all zeros)",
  ERR_KV_CORRUPT: "the device holds a tsuki/kv store whose headers or records fail their checks",
  ERR_KV_VERSION: "the store was written by a format version this library does not read",
  ERR_KV_GEOMETRY: "the device is too small, or its size or sector size differ from what the store was made on",
  ERR_KV_FAILED: "an earlier write or flush failed: what is durable is unknown until the store is reopened",
  ERR_KV_CLOSED: "close() was called",
} as const;

export type KVErrorCode = keyof typeof KV_ERROR_CODES;

export class KVError extends CodedError<KVErrorCode> {
  constructor(code: KVErrorCode, message: string, options?: { cause?: unknown }) {
    super("KVError", code, message, options);
  }
}
