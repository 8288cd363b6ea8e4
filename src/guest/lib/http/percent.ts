/**
 * @module tsuki/http/percent
 * Percent-encoding and -decoding as the WHATWG URL Standard defines them (§1.3): the encode sets
 * used by URL components, and `application/x-www-form-urlencoded` serialisation. Text is encoded
 * as UTF-8 first (a lone surrogate becomes U+FFFD, as USVString conversion does), so every byte
 * above 0x7E is always encoded.
 */

import { utf8 } from "./bytes.ts";

/** A set of ASCII bytes to encode, as a 128-entry table; bytes ≥ 0x7F are always encoded. */
export type EncodeSet = Uint8Array;

function makeSet(base: EncodeSet | null, chars: string): EncodeSet {
  const set = base ? base.slice() : new Uint8Array(128);
  if (!base) for (let i = 0; i < 0x20; i++) set[i] = 1;
  set[0x7f] = 1;
  for (const c of chars) set[c.charCodeAt(0)] = 1;
  return set;
}

/** C0 controls and everything above U+007E. */
export const C0_CONTROL_SET = makeSet(null, "");
export const FRAGMENT_SET = makeSet(C0_CONTROL_SET, ' "<>`');
export const QUERY_SET = makeSet(C0_CONTROL_SET, ' "#<>');
export const SPECIAL_QUERY_SET = makeSet(QUERY_SET, "'");
export const PATH_SET = makeSet(QUERY_SET, "?^`{}");
export const USERINFO_SET = makeSet(PATH_SET, "/:;=@[\\]|");

const HEX = "0123456789ABCDEF";

function needsEncoding(text: string, set: EncodeSet): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x7f || set[c] === 1) return true;
  }
  return false;
}

/** Percent-encodes `text` (as UTF-8) with `set`. A `%` is never encoded: it is left for the reader. */
export function percentEncode(text: string, set: EncodeSet): string {
  if (!needsEncoding(text, set)) return text;
  let out = "";
  for (const byte of utf8(text)) {
    out += byte < 0x7f && set[byte] !== 1 ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** The bytes of `text` (as UTF-8) with each `%XX` replaced by its byte; a `%` not followed by two hex digits stays. */
export function percentDecodeBytes(text: string): Uint8Array {
  const bytes = utf8(text);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && i + 2 < bytes.length) {
      const hi = hexValue(bytes[i + 1]!);
      const lo = hexValue(bytes[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = b;
  }
  return out.subarray(0, n);
}

/** `application/x-www-form-urlencoded` parsing of one name or value: `+` is a space, then percent-decoding, then UTF-8. */
export function formDecode(text: string): string {
  if (text.indexOf("%") < 0) return text.indexOf("+") < 0 ? toUSV(text) : toUSV(text.replaceAll("+", " "));
  return fromUtf8Keep(percentDecodeBytes(text.replaceAll("+", " ")));
}

/** `application/x-www-form-urlencoded` serialisation of one name or value (URL Standard §5.2). */
export function formEncode(text: string): string {
  if (/^[A-Za-z0-9*\-._]*$/.test(text)) return text;
  let out = "";
  for (const byte of utf8(text)) {
    if (byte === 0x20) out += "+";
    else if ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2a || byte === 0x2d || byte === 0x2e || byte === 0x5f) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

const keepBom = new TextDecoder("utf-8", { ignoreBOM: true });

/** UTF-8 decode without dropping a BOM ("UTF-8 decode without BOM"), malformed sequences as U+FFFD. */
export function fromUtf8Keep(bytes: Uint8Array): string {
  return keepBom.decode(bytes);
}

/** A string as a USVString: lone surrogates become U+FFFD (WebIDL conversion). */
export function toUSV(text: string): string {
  return text.toWellFormed();
}
