/**
 * @module guest/runtime/web/subtle/bytes
 * Bytes in and out of Web Crypto: `BufferSource` arguments copied as the call begins (WebIDL
 * "get a copy of the bytes held by the buffer source"), strict base64url for JWK members
 * (RFC 7515 §2: no padding, no other characters), and big-endian integers.
 */

/**
 * A copy of a BufferSource's bytes; anything else is a TypeError naming `what`. With `copy`
 * false, a view instead: for a caller that hands the bytes to the host before any guest code can
 * run (a getter of an algorithm dictionary could otherwise change them after the call began).
 */
export function bufferSource(value: unknown, what: string, copy = true): Uint8Array<ArrayBuffer> {
  if (value instanceof ArrayBuffer) return copy ? new Uint8Array(value.slice(0)) : new Uint8Array(value);
  if (ArrayBuffer.isView(value) && !isShared(value.buffer)) {
    const view = new Uint8Array(value.buffer as ArrayBuffer, value.byteOffset, value.byteLength);
    return copy ? view.slice() : view;
  }
  if (isForeignBuffer(value)) return new Uint8Array(value as ArrayBuffer).slice();
  throw new TypeError(`${what} is not a BufferSource (an ArrayBuffer, a TypedArray or a DataView)`);
}

function isShared(buffer: ArrayBufferLike): boolean {
  return Object.prototype.toString.call(buffer) === "[object SharedArrayBuffer]";
}

/** An ArrayBuffer of another realm: tagged so, not an instance of this realm's. */
function isForeignBuffer(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.prototype.toString.call(value) === "[object ArrayBuffer]";
}

/** The result of an operation: a fresh ArrayBuffer holding exactly `bytes`. */
export function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes.buffer : bytes.slice().buffer;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

export function base64url(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
    if (i + 1 < bytes.length) out += ALPHABET[(n >> 6) & 63]!;
    if (i + 2 < bytes.length) out += ALPHABET[n & 63]!;
  }
  return out;
}

/** Strict base64url: undefined for any other character, padding, or a length that no bytes have. */
export function fromBase64url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? VALUES[code]! : -1;
    if (v < 0) return undefined;
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  // The unused low bits of the last character must be zero (RFC 4648 §3.5, canonical encoding).
  if ((value & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Without leading zero bytes (keeping one byte for zero). */
export function stripZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/** Left-padded with zeros to `size` bytes; undefined if it does not fit. */
export function padTo(bytes: Uint8Array, size: number): Uint8Array | undefined {
  const trimmed = stripZeros(bytes);
  if (trimmed.length > size) return undefined;
  const out = new Uint8Array(size);
  out.set(trimmed, size - trimmed.length);
  return out;
}

export function bitLength(bytes: Uint8Array): number {
  const n = stripZeros(bytes);
  return n[0] === 0 ? 0 : (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
