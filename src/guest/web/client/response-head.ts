/**
 * @module guest/web/client/response-head
 * A response's head (RFC 9112 §4–§5): status line and header section, parsed from the bytes a
 * server sent, incrementally as they arrive, within a size limit. Strict where a lenient reading
 * could be fooled (lines end in CRLF, field names are tokens, no obs-fold, no control characters
 * in values: tsuki/http's field parser), lenient where servers commonly differ (an empty reason
 * phrase, with or without its space). What the body's length is follows from the head
 * (`bodyFraming`, §6.3), and anything ambiguous about it is an error, never a guess.
 */

import { latin1 } from "../../lib/http/bytes.ts";
import { listValues, parseFieldLine } from "./fields.ts";

export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  readonly minor: number;
  /** Names lower-cased, values as byte strings, in order. */
  readonly fields: readonly [string, string][];
}

export type HeadResult = { readonly kind: "incomplete" } | { readonly kind: "head"; readonly head: ResponseHead; readonly length: number } | { readonly kind: "error"; readonly message: string };

const STATUS_LINE = /^HTTP\/1\.([0-9]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const LF = 0x0a;

/** The head at the start of `bytes`, if it is all there within `limit` bytes. */
export function parseResponseHead(bytes: Uint8Array, limit: number): HeadResult {
  let end = -1;
  const window = Math.min(bytes.length, limit);
  for (let i = bytes.indexOf(LF); i >= 0 && i < window; i = bytes.indexOf(LF, i + 1)) {
    if (i >= 3 && bytes[i - 1] === 0x0d && bytes[i - 2] === LF && bytes[i - 3] === 0x0d) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) {
    if (bytes.length >= limit) return { kind: "error", message: `the response head is larger than ${limit} bytes` };
    // A first line that cannot be a status line fails at once, not after the whole limit.
    const first = bytes.indexOf(LF);
    if (first >= 0 && !STATUS_LINE.test(latin1(bytes, 0, first).replace(/\r$/, ""))) return { kind: "error", message: `the response does not begin with an HTTP/1.x status line: ${JSON.stringify(latin1(bytes, 0, Math.min(first, 60)))}` };
    return { kind: "incomplete" };
  }
  const lines = latin1(bytes, 0, end - 4).split("\r\n");
  const match = STATUS_LINE.exec(lines[0]!);
  if (match === null) return { kind: "error", message: `the response does not begin with an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 60))}` };
  const fields: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line.includes("\r") || line.includes("\n")) return { kind: "error", message: "a response header line holds a bare CR or LF" };
    const field = parseFieldLine(line);
    if (!Array.isArray(field)) return { kind: "error", message: `a response header is malformed: ${field.message}` };
    fields.push(field);
  }
  return { kind: "head", head: { status: Number(match[2]), reason: match[3] ?? "", minor: Number(match[1]), fields }, length: end };
}

export type BodyFraming = { readonly kind: "none" } | { readonly kind: "length"; readonly length: number } | { readonly kind: "chunked" } | { readonly kind: "close" };

/** RFC 9112 §6.3: how the body of a response to `method` is delimited, or why that cannot be known. */
export function bodyFraming(head: ResponseHead, method: string): BodyFraming | string {
  if (method === "HEAD" || head.status === 204 || head.status === 304 || head.status < 200) return { kind: "none" };
  const codings = listValues(head.fields, "transfer-encoding").map((v) => v.toLowerCase());
  const lengths = listValues(head.fields, "content-length");
  if (codings.length > 0) {
    // §6.3 (3): both at once is how responses are smuggled; a client may not guess.
    if (lengths.length > 0) return "the response has both Transfer-Encoding and Content-Length";
    // §6.3 (4): chunked not last: the body runs until the connection closes.
    return codings[codings.length - 1] === "chunked" && codings.indexOf("chunked") === codings.length - 1 ? { kind: "chunked" } : { kind: "close" };
  }
  if (lengths.length > 0) {
    if (!lengths.every((v) => /^[0-9]{1,15}$/.test(v)) || lengths.some((v) => v !== lengths[0])) return `the response's Content-Length is not one decimal number: ${JSON.stringify(lengths.join(", ").slice(0, 60))}`;
    const length = Number(lengths[0]);
    return length === 0 ? { kind: "none" } : { kind: "length", length };
  }
  return { kind: "close" };
}
