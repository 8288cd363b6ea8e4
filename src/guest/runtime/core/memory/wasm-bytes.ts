/**
 * @module guest/runtime/core/memory/wasm-bytes
 * The byte-level pieces wasm-binary.ts writes a module with: LEB128 sizes and encodings, ASCII
 * names, and an output buffer of a size known ahead. Like it, they use only typed arrays and
 * methods taken when the runtime was installed, so that built-ins a guest patched later change
 * nothing in what they write.
 */

const { apply } = Reflect;
const U8 = Uint8Array;
const subarray = U8.prototype.subarray;
const setBytes = U8.prototype.set;

/** bytes[start, end) as a view (no copy). */
export const slice = (bytes: Uint8Array, start: number, end: number): Uint8Array => apply(subarray, bytes, [start, end]) as Uint8Array;

/** Appends to one buffer of a size known ahead (writes past it throw). */
export class Out {
  readonly bytes: Uint8Array;
  at = 0;

  constructor(size: number) {
    this.bytes = new U8(size);
  }

  put(part: Uint8Array): void {
    apply(setBytes, this.bytes, [part, this.at]);
    this.at += part.length;
  }

  leb(value: number): void {
    do {
      const low = value % 128;
      value = (value - low) / 128;
      this.bytes[this.at++] = value > 0 ? low | 0x80 : low;
    } while (value > 0);
  }
}

/** The bytes of an LEB128 encoding of `value` (< 2^53). */
export const lebSize = (value: number): number => {
  let n = 1;
  while (value >= 128) (value = (value - (value % 128)) / 128), n++;
  return n;
};

export function ascii(text: string): Uint8Array {
  const out = new U8(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0x7f;
  return out;
}

