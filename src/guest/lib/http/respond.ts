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
import { type BodyChunk, takeBody } from "./body.ts";
import { concat, utf8 } from "./bytes.ts";
import { httpDate } from "./date.ts";
import { trimOws } from "./fields.ts";
import type { Response } from "./response.ts";
import { CRLF, LAST_CHUNK, chunkHeader, serializeHead, wireHead } from "./serializer.ts";

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
}

/** The body was streamed and did not match its declared Content-Length: the connection must be dropped. */
export class FramingError extends Error {
  override name = "FramingError";
}

/** Sends `response`; resolves to whether the connection may carry another request. */
export async function sendResponse(connection: Connection, response: Response, exchange: Exchange): Promise<boolean> {
  const status = response.status;
  const source = takeBody(response);
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
  let stream: AsyncIterable<BodyChunk> | null = null;
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
    await connection.write(wireHead(head));
  } else if (body !== null) {
    if (body.length <= COALESCE) await connection.write(wireHead(head, body));
    else {
      await connection.write(wireHead(head));
      await connection.write(body);
    }
  } else {
    await connection.write(wireHead(head));
    await sendStream(connection, stream!, exchange.minor >= 1 && fixed === null, fixed);
  }
  return !close;
}

async function sendStream(connection: Connection, stream: AsyncIterable<BodyChunk>, chunked: boolean, fixed: number | null): Promise<void> {
  let sent = 0;
  for await (const item of stream) {
    const chunk = typeof item === "string" ? utf8(item) : item;
    if (!(chunk instanceof Uint8Array)) throw new TypeError("a streamed response body must yield Uint8Array or string chunks");
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
