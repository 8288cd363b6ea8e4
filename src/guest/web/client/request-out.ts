/**
 * @module guest/web/client/request-out
 * Writes one request on a connection (RFC 9112 §3, §6, §7.1): the request line in origin form, the
 * fields, and the body with its framing: `Content-Length` for bytes (and 0 for a POST or PUT without
 * one, as Fetch says), chunked for a stream (`duplex: "half"`: the whole body goes before the
 * response is read). Every write is awaited, so a server that does not read holds the stream's
 * source. A source stream that errors, or yields something other than bytes, cuts the request;
 * an abort cancels it.
 */

import type { Connection } from "../../sdk/devices.ts";
import { concat, latin1Bytes } from "../../lib/http/bytes.ts";
import type { ReadableStream } from "../common/types.ts";

/** One request as it goes on the wire. */
export interface Outgoing {
  readonly method: string;
  /** The request-target: path and query. */
  readonly target: string;
  /** Every field to send, Host first; names lower-case, values checked by Headers. */
  readonly fields: readonly (readonly [string, string])[];
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
}

const ASCII = /^[\x00-\x7f]*$/;
const COALESCE = 16 * 1024;
const CRLF = latin1Bytes("\r\n");
const LAST_CHUNK = "0\r\n\r\n";

export async function writeRequest(connection: Connection, out: Outgoing, signal: AbortSignal | null): Promise<void> {
  let head = `${out.method} ${out.target} HTTP/1.1\r\n`;
  for (const [name, value] of out.fields) head += `${name}: ${value}\r\n`;
  const body = out.body;
  if (body === null) {
    if (out.method === "POST" || out.method === "PUT") head += "content-length: 0\r\n";
    return connection.write(wire(`${head}\r\n`));
  }
  if (body instanceof Uint8Array) {
    const start = wire(`${head}content-length: ${body.length}\r\n\r\n`);
    if (body.length <= COALESCE) return connection.write(concat([typeof start === "string" ? latin1Bytes(start) : start, body]));
    await connection.write(start);
    return connection.write(body);
  }
  await connection.write(wire(`${head}transfer-encoding: chunked\r\n\r\n`));
  const reader = body.getReader();
  const cancel = () => void reader.cancel(signal!.reason).catch(() => undefined);
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) break;
      if (!(value instanceof Uint8Array)) throw new TypeError("fetch: a request body stream must yield Uint8Array chunks");
      if (value.length === 0) continue;
      const size = latin1Bytes(`${value.length.toString(16)}\r\n`);
      if (value.length <= COALESCE) await connection.write(concat([size, value, CRLF]));
      else {
        await connection.write(size);
        await connection.write(value);
        await connection.write(CRLF);
      }
    }
  } catch (error) {
    void reader.cancel(error).catch(() => undefined);
    throw error;
  } finally {
    signal?.removeEventListener("abort", cancel);
  }
  await connection.write(LAST_CHUNK);
}

/** A head as `write` takes it: the string itself when ASCII (it crosses to the host as it is), else its Latin-1 bytes. */
function wire(text: string): string | Uint8Array {
  return ASCII.test(text) ? text : latin1Bytes(text);
}
