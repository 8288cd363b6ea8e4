/**
 * @module tsuki/http/respond
 * Sends one `Response` on a connection, choosing its framing (RFC 9112 §6.1–§6.3): `Content-Length`
 * when the body's size is known, chunked for a streamed body to an HTTP/1.1 client, and the end of
 * the connection for a streamed body to an HTTP/1.0 client. A HEAD response keeps the framing
 * headers a GET would get and sends no body; 204 and 304 never have one. Every write is awaited,
 * so a client that does not read holds the server at its write, not in a growing buffer.
 *
 * The handler's `Connection`, `Keep-Alive`, `Transfer-Encoding` and (except on a body-less HEAD or
 * 304) `Content-Length` fields are replaced by what the framing really is. A `Date` is added unless
 * the handler set one; no `Server` header is sent.
 */

import type { Connection } from "../../sdk/devices.ts";
import { concat } from "./bytes.ts";
import type { ClientWatch } from "./client-watch.ts";
import { httpDate } from "./date.ts";
import { trimOws } from "./fields.ts";
import { CRLF, LAST_CHUNK, chunkHeader, serializeHead, wireHead } from "./serializer.ts";
import type { Response } from "./web.ts";
import type { ReadableStream, ReadableStreamDefaultReader } from "../../web/common/types.ts";

/** Below this, a body (or a chunk and its framing) is copied next to its head and sent in one write. */
const COALESCE = 16 * 1024;
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);

export interface Exchange {
  /** The request's method: a HEAD response sends no body. */
  readonly method: string;
  /** The request's HTTP/1.x minor version. */
  readonly minor: number;
  /** Whether the request allows the connection to stay open. */
  readonly keepAlive: boolean;
  /** Tells when the client goes away: a streamed body is then cancelled, not read on. */
  readonly watch?: ClientWatch;
}

/** The body was streamed and did not match its declared Content-Length: the connection must be dropped. */
export class FramingError extends Error {
  override name = "FramingError";
}

/** A response's body as the server sends it: its bytes, its stream, or none. */
export type Body = Uint8Array | ReadableStream<Uint8Array> | null;

/** Sends `response` with `source`, its body already taken; resolves to whether the connection may carry another request. */
export async function sendResponse(connection: Connection, response: Response, source: Body, exchange: Exchange): Promise<boolean> {
  const status = response.status;
  const isHead = exchange.method === "HEAD";
  const noContent = status === 204 || status === 304;
  const fields: [string, string][] = [];
  let declared: string | null = null;
  let close = !exchange.keepAlive;
  for (const [name, value] of response.headers) {
    if (name === "content-length") declared = value;
    else if (name === "connection" && value.toLowerCase().split(",").some((token) => trimOws(token) === "close")) close = true;
    if (!HOP_BY_HOP.has(name)) fields.push([name, value]);
  }
  if (!response.headers.has("date")) fields.push(["date", httpDate()]);
  const validDeclared = declared !== null && /^[0-9]{1,15}$/.test(declared) ? Number(declared) : null;

  let body: Uint8Array | null = null;
  let stream: ReadableStream<Uint8Array> | null = null;
  let fixed: number | null = null;
  if (noContent) {
    // RFC 9110 §8.6: a 304 may carry the Content-Length the 200 would have; a 204 must not.
    if (status === 304 && validDeclared !== null) fields.push(["content-length", String(validDeclared)]);
  } else if (source === null) {
    const length = isHead && validDeclared !== null ? validDeclared : 0;
    fields.push(["content-length", String(length)]);
  } else if (source instanceof Uint8Array) {
    fields.push(["content-length", String(source.length)]);
    body = source;
  } else if (validDeclared !== null) {
    fields.push(["content-length", String(validDeclared)]);
    stream = source;
    fixed = validDeclared;
  } else if (exchange.minor >= 1) {
    if (!isHead) fields.push(["transfer-encoding", "chunked"]);
    stream = source;
  } else {
    // An HTTP/1.0 client knows no chunked coding: the body ends where the connection does.
    stream = source;
    if (!isHead) close = true;
  }
  if (close) fields.push(["connection", "close"]);
  else if (exchange.minor === 0) fields.push(["connection", "keep-alive"]);

  const head = serializeHead(status, response.statusText, fields);
  if (isHead || noContent || (body === null && stream === null)) {
    // A stream that will not be sent is cancelled, so that its source can let go of what it holds.
    if (source !== null && !(source instanceof Uint8Array)) source.cancel().catch(() => undefined);
    await connection.write(wireHead(head));
  } else if (body !== null) {
    if (body.length <= COALESCE) await connection.write(wireHead(head, body));
    else {
      await connection.write(wireHead(head));
      await connection.write(body);
    }
  } else {
    await connection.write(wireHead(head));
    await sendStream(connection, stream!, exchange.minor >= 1 && fixed === null, fixed, exchange.watch);
  }
  return !close;
}

/**
 * Sends a body stream chunk by chunk, each write awaited. A chunk that is not a Uint8Array (Fetch
 * says a body's chunks are bytes) or a stream that errors ends the response; the reader is
 * cancelled, so the stream's source learns that no one reads it any more. So it is when the client
 * goes away, even while the stream waits for its next chunk (server-sent events between events).
 */
async function sendStream(connection: Connection, stream: ReadableStream<Uint8Array>, chunked: boolean, fixed: number | null, watch: ClientWatch | undefined): Promise<void> {
  const reader = stream.getReader();
  watch?.on((reason) => void reader.cancel(reason).catch(() => undefined));
  try {
    await pump(connection, reader, chunked, fixed, watch);
  } catch (error) {
    reader.cancel(error).catch(() => undefined);
    throw error;
  }
}

async function pump(connection: Connection, reader: ReadableStreamDefaultReader<Uint8Array>, chunked: boolean, fixed: number | null, watch: ClientWatch | undefined): Promise<void> {
  let sent = 0;
  for (;;) {
    const { done, value: chunk } = await reader.read();
    // Cancelled because the client left: the body did not end, and must not look as if it had.
    if (watch?.gone) throw watch.reason;
    if (done) break;
    if (!(chunk instanceof Uint8Array)) throw new TypeError("a response body stream must yield Uint8Array chunks");
    // An empty chunk would read as the last chunk: skip it.
    if (chunk.length === 0) continue;
    sent += chunk.length;
    if (fixed !== null && sent > fixed) throw new FramingError(`the streamed body is longer than its Content-Length (${fixed})`);
    if (!chunked) await connection.write(chunk);
    else if (chunk.length <= COALESCE) await connection.write(concat([chunkHeader(chunk.length), chunk, CRLF]));
    else {
      await connection.write(chunkHeader(chunk.length));
      await connection.write(chunk);
      await connection.write(CRLF);
    }
  }
  if (fixed !== null && sent !== fixed) throw new FramingError(`the streamed body is shorter (${sent}) than its Content-Length (${fixed})`);
  if (chunked) await connection.write(LAST_CHUNK);
}
