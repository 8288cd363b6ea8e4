/**
 * @module tsuki/http/serializer
 * Response bytes (RFC 9112 §4, §7.1): the status line and header section, and the framing of a
 * chunked body. Field names and values come from `Headers`, which has already refused CR, LF, NUL
 * and characters above U+00FF, so a head built here cannot be split by what a handler set.
 */

import { latin1Bytes } from "./bytes.ts";
import { reasonPhrase } from "./status.ts";

export const CONTINUE = latin1Bytes("HTTP/1.1 100 Continue\r\n\r\n");
export const CRLF = latin1Bytes("\r\n");
/** The last chunk and an empty trailer section. */
export const LAST_CHUNK = latin1Bytes("0\r\n\r\n");

/** `HTTP/1.1 <status> <reason>` and one line per field, then the empty line. */
export function serializeHead(status: number, statusText: string, fields: readonly (readonly [string, string])[]): Uint8Array {
  let head = `HTTP/1.1 ${status} ${statusText === "" ? reasonPhrase(status) : statusText}\r\n`;
  for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
  return latin1Bytes(`${head}\r\n`);
}

/** The chunk-size line that goes before `size` bytes of chunk data. */
export function chunkHeader(size: number): Uint8Array {
  return latin1Bytes(`${size.toString(16)}\r\n`);
}
