/**
 * @module tsuki/dns/wire-reader
 * Reading DNS wire format safely. Every read checks the bounds and throws a `WireError` naming
 * what is wrong; names are decompressed with pointers that must point strictly backwards (before
 * the start of the labels being read), which rules out loops and forward pointers and bounds the
 * work by the message's length, and are checked against the 63-octet label and 255-octet name
 * limits. Labels of the reserved types 0x40 and 0x80 are errors.
 */

import { WireError } from "./errors.ts";
import { MAX_NAME, escapeLabel } from "./names.ts";

export class WireReader {
  readonly bytes: Uint8Array;
  pos: number;

  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.pos = pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) throw new WireError(`${what} runs past the end of the message`, this.pos);
  }

  u8(what = "an octet"): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what = "a 16-bit field"): number {
    this.need(2, what);
    const value = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return value;
  }

  u32(what = "a 32-bit field"): number {
    this.need(4, what);
    const b = this.bytes;
    const value = (b[this.pos]! * 0x1000000 + ((b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!)) >>> 0;
    this.pos += 4;
    return value;
  }

  take(n: number, what = "data"): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A name, decompressed, as presentation text (case as on the wire). */
  name(): string {
    return readName(this.bytes, this);
  }
}

/** Reads the name at `cursor.pos`, leaving `cursor.pos` after it (after the first pointer, if any). */
export function readName(bytes: Uint8Array, cursor: { pos: number }): string {
  let pos = cursor.pos;
  let segment = pos;
  let jumped = false;
  let size = 1;
  let out = "";
  for (;;) {
    if (pos >= bytes.length) throw new WireError("a name runs past the end of the message", pos);
    const length = bytes[pos]!;
    if (length === 0) {
      pos += 1;
      break;
    }
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= bytes.length) throw new WireError("a compression pointer runs past the end of the message", pos);
      const target = ((length & 0x3f) << 8) | bytes[pos + 1]!;
      if (target >= segment) throw new WireError(target === pos ? "a compression pointer points to itself" : "a compression pointer does not point backwards (a loop or a forward pointer)", pos);
      if (!jumped) cursor.pos = pos + 2;
      jumped = true;
      segment = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new WireError(`a label of the reserved type 0x${kind.toString(16)}`, pos);
    if (pos + 1 + length > bytes.length) throw new WireError("a label runs past the end of the message", pos);
    size += length + 1;
    if (size > MAX_NAME) throw new WireError(`a name longer than ${MAX_NAME} octets`, pos);
    out += `${escapeLabel(bytes, pos + 1, pos + 1 + length)}.`;
    pos += 1 + length;
  }
  if (!jumped) cursor.pos = pos;
  return out === "" ? "." : out;
}
