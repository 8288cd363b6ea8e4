/**
 * @module guest/runtime/web/base64
 *
 * `atob` and `btoa` as the HTML standard defines them (§8.3 "Base64 utility methods"), for a bare
 * V8 isolate, which has neither. The guest runtime installs both as globals.
 *
 * Guarantees:
 * - The argument is converted like a WebIDL DOMString (`${value}`: `null` is "null", a Symbol is a
 *   TypeError); calling with no argument is a TypeError.
 * - `btoa` encodes a binary string (code units ≤ 0xFF) with padding; any larger code unit is a
 *   DOMException named "InvalidCharacterError".
 * - `atob` is forgiving-base64 decode (Infra §4.7): ASCII whitespace anywhere is ignored, padding
 *   is optional but must be correct when present, leftover bits are discarded, and every failure is
 *   a DOMException named "InvalidCharacterError". It returns a binary string (one code unit a byte).
 */

import { DOMException } from "./dom-exception.ts";
import { fromCharCodes } from "./encoding.ts";

const INVALID = 0xff;
const PAD = 64;

export function btoa(data: string): string {
  if (arguments.length === 0) throw new TypeError('The "data" argument must be specified');
  const input = `${data}`;
  const n = input.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let j = 0;
  for (let i = 0; i < n; i += 3) {
    const a = input.charCodeAt(i);
    const b = i + 1 < n ? input.charCodeAt(i + 1) : 0;
    const c = i + 2 < n ? input.charCodeAt(i + 2) : 0;
    if ((a | b | c) > 0xff) throw new DOMException("Invalid character", "InvalidCharacterError");
    out[j++] = digit(a >> 2);
    out[j++] = digit(((a & 0x3) << 4) | (b >> 4));
    out[j++] = i + 1 < n ? digit(((b & 0xf) << 2) | (c >> 6)) : 0x3d;
    out[j++] = i + 2 < n ? digit(c & 0x3f) : 0x3d;
  }
  return fromCharCodes(out, 0, j);
}

export function atob(data: string): string {
  if (arguments.length === 0) throw new TypeError('The "data" argument must be specified');
  const input = `${data}`;
  // Step 1: drop ASCII whitespace, turning each remaining character into its 6-bit value.
  const values = new Uint8Array(input.length);
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) continue;
    values[length++] = value(c);
  }
  // Step 2: a length that is a multiple of 4 may end in one or two "=".
  if (length % 4 === 0 && length > 0 && values[length - 1] === PAD) {
    length--;
    if (values[length - 1] === PAD) length--;
  }
  // Step 3: one character cannot encode a whole byte.
  if (length % 4 === 1) {
    throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
  }
  // Step 4: anything left that is not in the alphabet, "=" included.
  for (let i = 0; i < length; i++) {
    if (values[i]! >= PAD) throw new DOMException("Invalid character", "InvalidCharacterError");
  }
  // Steps 5-8: 24 bits make three bytes; 18 or 12 leftover bits make two or one, the rest dropped.
  const bytes = new Uint8Array(Math.floor((length * 3) / 4));
  let j = 0;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const bits = (values[i]! << 18) | (values[i + 1]! << 12) | (values[i + 2]! << 6) | values[i + 3]!;
    bytes[j++] = bits >> 16;
    bytes[j++] = (bits >> 8) & 0xff;
    bytes[j++] = bits & 0xff;
  }
  if (length - i >= 2) {
    const bits = (values[i]! << 18) | (values[i + 1]! << 12) | ((length - i === 3 ? values[i + 2]! : 0) << 6);
    bytes[j++] = bits >> 16;
    if (length - i === 3) bytes[j++] = (bits >> 8) & 0xff;
  }
  return fromCharCodes(bytes, 0, j);
}

/** The ASCII code of base64 digit `v` (0-63). */
function digit(v: number): number {
  if (v < 26) return v + 65; // A-Z
  if (v < 52) return v + 71; // a-z
  if (v < 62) return v - 4; // 0-9
  return v === 62 ? 0x2b : 0x2f; // + /
}

/** The 6-bit value of base64 character `c`, PAD for "=", INVALID for anything else. */
function value(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c === 0x2b) return 62;
  if (c === 0x2f) return 63;
  return c === 0x3d ? PAD : INVALID;
}
