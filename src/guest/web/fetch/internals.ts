/**
 * @module guest/web/fetch/internals
 * The hooks `tsuki/http`'s server uses, reached as `globalThis[Symbol.for("tsuki.web")]` (install.ts;
 * docs/abi.md): a request from what the parser read, without re-validating it, and a response's
 * body as it is (bytes to send with no stream made, or the stream), taken so that the body is
 * used. They are an interface between the `tsuki/http` an image was built with and the runtime
 * of the tender that boots it: change them only with both sides, and the ABI's version.
 */

import { type BodySource, isUnusable } from "./body.ts";
import { bodyHolder } from "./body-mixin.ts";
import { headersFromFields } from "./headers.ts";
import { type Request, abortRequest, requestFromWire } from "./request.ts";
import type { ReadableStream } from "../common/types.ts";
import { type Response, isResponse } from "./response.ts";

export interface WebInternals {
  /**
   * A `Request` from a parsed request: `fields` are lower-case names and checked values; the body
   * is all its bytes, or a stream the server feeds as they arrive.
   */
  requestFromWire(method: string, url: string, fields: readonly (readonly [string, string])[], body: Uint8Array | ReadableStream<Uint8Array> | null, onSignal?: { signalAsked(request: Request): void }): Request;
  /** Aborts the request's `signal` with `reason` (the client went away); a signal asked for later is already aborted. `onSignal` (above) is called when the signal is first asked for. */
  abortRequest(request: Request, reason: unknown): void;
  isResponse(value: unknown): boolean;
  /** The body to send: its bytes (not copied), its stream, or null; a TypeError if it was used. */
  takeBody(response: Response): Uint8Array | ReadableStream<Uint8Array> | null;
}

export const internals: WebInternals = Object.freeze({
  requestFromWire: (method: string, url: string, fields: readonly (readonly [string, string])[], body: Uint8Array | ReadableStream<Uint8Array> | null, onSignal?: { signalAsked(request: Request): void }) =>
    requestFromWire(method, url, headersFromFields(fields), body, onSignal),
  abortRequest,
  isResponse,
  takeBody(response: Response): Uint8Array | ReadableStream<Uint8Array> | null {
    const holder = bodyHolder(response);
    const source: BodySource | null = holder.source;
    if (source === null) return null;
    if (isUnusable(source)) throw new TypeError("the Response's body has already been read, or its stream is locked");
    if ("bytes" in source) {
      source.used = true;
      return source.bytes;
    }
    return source.stream as ReadableStream<Uint8Array>;
  },
});
