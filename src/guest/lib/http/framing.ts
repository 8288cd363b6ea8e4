/**
 * @module tsuki/http/framing
 * What a parsed request head means for the connection (RFC 9112 §6, §9.3; RFC 9110 §10.1.1): how
 * long its body is, whether the connection stays open after the response, and whether the client
 * waits for `100 Continue`. Anything ambiguous about the body's length is refused rather than
 * guessed, since two parties that guess differently are how requests are smuggled.
 */

import { type ProtocolError, protocolError } from "./errors.ts";
import { trimOws } from "./fields.ts";
import type { RequestHead } from "./head.ts";

export type BodyFraming = { readonly kind: "none" } | { readonly kind: "length"; readonly length: number } | { readonly kind: "chunked" };

export interface Framing {
  readonly kind: "framing";
  readonly body: BodyFraming;
  /** Whether the connection may carry another request after this one (§9.3). */
  readonly keepAlive: boolean;
  /** The client sent `Expect: 100-continue` and waits for a 100 before the body (HTTP/1.1 only). */
  readonly expectContinue: boolean;
}

/** The comma-separated elements of every field named `name`, trimmed, empty ones dropped (RFC 9110 §5.6.1). */
export function listValues(head: RequestHead, name: string): string[] {
  const out: string[] = [];
  for (const [field, value] of head.fields) {
    if (field !== name) continue;
    for (const element of value.split(",")) {
      const trimmed = trimOws(element);
      if (trimmed !== "") out.push(trimmed);
    }
  }
  return out;
}

export function hasField(head: RequestHead, name: string): boolean {
  return head.fields.some(([field]) => field === name);
}

export function frameRequest(head: RequestHead, maxBodyBytes: number): Framing | ProtocolError {
  const connection = listValues(head, "connection").map((v) => v.toLowerCase());
  // §9.3: "close" ends the connection; HTTP/1.1 persists by default; HTTP/1.0 only with keep-alive.
  const keepAlive = !connection.includes("close") && (head.minor >= 1 || connection.includes("keep-alive"));
  const hasTransferEncoding = hasField(head, "transfer-encoding");
  const hasContentLength = hasField(head, "content-length");
  let body: BodyFraming = { kind: "none" };
  if (hasTransferEncoding) {
    // §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
    if (head.minor === 0) return protocolError(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
    // §6.3 (3): both present is a smuggling attempt or a broken intermediary; we reject, never guess.
    if (hasContentLength) return protocolError(400, "a request must not have both Content-Length and Transfer-Encoding");
    const codings = listValues(head, "transfer-encoding").map((v) => v.toLowerCase());
    // §6.3 (4): if chunked is not the final coding the length cannot be known: 400 and close.
    if (codings.length === 0 || codings[codings.length - 1] !== "chunked") return protocolError(400, "chunked must be the final transfer coding");
    // §6.1: chunked is applied only once.
    if (codings.indexOf("chunked") !== codings.length - 1) return protocolError(400, "chunked is applied more than once");
    // §6.1: a transfer coding the server does not understand: 501.
    if (codings.length > 1) return protocolError(501, `transfer coding "${codings[0]}" is not implemented; only chunked is`);
    body = { kind: "chunked" };
  } else if (hasContentLength) {
    const values = listValues(head, "content-length");
    // RFC 9110 §8.6: Content-Length = 1*DIGIT; a list of identical values may be taken as one.
    if (values.length === 0 || !values.every((v) => /^[0-9]+$/.test(v))) return protocolError(400, "Content-Length is not a decimal number");
    if (values.some((v) => v !== values[0])) return protocolError(400, "Content-Length has differing values");
    const digits = values[0]!.replace(/^0+(?=.)/, "");
    if (digits.length > 15 || Number(digits) > maxBodyBytes) return protocolError(413, `the body is larger than ${maxBodyBytes} bytes`);
    const length = Number(digits);
    if (length > 0) body = { kind: "length", length };
  }
  // §6.3 (7): a request with neither has no body.
  const expect = listValues(head, "expect").map((v) => v.toLowerCase());
  // RFC 9110 §10.1.1: 100-continue is the only expectation; an HTTP/1.0 request's Expect is ignored.
  if (head.minor >= 1 && expect.some((v) => v !== "100-continue")) return protocolError(417, "the only expectation supported is 100-continue");
  const expectContinue = head.minor >= 1 && expect.length > 0 && body.kind !== "none";
  return { kind: "framing", body, keepAlive, expectContinue };
}
