/**
 * @module tsuki/http
 * An HTTP/1.1 server for unikernels, written for a bare isolate, with the web's `Request`,
 * `Response`, `Headers`, `URL` and `URLSearchParams` so that handlers read like Workers or Deno
 * handlers:
 *
 * ```ts
 * import { serve, Response } from "tsuki/http";
 * await serve(web, (request) => new Response("hello\n"));
 * ```
 *
 * The classes are exported, not installed as globals: a unikernel imports what it uses. See
 * README.md in this folder for what of RFC 9112 is implemented and the limits that apply.
 */

export { serve } from "./server.ts";
export type { Handler, ServeInfo } from "./server.ts";
export type { ServeOptions } from "./options.ts";
export { Headers } from "./headers.ts";
export type { HeadersInit } from "./headers.ts";
export { Request } from "./request.ts";
export type { RequestInit } from "./request.ts";
export { Response } from "./response.ts";
export type { ResponseInit } from "./response.ts";
export type { BodyChunk, BodyInit } from "./body.ts";
export { URL } from "./url.ts";
export { URLSearchParams } from "./search-params.ts";
export type { URLSearchParamsInit } from "./search-params.ts";
