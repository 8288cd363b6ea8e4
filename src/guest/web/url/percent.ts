/**
 * @module guest/web/url/percent
 * Percent-encoding as the URL Standard defines it (§1.3): the encode sets of each URL component,
 * UTF-8 percent-encoding of code points and strings, percent-decoding to bytes, and the
 * `application/x-www-form-urlencoded` parser and serializer (§5). Text is encoded as UTF-8 (a lone
 * surrogate as U+FFFD, as USVString conversion makes it), and every code point above U+007E is
 * encoded in every set.
 */

/** An encode set over ASCII: 1 marks a code point to encode; code points above U+007E always are. */
export type EncodeSet = Uint8Array;

function makeSet(base: EncodeSet | null, chars: string): EncodeSet {
  const set = base ? base.slice() : new Uint8Array(128);
  if (!base) {
    for (let i = 0; i < 0x20; i++) set[i] = 1;
    set[0x7f] = 1;
  }
  for (const c of chars) set[c.charCodeAt(0)] = 1;
  return set;
}

export const C0_CONTROL_SET = makeSet(null, "");
export const FRAGMENT_SET = makeSet(C0_CONTROL_SET, ' "<>`');
export const QUERY_SET = makeSet(C0_CONTROL_SET, ' "#<>');
export const SPECIAL_QUERY_SET = makeSet(QUERY_SET, "'");
export const PATH_SET = makeSet(QUERY_SET, "?^`{}");
export const USERINFO_SET = makeSet(PATH_SET, "/:;=@[\\]|");
export const COMPONENT_SET = makeSet(USERINFO_SET, "$%&+,");
export const FORM_SET = makeSet(COMPONENT_SET, "!'()~");

const HEX = "0123456789ABCDEF";
const encoder = new TextEncoder();

function needsEncoding(text: string, set: EncodeSet): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e || set[c] === 1) return true;
  }
  return false;
}

/** UTF-8 percent-encodes `text` with `set`; `spaceAsPlus` for form encoding. */
export function percentEncode(text: string, set: EncodeSet, spaceAsPlus = false): string {
  if (!needsEncoding(text, set) && !(spaceAsPlus && text.includes(" "))) return text;
  let out = "";
  for (const byte of encoder.encode(text)) {
    if (spaceAsPlus && byte === 0x20) out += "+";
    else if (byte <= 0x7e && set[byte] !== 1) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** §1.3 "percent-decode" of `text` as UTF-8 bytes: each valid `%XX` becomes its byte. */
export function percentDecode(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  if (!bytes.includes(0x25)) return bytes;
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

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** "UTF-8 decode without BOM": malformed sequences become U+FFFD. */
export function utf8DecodeWithoutBOM(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** §5.1 application/x-www-form-urlencoded parser. */
export function parseUrlencoded(input: string): [string, string][] {
  const out: [string, string][] = [];
  for (const sequence of input.split("&")) {
    if (sequence === "") continue;
    const eq = sequence.indexOf("=");
    const name = eq < 0 ? sequence : sequence.slice(0, eq);
    const value = eq < 0 ? "" : sequence.slice(eq + 1);
    out.push([formDecode(name), formDecode(value)]);
  }
  return out;
}

function formDecode(text: string): string {
  const spaced = text.includes("+") ? text.replaceAll("+", " ") : text;
  if (!spaced.includes("%")) return spaced.toWellFormed();
  return utf8DecodeWithoutBOM(percentDecode(spaced));
}

/** §5.2 application/x-www-form-urlencoded serializer. */
export function serializeUrlencoded(list: readonly (readonly [string, string])[]): string {
  let out = "";
  for (let i = 0; i < list.length; i++) {
    const [name, value] = list[i]!;
    out += `${i === 0 ? "" : "&"}${percentEncode(name, FORM_SET, true)}=${percentEncode(value, FORM_SET, true)}`;
  }
  return out;
}
