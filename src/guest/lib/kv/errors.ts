/**
 * @module tsuki/kv/errors
 * The store's errors: `KVError`, an `Error` with a stable `code` (messages may improve, codes do
 * not change). Errno-style codes where the meaning is the errno's (ENOSPC, E2BIG); `ERR_KV_*` for
 * the rest.
 */

export type KVErrorCode =
  /** The key is not a string of 1–1,024 UTF-8 bytes without lone surrogates. */
  | "ERR_KV_KEY"
  /** The value is not a Uint8Array or string, or a list option has the wrong type. */
  | "ERR_KV_VALUE"
  /** The value is larger than the store's `maxValueBytes`. */
  | "E2BIG"
  /** The live data would not fit in a region even after compaction. Nothing was written. */
  | "ENOSPC"
  /** The device holds something that is not a tsuki/kv store (and is not all zeros). */
  | "ERR_KV_FOREIGN"
  /** The device holds a tsuki/kv store whose headers or records fail their checks. */
  | "ERR_KV_CORRUPT"
  /** The store was written by a format version this library does not read. */
  | "ERR_KV_VERSION"
  /** The device is too small, or its size or sector size differ from what the store was made on. */
  | "ERR_KV_GEOMETRY"
  /** An earlier write or flush failed: what is durable is unknown until the store is reopened. */
  | "ERR_KV_FAILED"
  /** `close()` was called. */
  | "ERR_KV_CLOSED";

export class KVError extends Error {
  readonly code: KVErrorCode;

  constructor(code: KVErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KVError";
    this.code = code;
  }
}
