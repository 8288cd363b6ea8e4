/**
 * @module tsuki/http/head
 * The request head (RFC 9112 §2–§5): request line and header section, up to the empty line, parsed
 * from bytes without a clock or a connection. It can be called again as bytes arrive (`from` says
 * how far the previous call searched), and it rejects a malformed request line as soon as that line
 * is complete, or even before, without waiting for the rest of the head.
 *
 * Strict by choice: lines end in CRLF (a bare CR or a bare LF is a 400), one SP between the parts
 * of the request line, a token method, a request-target of visible ASCII, `HTTP/1.x` (another major
 * version is a 505). Over `limit` bytes the answer is 414 for a request line, 431 for the header
 * section. At most one empty line before the request line is skipped (§2.2).
 */

import { latin1 } from "./bytes.ts";
import { type ProtocolError, protocolError } from "./errors.ts";
import { parseFieldLine } from "./fields.ts";

export interface RequestHead {
  readonly method: string;
  /** The request-target exactly as sent (origin-, absolute-, authority- or asterisk-form). */
  readonly target: string;
  /** The minor version of HTTP/1.x: 0 for HTTP/1.0, 1 (or more) for HTTP/1.1. */
  readonly minor: number;
  /** Field lines in order, names lower-cased, values as byte strings (Latin-1) without OWS. */
  readonly fields: readonly [string, string][];
}

export type HeadResult =
  | { readonly kind: "incomplete"; /** Where to resume the search for the end of the head. */ readonly from: number }
  | { readonly kind: "head"; readonly head: RequestHead; /** Bytes the head took, its empty line included. */ readonly length: number }
  | ProtocolError;

const CR = 0x0d;
const LF = 0x0a;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/([0-9])\.([0-9])$/;
/** A prefix of a request line that may still become valid. */
const REQUEST_LINE_PREFIX = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*(?: [\x21-\x7e]*(?: (?:H(?:T(?:T(?:P(?:\/(?:[0-9](?:\.[0-9]?)?)?)?)?)?)?)?)?)?$/;

/** Where the head starts: after one optional CRLF; -1 when that cannot be known yet. */
function headStart(bytes: Uint8Array): number {
  if (bytes[0] !== CR) return 0;
  if (bytes.length < 2) return -1;
  return bytes[1] === LF ? 2 : 0;
}

/** Index of the LF of the first CRLF at or after `from` before `end`, or -1. */
function findLineEnd(bytes: Uint8Array, from: number, end: number): number {
  for (let i = bytes.indexOf(LF, from); i >= 0 && i < end; i = bytes.indexOf(LF, i + 1)) return i;
  return -1;
}

export function parseHead(bytes: Uint8Array, limit: number, from = 0): HeadResult {
  const start = headStart(bytes);
  if (start < 0) return { kind: "incomplete", from: 0 };
  const window = Math.min(bytes.length, start + limit);
  // The request line, checked as soon as it is complete (or found impossible before that).
  const lineEnd = findLineEnd(bytes, start, window);
  if (lineEnd < 0) {
    const partial = latin1(bytes, start, window);
    if (!REQUEST_LINE_PREFIX.test(partial.replace(/\r$/, ""))) return requestLineError(partial.replace(/\r$/, ""));
    if (bytes.length - start > limit) return protocolError(414, `the request line is longer than ${limit} bytes`);
    return { kind: "incomplete", from: start };
  }
  const line = latin1(bytes, start, lineEnd + 1);
  if (bytes[lineEnd - 1] !== CR) return protocolError(400, "the request line does not end in CRLF (bare LF)");
  const match = REQUEST_LINE.exec(line.slice(0, -2));
  if (match === null) return requestLineError(line.slice(0, -2));
  if (match[3] !== "1") return protocolError(505, `HTTP/${match[3]}.${match[4]} is not supported: this server speaks HTTP/1.1`);
  // The end of the head: CRLF CRLF, searched from where the last call stopped.
  let end = -1;
  for (let i = bytes.indexOf(LF, Math.max(from, lineEnd)); i >= 0 && i < window; i = bytes.indexOf(LF, i + 1)) {
    if (i >= 3 && bytes[i - 1] === CR && bytes[i - 2] === LF && bytes[i - 3] === CR) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) {
    if (bytes.length - start > limit) return protocolError(431, `the request head is larger than ${limit} bytes`);
    return { kind: "incomplete", from: Math.max(start, bytes.length - 3) };
  }
  const lines = latin1(bytes, lineEnd + 1, end - 4).split("\r\n");
  const fields: [string, string][] = [];
  if (end - 4 > lineEnd + 1) {
    for (const fieldLine of lines) {
      if (fieldLine.includes("\r") || fieldLine.includes("\n")) return protocolError(400, "a header line holds a bare CR or LF");
      const field = parseFieldLine(fieldLine);
      if (!Array.isArray(field)) return field;
      fields.push(field);
    }
  }
  return { kind: "head", head: { method: match[1]!, target: match[2]!, minor: Number(match[4]), fields }, length: end };
}

function requestLineError(line: string): ProtocolError {
  if (/\r/.test(line)) return protocolError(400, "the request line holds a bare CR");
  if (/^[^ ]* [^ ]* HTTP\/[0-9]\.[0-9]$/.test(line) && !/^[^ ]* [^ ]* HTTP\/1\./.test(line)) {
    return protocolError(505, "this server speaks HTTP/1.1 only");
  }
  return protocolError(400, "malformed request line");
}
