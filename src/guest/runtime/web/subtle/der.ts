/**
 * @module guest/runtime/web/subtle/der
 * The subset of DER (ITU-T X.690) that key formats use, read and written inside the guest: the
 * host never parses a key's bytes (DESIGN.md, principle 5). The reader is strict: definite
 * minimal lengths, no trailing bytes, INTEGERs without superfluous leading bytes; anything else
 * throws, which the key importers turn into a DataError.
 */

export const TAG = { INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, SEQUENCE: 0x30 } as const;

export class DerError extends Error {}

/** One element: its tag and contents (a view). */
export interface Element {
  tag: number;
  body: Uint8Array;
}

/** Reads the elements of `bytes` one after the other. */
export class Reader {
  #bytes: Uint8Array;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  get done(): boolean {
    return this.#at >= this.#bytes.length;
  }

  peek(): number | undefined {
    return this.#bytes[this.#at];
  }

  next(tag?: number): Element {
    const b = this.#bytes;
    if (this.#at + 2 > b.length) throw new DerError("truncated");
    const t = b[this.#at]!;
    if ((t & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not used in keys");
    if (tag !== undefined && t !== tag) throw new DerError(`expected tag ${tag}, got ${t}`);
    let length = b[this.#at + 1]!;
    let at = this.#at + 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count === 0 || count > 3 || at + count > b.length) throw new DerError("bad length");
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + b[at + i]!;
      if (length < 0x80 || b[at] === 0) throw new DerError("length not minimal");
      at += count;
    }
    if (at + length > b.length) throw new DerError("truncated");
    this.#at = at + length;
    return { tag: t, body: b.subarray(at, at + length) };
  }

  /** A SEQUENCE's contents, as a reader. */
  sequence(): Reader {
    return new Reader(this.next(TAG.SEQUENCE).body);
  }

  /** An INTEGER's magnitude, unsigned big-endian; negative numbers are refused. */
  integer(): Uint8Array {
    const body = this.next(TAG.INTEGER).body;
    if (body.length === 0 || (body[0]! & 0x80) !== 0) throw new DerError("an empty or negative INTEGER");
    if (body.length > 1 && body[0] === 0 && (body[1]! & 0x80) === 0) throw new DerError("INTEGER not minimal");
    return body[0] === 0 && body.length > 1 ? body.subarray(1) : body;
  }

  /** A small INTEGER, as a number. */
  small(): number {
    const value = this.integer();
    if (value.length > 4) throw new DerError("INTEGER too large");
    return value.reduce((n, byte) => n * 256 + byte, 0);
  }

  oid(): string {
    return hex(this.next(TAG.OID).body);
  }

  /** A BIT STRING without unused bits. */
  bits(): Uint8Array {
    const body = this.next(TAG.BIT_STRING).body;
    if (body.length === 0 || body[0] !== 0) throw new DerError("a BIT STRING with unused bits");
    return body.subarray(1);
  }

  end(): void {
    if (!this.done) throw new DerError("trailing bytes");
  }
}

export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += (byte + 0x100).toString(16).slice(1);
  return out;
}

export function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Writes one element. */
export function der(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const size = contents.reduce((n, c) => n + c.length, 0);
  const length = size < 0x80 ? [size] : size < 0x100 ? [0x81, size] : size < 0x10000 ? [0x82, size >> 8, size & 0xff] : [0x83, size >> 16, (size >> 8) & 0xff, size & 0xff];
  const out = new Uint8Array(1 + length.length + size);
  out[0] = tag;
  out.set(length, 1);
  let at = 1 + length.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** An unsigned INTEGER from big-endian bytes. */
export function derInteger(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  const v = value.subarray(i);
  return v.length > 0 && (v[0]! & 0x80) !== 0 ? der(TAG.INTEGER, new Uint8Array([0]), v) : der(TAG.INTEGER, v.length === 0 ? new Uint8Array([0]) : v);
}

export const derOid = (hexText: string) => der(TAG.OID, fromHex(hexText));
export const derBits = (bytes: Uint8Array) => der(TAG.BIT_STRING, new Uint8Array([0]), bytes);
