/**
 * @module guest/web/client/response-in
 * Reads one response from a connection: its head within the connector's `headersTimeoutMs` and
 * `maxHeaderBytes` (interim 1xx responses skipped), then its body as a byte stream pulled from the
 * connection as the caller reads (backpressure to the server through the runtime's buffer and
 * TCP's window). A body read to its end gives the connection back to the pool when it can carry
 * another request; a body cancelled, aborted or cut closes it. Nothing is buffered but what one
 * read brings, so an endless body costs only what the caller keeps of it.
 */

import { ChunkedDecoder } from "../../lib/http/chunked.ts";
import { concat } from "../../lib/http/bytes.ts";
import type { Reader } from "../../lib/http/reader.ts";
import { streams } from "../common/registry.ts";
import type { ReadableStream } from "../common/types.ts";
import { type BodyFraming, type ResponseHead, bodyFraming, parseResponseHead } from "./response-head.ts";
import { listValues } from "./fields.ts";

/** Thrown when a reused connection turns out closed before any byte of the response: the request may be sent again on a new one. */
export class StaleConnection extends Error {}

export interface Limits {
  readonly headersTimeoutMs: number;
  readonly maxHeaderBytes: number;
}

/** The final response's head and how its body is delimited. */
export interface Incoming {
  readonly head: ResponseHead;
  readonly framing: BodyFraming;
  /** HTTP/1.1 without `Connection: close`, and a body whose end is known: the connection may carry another request. */
  readonly reusable: boolean;
}

export async function readHead(reader: Reader, method: string, limits: Limits, reused: boolean, where: string): Promise<Incoming> {
  const deadline = reader.now() + limits.headersTimeoutMs;
  let received = false;
  for (;;) {
    if (reader.buffered.length > 0) {
      received = true;
      const parsed = parseResponseHead(reader.buffered, limits.maxHeaderBytes);
      if (parsed.kind === "error") throw new TypeError(`fetch: ${where} sent a malformed response: ${parsed.message}${parsed.message.includes("larger than") ? " (connector({ maxHeaderBytes }) raises the limit)" : ""}`);
      if (parsed.kind === "head") {
        reader.consume(parsed.length);
        const head = parsed.head;
        if (head.status === 101) throw new TypeError(`fetch: ${where} switched protocols (101), which fetch does not do`);
        // RFC 9110 §15.2: interim responses (100 Continue, 103 Early Hints) precede the final one.
        if (head.status < 200) continue;
        const framing = bodyFraming(head, method);
        if (typeof framing === "string") throw new TypeError(`fetch: ${where} sent a malformed response: ${framing}`);
        const close = listValues(head.fields, "connection").some((v) => v.toLowerCase() === "close");
        return { head, framing, reusable: head.minor >= 1 && !close && framing.kind !== "close" };
      }
    }
    const more = await reader.fill(deadline);
    if (more === "eof") {
      if (reused && !received) throw new StaleConnection();
      throw new TypeError(`fetch: ${where} closed the connection before it sent a whole response head`);
    }
    if (more === "timeout") throw new TypeError(`fetch: ${where} sent no response head within ${limits.headersTimeoutMs} ms (connector({ headersTimeoutMs }) sets the limit)`);
  }
}

/**
 * The body as a byte stream; `done(reusable)` is called once, when the body was read to its end
 * (true) or will not be (false: the connection must close).
 */
export function bodyStream(reader: Reader, incoming: Incoming, signal: AbortSignal | null, where: string, done: (reusable: boolean) => void): ReadableStream<Uint8Array> {
  const framing = incoming.framing;
  let remaining = framing.kind === "length" ? framing.length : 0;
  const decoder = framing.kind === "chunked" ? new ChunkedDecoder(Number.MAX_SAFE_INTEGER, 64 * 1024) : null;
  let finished = false;
  const finish = (reusable: boolean) => {
    if (finished) return;
    finished = true;
    signal?.removeEventListener("abort", abort);
    done(reusable);
  };
  let controller: { error(reason: unknown): void } | undefined;
  const abort = () => {
    controller?.error(signal!.reason);
    finish(false);
  };
  signal?.addEventListener("abort", abort, { once: true });
  const cut = (why: string) => new TypeError(`fetch: the response body from ${where} ${why}`);

  /** The next piece of the body, or null at its end. */
  async function next(): Promise<Uint8Array | null> {
    for (;;) {
      if ((decoder === null && framing.kind === "length" && remaining === 0) || remaining === -1) return null;
      const buffered = reader.buffered;
      if (buffered.length > 0) {
        if (framing.kind === "close") {
          reader.consume(buffered.length);
          return buffered;
        }
        if (decoder === null) {
          const n = Math.min(remaining, buffered.length);
          reader.consume(n);
          remaining -= n;
          return buffered.subarray(0, n);
        }
        const progress = decoder.push(buffered);
        if (progress.kind === "error") throw cut(`is malformed: ${progress.message}`);
        reader.consume(progress.consumed);
        if (progress.done) remaining = -1;
        if (progress.data.length > 0) return concat(progress.data.length === 1 ? [progress.data[0]!.slice()] : progress.data);
      }
      if (remaining === -1) return null;
      const more = await reader.fill(Infinity);
      if (more === "eof") {
        if (framing.kind === "close") return null;
        throw cut("ended before its end: the connection closed");
      }
    }
  }

  const Stream = streams().ReadableStream;
  return new Stream({
    type: "bytes",
    start(c) {
      controller = c;
    },
    async pull(c) {
      let piece: Uint8Array | null;
      try {
        piece = await next();
      } catch (error) {
        finish(false);
        throw signal?.aborted ? signal.reason : error instanceof TypeError ? error : cut(`failed: ${(error as Error)?.message}`);
      }
      if (piece === null) {
        c.close();
        c.byobRequest?.respond(0);
        finish(incoming.reusable && reader.buffered.length === 0);
      } else c.enqueue(owned(piece));
    },
    cancel() {
      finish(false);
    },
  }, { highWaterMark: 0 }) as unknown as ReadableStream<Uint8Array>;
}

function owned(chunk: Uint8Array): Uint8Array {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
}
