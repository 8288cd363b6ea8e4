/**
 * @module tsuki/http
 * An HTTP/1.1 server for unikernels, written for a bare isolate, whose handlers take and return
 * the web's `Request` and `Response`, so that they read like Workers or Deno handlers:
 *
 * ```ts
 * import { serve } from "tsuki/http";
 * await serve(web, (request) => new Response("hello\n"));
 * ```
 *
 * `Request`, `Response`, `Headers`, `URL` and `URLSearchParams` are the unikernel's globals; the
 * exports of the same names here are those globals, for code that imports them. See README.md in
 * this folder for what of RFC 9112 is implemented and the limits that apply.
 */

export { serve } from "./server.ts";
export type { Handler, ServeInfo } from "./server.ts";
export type { ServeOptions } from "./options.ts";

export { Headers, Request, Response, URL, URLSearchParams } from "./web.ts";
export type { BodyInit, HeadersInit, RequestInit, ResponseInit } from "./web.ts";
/** A chunk of a body streamed from an async iterable: bytes, or text sent as UTF-8. */
export type BodyChunk = Uint8Array | string;
