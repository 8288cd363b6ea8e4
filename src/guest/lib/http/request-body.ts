/**
 * @module tsuki/http/request-body
 * A request's body as its handler reads it: the bytes of a Content-Length or chunked body, taken
 * from the connection only when the handler asks for more (a pull), so a client that sends faster
 * than the handler reads fills the runtime's bounded buffer and then TCP's window, never memory.
 * A body already whole in what was read with its head (the usual small POST) is handed over as
 * bytes, with no stream made.
 *
 * Malformed framing, a body past `maxBodyBytes`, one that does not arrive within
 * `requestTimeoutMs` or a client that goes away mid-body errors the stream with a TypeError (the
 * web's error) and is remembered as the protocol error the server answers with (400, 413, 408).
 * `100 Continue` goes out on the first read, so a handler that answers without reading never
 * invites the body (RFC 9110 §10.1.1). What the handler leaves unread is drained after its
 * response, up to `DRAIN_LIMIT` bytes, so that the connection can carry the next request.
 */

import type { Connection } from "../../sdk/devices.ts";
import { ChunkedDecoder } from "./chunked.ts";
import { concat } from "./bytes.ts";
import { type ProtocolError, protocolError } from "./errors.ts";
import type { BodyFraming } from "./framing.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Reader } from "./reader.ts";
import { CONTINUE } from "./serializer.ts";
import type { ReadableStream } from "../../web/common/types.ts";

/** The most bytes of a body the handler did not read that the server reads and drops to keep the connection. */
export const DRAIN_LIMIT = 1024 * 1024;

/** What a request without a body has: read already, nothing to drain (one shared object, no allocation per request). */
export interface NoBody {
  readonly done: true;
  readonly failure: undefined;
  readonly uninvited: false;
  takeWhole(): undefined;
  drain(): Promise<boolean>;
  onDone: undefined;
}

export const NO_BODY: NoBody = Object.freeze({
  done: true as const,
  failure: undefined,
  uninvited: false as const,
  takeWhole: () => undefined,
  drain: () => Promise.resolve(true),
  onDone: undefined,
});

export class RequestBody {
  #connection: Connection;
  #reader: Reader;
  #options: ResolvedOptions;
  #deadline: number;
  #remaining: number;
  #decoder: ChunkedDecoder | null;
  #continue: boolean;
  #done = false;
  /** Why the body failed: a status to answer with, or null when no one is left to answer (the client left). */
  #failure: { error: TypeError; status: ProtocolError | null } | undefined;
  #reading = false;
  /** Called once when the last byte has been read (the server then watches for the client leaving). */
  onDone: (() => void) | undefined;

  constructor(connection: Connection, reader: Reader, framing: BodyFraming, expectContinue: boolean, options: ResolvedOptions) {
    this.#connection = connection;
    this.#reader = reader;
    this.#options = options;
    this.#deadline = reader.now() + options.requestTimeoutMs;
    this.#remaining = framing.kind === "length" ? framing.length : 0;
    this.#decoder = framing.kind === "chunked" ? new ChunkedDecoder(options.maxBodyBytes, options.maxHeaderBytes) : null;
    this.#continue = expectContinue;
    this.#done = framing.kind === "none";
  }

  /** Every byte was read. */
  get done(): boolean {
    return this.#done;
  }

  /** The protocol error the body ran into, to answer with if the response has not begun. */
  get failure(): ProtocolError | null | undefined {
    return this.#failure?.status;
  }

  /** The client waits for a 100 Continue that was never sent: it may or may not send the body, so the connection cannot be reused. */
  get uninvited(): boolean {
    return this.#continue && !this.#done;
  }

  /** The whole body, if it is a Content-Length body already read with the head; consumes it. */
  takeWhole(): Uint8Array | undefined {
    if (this.#decoder !== null || this.#done || this.#reader.buffered.length < this.#remaining) return undefined;
    const body = this.#reader.buffered.slice(0, this.#remaining);
    this.#reader.consume(this.#remaining);
    this.#remaining = 0;
    this.#done = true;
    return body;
  }

  /** A byte stream of the body, pulled as the handler reads (backpressure); cancelling it stops nothing but the reading. */
  stream(): ReadableStream<Uint8Array> {
    const Stream = globalThis.ReadableStream as unknown as typeof ReadableStream;
    return new Stream<Uint8Array>(
      {
        type: "bytes",
        pull: async (controller) => {
          const chunk = await this.next();
          if (chunk === null) {
            controller.close();
            controller.byobRequest?.respond(0);
          } else controller.enqueue(owned(chunk));
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** The next bytes of the body, or null at its end; throws the body's TypeError. */
  async next(): Promise<Uint8Array | null> {
    if (this.#failure) throw this.#failure.error;
    if (this.#done) return null;
    if (this.#reading) throw new TypeError("the request body is already being read");
    this.#reading = true;
    try {
      if (this.#continue) {
        this.#continue = false;
        if (this.#reader.buffered.length === 0) await this.#connection.write(CONTINUE);
      }
      for (;;) {
        const buffered = this.#reader.buffered;
        if (buffered.length > 0) {
          const piece = this.#decoder === null ? this.#lengthPiece(buffered) : this.#chunkedPiece(buffered);
          if (piece !== undefined) return piece;
          // (#chunkedPiece may have failed the body or reached its end: TypeScript cannot see it.)
          const failure = this.#failure as { error: TypeError } | undefined;
          if (failure !== undefined) throw failure.error;
          if (this.#done) return null;
        }
        const more = await this.#reader.fill(this.#deadline);
        if (more === "eof") throw this.#fail(null, "the client closed the connection before the request body was complete");
        if (more === "timeout") throw this.#fail(protocolError(408, `the request body did not arrive within ${this.#options.requestTimeoutMs} ms`));
      }
    } catch (error) {
      // A connection that failed (reset) while the body was read: the client is gone.
      if (!this.#failure) this.#fail(null, `the connection failed while the request body was read: ${(error as Error)?.message}`);
      throw this.#failure!.error;
    } finally {
      this.#reading = false;
    }
  }

  /**
   * Reads and drops what the handler left of the body, so that the connection can carry the next
   * request; false when it cannot (the body failed, or it is longer than `DRAIN_LIMIT`).
   */
  async drain(): Promise<boolean> {
    if (this.#reading || this.uninvited) return false;
    let dropped = 0;
    try {
      for (let piece = await this.next(); piece !== null; piece = await this.next()) {
        dropped += piece.length;
        if (dropped > DRAIN_LIMIT) return false;
      }
      return true;
    } catch {
      return false;
    }
  }

  #lengthPiece(buffered: Uint8Array): Uint8Array {
    const n = Math.min(this.#remaining, buffered.length);
    const piece = buffered.subarray(0, n);
    this.#reader.consume(n);
    this.#remaining -= n;
    if (this.#remaining === 0) this.#finish();
    return piece;
  }

  #finish(): void {
    this.#done = true;
    this.onDone?.();
  }

  /** Decodes what is buffered: chunk data (one piece), or undefined when it held only framing, or an error. */
  #chunkedPiece(buffered: Uint8Array): Uint8Array | undefined {
    const progress = this.#decoder!.push(buffered);
    if (progress.kind === "error") {
      this.#fail(progress);
      return undefined;
    }
    // Chunk data is copied out of the buffer it came in: a view would pin the next request's bytes.
    const piece = progress.data.length === 0 ? undefined : concat(progress.data.length === 1 ? [progress.data[0]!.slice()] : progress.data);
    this.#reader.consume(progress.consumed);
    if (progress.done) this.#finish();
    return piece;
  }

  #fail(status: ProtocolError | null, why?: string): TypeError {
    const error = new TypeError(`the request body is unusable: ${why ?? status!.message}`);
    this.#failure = { error, status };
    return error;
  }
}

/** A chunk a byte stream may take over (it detaches the buffer): the bytes themselves when they are their whole buffer, else a copy. */
function owned(chunk: Uint8Array): Uint8Array {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
}
