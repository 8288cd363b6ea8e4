/**
 * @module tsuki/kv/record
 * One change in the log: a put (key and value) or a delete (key only). A record is encoded once,
 * when the change is requested, so the caller may reuse its buffer at once.
 *
 * Layout (little-endian): op u8 (1 put, 2 delete) · key length u16 · value length u32 · key
 * (UTF-8) · value.
 */

export const RECORD_HEADER = 7;
export const OP_PUT = 1;
export const OP_DELETE = 2;

export interface EncodedRecord {
  readonly op: typeof OP_PUT | typeof OP_DELETE;
  readonly key: string;
  /** The whole record, header included. */
  readonly bytes: Uint8Array;
}

export function encodeRecord(op: typeof OP_PUT | typeof OP_DELETE, key: string, keyBytes: Uint8Array, value: Uint8Array): EncodedRecord {
  const bytes = new Uint8Array(RECORD_HEADER + keyBytes.length + value.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, op);
  view.setUint16(1, keyBytes.length, true);
  view.setUint32(3, value.length, true);
  bytes.set(keyBytes, RECORD_HEADER);
  bytes.set(value, RECORD_HEADER + keyBytes.length);
  return { op, key, bytes };
}

/** Where a record's value lies, relative to the record's first byte. */
export const valueOffset = (record: EncodedRecord): number => RECORD_HEADER + new DataView(record.bytes.buffer, record.bytes.byteOffset).getUint16(1, true);
