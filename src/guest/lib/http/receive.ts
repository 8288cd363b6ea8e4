/**
 * @module tsuki/http/receive
 * Reads one request's head from a connection: waits for its first byte (the keep-alive idle time),
 * then its head (the headers timeout). Returns the parsed request with its body still to read
 * (request-body.ts: the handler reads it as it arrives), a protocol error to answer with, or
 * "closed" when the peer went away or stayed silent and there is no one to answer.
 */

import type { Connection } from "../../sdk/devices.ts";
import { type ProtocolError, protocolError } from "./errors.ts";
import { type Framing, frameRequest } from "./framing.ts";
import { type RequestHead, parseHead } from "./head.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Reader } from "./reader.ts";
import { NO_BODY, type NoBody, RequestBody } from "./request-body.ts";
import { requestUrl } from "./target.ts";

export interface Received {
  readonly kind: "request";
  readonly head: RequestHead;
  readonly framing: Framing;
  readonly url: string;
  /** The body, not yet read; NO_BODY when the request has none. */
  readonly body: RequestBody | NoBody;
}

export interface Wait {
  /** Until when to wait for the request's first byte. */
  readonly firstByte: number;
  /** When the head must be complete if it started before now (the connection's first request); else now + headers timeout. */
  readonly headBy: number | null;
}

export async function receiveRequest(connection: Connection, reader: Reader, options: ResolvedOptions, wait: Wait, fallbackHost: string): Promise<Received | ProtocolError | "closed"> {
  const now = () => reader.now();
  if (reader.buffered.length === 0) {
    const first = await reader.fill(wait.firstByte);
    if (first !== "data") return "closed";
  }
  const headBy = wait.headBy ?? now() + options.headersTimeoutMs;
  let parsed = parseHead(reader.buffered, options.maxHeaderBytes);
  while (parsed.kind === "incomplete") {
    const more = await reader.fill(headBy);
    if (more === "eof") return "closed";
    if (more === "timeout") return protocolError(408, `the request head did not arrive within ${options.headersTimeoutMs} ms`);
    parsed = parseHead(reader.buffered, options.maxHeaderBytes, parsed.from);
  }
  if (parsed.kind === "error") return parsed;
  const head = parsed.head;
  reader.consume(parsed.length);
  const framing = frameRequest(head, options.maxBodyBytes);
  if (framing.kind === "error") return framing;
  // RFC 9110 §9.3.6: CONNECT asks for a tunnel, which this server does not make.
  if (head.method === "CONNECT") return protocolError(501, "CONNECT is not supported");
  const url = requestUrl(head, options.scheme, fallbackHost);
  if (typeof url !== "string") return url;
  const body = framing.body.kind === "none" ? NO_BODY : new RequestBody(connection, reader, framing.body, framing.expectContinue, options);
  return { kind: "request", head, framing, url, body };
}
