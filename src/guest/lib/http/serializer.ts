/**
 * @module tsuki/http/serializer
 * Response bytes (RFC 9112 §4, §7.1): the status line and header section, and the framing of a
 * chunked body. Field names and values come from `Headers`, which has already refused CR, LF, NUL
 * and characters above U+00FF, so a head built here cannot be split by what a handler set.
 */

import { concat, latin1, latin1Bytes } from "./bytes.ts";
import { reasonPhrase } from "./status.ts";

export const CONTINUE = latin1Bytes("HTTP/1.1 100 Continue\r\n\r\n");
export const CRLF = latin1Bytes("\r\n");
/** The last chunk and an empty trailer section. */
export const LAST_CHUNK = latin1Bytes("0\r\n\r\n");

const ASCII = /^[\x00-\x7f]*$/;
/** Bodies up to this size are tried as text, to go out in one string with their head (measured: for a 3.5 KB page, converting to a string costs more than the ArrayBuffers it saves). */
const TEXT_BODY = 256;

/** `HTTP/1.1 <status> <reason>` and one line per field, then the empty line, as a byte string (code units ≤ 0xFF). */
export function serializeHead(status: number, statusText: string, fields: readonly (readonly [string, string])[]): string {
  let head = `HTTP/1.1 ${status} ${statusText === "" ? reasonPhrase(status) : statusText}\r\n`;
  for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}

/**
 * What to hand `Connection.write` for a head (and a small body sent with it): a string when it is
 * all ASCII, which the runtime passes to the host as it is (no ArrayBuffer on either side of the
 * isolate boundary); else bytes, since the runtime would encode other text as UTF-8 and a field
 * value may hold Latin-1 bytes (obs-text).
 */
export function wireHead(head: string, body?: Uint8Array): string | Uint8Array {
  if (ASCII.test(head)) {
    if (body === undefined) return head;
    if (body.length <= TEXT_BODY) {
      const text = latin1(body);
      if (ASCII.test(text)) return head + text;
    }
  }
  return body === undefined ? latin1Bytes(head) : concat([latin1Bytes(head), body]);
}

/** The chunk-size line that goes before `size` bytes of chunk data. */
export function chunkHeader(size: number): Uint8Array {
  return latin1Bytes(`${size.toString(16)}\r\n`);
}
