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

const scope = globalThis as unknown as { Headers: typeof Fetch.Headers; Request: typeof Fetch.Request; Response: typeof Fetch.Response; URL: typeof Url.URL; URLSearchParams: typeof Url.URLSearchParams };

export const Headers = scope.Headers;
export type Headers = Fetch.Headers;
export type HeadersInit = import("../../web/fetch/headers.ts").HeadersInit;
export const Request = scope.Request;
export type Request = Fetch.Request;
export type RequestInit = import("../../web/fetch/request.ts").RequestInit;
export const Response = scope.Response;
export type Response = Fetch.Response;
export type ResponseInit = import("../../web/fetch/response.ts").ResponseInit;
export type BodyInit = import("../../web/fetch/body.ts").BodyInit;
export const URL = scope.URL;
export type URL = Url.URL;
export const URLSearchParams = scope.URLSearchParams;
export type URLSearchParams = Url.URLSearchParams;

/** The runtime's hooks; read on first use, so that importing tsuki/http costs nothing until it serves. */
let internals: WebInternals | undefined;

export function web(): WebInternals {
  return (internals ??= (globalThis as unknown as Record<symbol, WebInternals>)[Symbol.for("tsuki.web")]!);
}
