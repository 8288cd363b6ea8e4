/**
 * @module tsuki/http/web
 * The web's classes as `tsuki/http` uses and exports them: the globals of the guest runtime's web
 * part (`Request`, `Response`, `Headers`, `URL`, `URLSearchParams`), typed from the classes that
 * implement them, and the runtime's hooks for the server (`Symbol.for("tsuki.web")`, docs/abi.md):
 * a request from what the parser read, and a response's body as it is, bytes sent with no stream
 * made.
 */

import type * as Fetch from "../../web/fetch/index.ts";
import type { WebInternals } from "../../web/fetch/internals.ts";
import type * as Url from "../../web/url/index.ts";

// Named as globals (`globalThis.X`), so that the build sees that an image using tsuki/http needs
// the web part of the runtime (host/build/runtime-parts.ts).
export const Headers = globalThis.Headers as unknown as typeof Fetch.Headers;
export type Headers = Fetch.Headers;
export type HeadersInit = import("../../web/fetch/headers.ts").HeadersInit;
export const Request = globalThis.Request as unknown as typeof Fetch.Request;
export type Request = Fetch.Request;
export type RequestInit = import("../../web/fetch/request.ts").RequestInit;
export const Response = globalThis.Response as unknown as typeof Fetch.Response;
export type Response = Fetch.Response;
export type ResponseInit = import("../../web/fetch/response.ts").ResponseInit;
export type BodyInit = import("../../web/fetch/body.ts").BodyInit;
export const URL = globalThis.URL as unknown as typeof Url.URL;
export type URL = Url.URL;
export const URLSearchParams = globalThis.URLSearchParams as unknown as typeof Url.URLSearchParams;
export type URLSearchParams = Url.URLSearchParams;

/** The runtime's hooks; read on first use, so that importing tsuki/http costs nothing until it serves. */
let internals: WebInternals | undefined;

export function web(): WebInternals {
  return (internals ??= (globalThis as unknown as Record<symbol, WebInternals>)[Symbol.for("tsuki.web")]!);
}
