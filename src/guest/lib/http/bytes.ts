/**
 * @module tsuki/http/bytes
 * Byte helpers shared by the HTTP library: UTF-8 through the runtime's codec, Latin-1 for HTTP's
 * ByteStrings (field values are octets, RFC 9110 §5.5), and concatenation. Strings are built in
 * chunks with `String.fromCharCode.apply`, never per character.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CHUNK = 8192;

export const EMPTY: Uint8Array = new Uint8Array(0);

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** WHATWG "UTF-8 decode": a leading BOM is dropped, malformed sequences become U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Bytes as a string of code units 0–255 (ISO-8859-1), as HTTP field values are kept. */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = "";
  for (let i = start; i < end; i += CHUNK) out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(i + CHUNK, end)) as unknown as number[]);
  return out;
}

/** A string of code units 0–255 as bytes; the caller has checked that no unit is above 255. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
