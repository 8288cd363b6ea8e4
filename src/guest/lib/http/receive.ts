/**
 * @module tsuki/http/receive
 * Reads one request from a connection: waits for its first byte (the keep-alive idle time), its
 * head (the headers timeout), then its whole body (the request timeout), answering
 * `100 Continue` first when the client waits for it. Returns the parsed request, a protocol error
 * to answer with, or "closed" when the peer went away or stayed silent and there is no one to
 * answer.
 */

import type { Connection } from "../../sdk/devices.ts";
import { ChunkedDecoder } from "./chunked.ts";
import { type ProtocolError, protocolError } from "./errors.ts";
import { type Framing, frameRequest } from "./framing.ts";
import { type RequestHead, parseHead } from "./head.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Reader } from "./reader.ts";
import { CONTINUE } from "./serializer.ts";
import { requestUrl } from "./target.ts";

export interface Received {
  readonly kind: "request";
  readonly head: RequestHead;
  readonly framing: Framing;
  readonly url: string;
  /** The whole body; null when the request had no Content-Length or Transfer-Encoding. */
  readonly body: Uint8Array | null;
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
  if (framing.expectContinue && reader.buffered.length === 0) await connection.write(CONTINUE);
  const bodyBy = now() + options.requestTimeoutMs;
  let body: Uint8Array | null | ProtocolError | "closed" = null;
  if (framing.body.kind === "length") body = await readLength(reader, framing.body.length, bodyBy, options);
  else if (framing.body.kind === "chunked") body = await readChunked(reader, bodyBy, options);
  if (body === "closed" || (body !== null && !(body instanceof Uint8Array))) return body;
  return { kind: "request", head, framing, url, body };
}

function timedOut(options: ResolvedOptions): ProtocolError {
  return protocolError(408, `the request body did not arrive within ${options.requestTimeoutMs} ms`);
}

async function readLength(reader: Reader, length: number, deadline: number, options: ResolvedOptions): Promise<Uint8Array | ProtocolError | "closed"> {
  const body = new Uint8Array(length);
  let at = 0;
  for (;;) {
    const take = Math.min(length - at, reader.buffered.length);
    body.set(reader.buffered.subarray(0, take), at);
    reader.consume(take);
    at += take;
    if (at === length) return body;
    const more = await reader.fill(deadline);
    if (more === "eof") return "closed";
    if (more === "timeout") return timedOut(options);
  }
}

async function readChunked(reader: Reader, deadline: number, options: ResolvedOptions): Promise<Uint8Array | ProtocolError | "closed"> {
  const decoder = new ChunkedDecoder(options.maxBodyBytes, options.maxHeaderBytes);
  // Chunk data is copied into one growing buffer as it comes: keeping a view per chunk would let a
  // body of one-byte chunks cost a hundred times its size in objects.
  let body = new Uint8Array(Math.min(16 * 1024, options.maxBodyBytes));
  let size = 0;
  for (;;) {
    if (reader.buffered.length > 0) {
      const progress = decoder.push(reader.buffered);
      if (progress.kind === "error") return progress;
      for (const piece of progress.data) {
        if (size + piece.length > body.length) {
          const grown = new Uint8Array(Math.min(options.maxBodyBytes, Math.max(size + piece.length, body.length * 2)));
          grown.set(body.subarray(0, size));
          body = grown;
        }
        body.set(piece, size);
        size += piece.length;
      }
      reader.consume(progress.consumed);
      if (progress.done) return size === body.length ? body : body.slice(0, size);
    }
    const more = await reader.fill(deadline);
    if (more === "eof") return "closed";
    if (more === "timeout") return timedOut(options);
  }
}
