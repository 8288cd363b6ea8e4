/**
 * @module tsuki/http/fields
 * One field line (RFC 9112 §5), shared by the header section and the chunked trailer section:
 * `field-name ":" OWS field-value OWS`, strictly. Rejected: obs-fold (a line starting with
 * whitespace, §5.2), whitespace between the name and the colon (§5.1), a name that is not a token,
 * and a value with a control character other than HTAB (bare CR and LF included).
 */

import { type ProtocolError, protocolError } from "./errors.ts";

/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB, plus DEL: never valid in a field value (RFC 9110 §5.5). */
const INVALID_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Parses one field line (without its CRLF) into a lower-case name and its value. */
export function parseFieldLine(line: string): [string, string] | ProtocolError {
  const first = line.charCodeAt(0);
  // RFC 9112 §5.2: a server MUST reject obs-fold with 400 (or replace it; we reject).
  if (first === 0x20 || first === 0x09) return protocolError(400, "obsolete line folding (obs-fold) is not accepted");
  const colon = line.indexOf(":");
  if (colon <= 0) return protocolError(400, "a header line has no field name and colon");
  const name = line.slice(0, colon);
  // RFC 9112 §5.1: no whitespace is allowed between the field name and colon; a server MUST reject it with 400.
  if (!TOKEN.test(name)) return protocolError(400, /[ \t]$/.test(name) ? "whitespace between a header field name and its colon" : "a header field name is not a token");
  const value = trimOws(line.slice(colon + 1));
  if (INVALID_VALUE.test(value)) return protocolError(400, `the value of header "${name}" holds a control character`);
  return [name.toLowerCase(), value];
}

/**
 * `text` without leading and trailing SP and HTAB (RFC 9110 §5.6.3 OWS). A loop, not a regular
 * expression: `/[ \t]+$/` takes time quadratic in a run of inner spaces, which a client controls.
 */
export function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === 0x20 || text.charCodeAt(start) === 0x09)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}
