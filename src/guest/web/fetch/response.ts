/**
 * @module guest/web/fetch/response
 * `Response` (Fetch Standard §5.5): `new Response(body, { status, statusText, headers })`,
 * `Response.json()`, `Response.error()`, `Response.redirect()`, `clone()` (a streamed body is
 * teed), and the Body mixin. As the standard says: the status is 200–599 (a RangeError), a
 * 101/103/204/205/304 has no body, `statusText` is a reason-phrase, and an extracted body implies
 * its Content-Type unless one is given. `Response.redirect()` needs an absolute URL: a unikernel
 * has no document to resolve a relative one against.
 */

import { url as urlGroup } from "../common/registry.ts";
import { enumerable, requireArgs, toByteString, toDictionary, toStringTag } from "../common/webidl.ts";
import { type BodyInit, type BodySource, extractBody, isUnusable } from "./body.ts";
import { Body, bodyHolder, includeBody } from "./body-mixin.ts";
import { Headers, type HeadersInit, freezeHeaders } from "./headers.ts";
import { teeSource } from "./tee.ts";
import type { ReadableStream } from "../common/types.ts";

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

type ResponseType = "basic" | "cors" | "default" | "error" | "opaque" | "opaqueredirect";

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

interface State {
  type: ResponseType;
  status: number;
  statusText: string;
  url: string;
  /** The fetch that made it followed a redirect. */
  redirected?: boolean;
}

let stateOf: (response: Response) => State;
/** Set while a static factory builds a response its own way. */
let making: State | null = null;

export class Response extends Body {
  #state: State;

  static {
    stateOf = (response) => {
      if (typeof response !== "object" || response === null || !(#state in response)) throw new TypeError("Illegal invocation: not a Response");
      return response.#state;
    };
  }

  constructor(body: BodyInit | null = null, init?: ResponseInit) {
    super();
    const made = making;
    making = null;
    const options = toDictionary(init, "Response");
    const status = options.status === undefined ? 200 : toUnsignedShort(options.status);
    if (made === null && (status < 200 || status > 599)) throw new RangeError(`Response: status ${status} is not an integer from 200 to 599`);
    const statusText = options.statusText === undefined ? "" : toByteString(options.statusText, "Response");
    // RFC 9112 §4: reason-phrase = *( HTAB / SP / VCHAR / obs-text )
    if (!REASON_PHRASE.test(statusText)) throw new TypeError(`Response: statusText ${JSON.stringify(statusText)} is not a valid reason phrase`);
    this.#state = made ?? { type: "default", status, statusText, url: "" };
    const holder = bodyHolder(this);
    holder.headers = new Headers(options.headers as HeadersInit | undefined);
    if (body !== null && body !== undefined) {
      if (NULL_BODY_STATUS.has(status)) throw new TypeError(`Response: a ${status} response cannot have a body`);
      const { source, type } = extractBody(body);
      holder.source = source;
      if (type !== null && !holder.headers.has("content-type")) holder.headers.append("content-type", type);
    }
  }

  static error(): Response {
    making = { type: "error", status: 0, statusText: "", url: "" };
    const response = new Response(null);
    freezeHeaders(bodyHolder(response).headers);
    return response;
  }

  static redirect(url: string | URL, status = 302): Response {
    requireArgs(arguments.length, 1, "Response.redirect");
    const { parseUrl, serializeUrl } = urlGroup();
    const parsed = parseUrl(`${url as string}`.toWellFormed());
    if (parsed === null) throw new TypeError(`Response.redirect: ${JSON.stringify(String(url))} is not an absolute URL`);
    const code = toUnsignedShort(status);
    if (!REDIRECT_STATUS.has(code)) throw new RangeError(`Response.redirect: ${code} is not a redirect status (301, 302, 303, 307, 308)`);
    making = { type: "default", status: code, statusText: "", url: "" };
    const response = new Response(null, { status: code });
    const headers = bodyHolder(response).headers;
    headers.set("location", serializeUrl(parsed));
    freezeHeaders(headers);
    return response;
  }

  static json(data: unknown, init?: ResponseInit): Response {
    requireArgs(arguments.length, 1, "Response.json");
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Response.json: the value cannot be serialised to JSON");
    const response = new Response(text, init);
    const headers = bodyHolder(response).headers;
    // The body's own type would be text/plain: JSON's wins unless the init set one.
    if (!new Headers(toDictionary(init, "Response.json").headers as HeadersInit | undefined).has("content-type")) headers.set("content-type", "application/json");
    return response;
  }

  get type(): ResponseType {
    return stateOf(this).type;
  }

  get url(): string {
    return stateOf(this).url;
  }

  get redirected(): boolean {
    return stateOf(this).redirected === true;
  }

  get status(): number {
    return stateOf(this).status;
  }

  get ok(): boolean {
    const status = stateOf(this).status;
    return status >= 200 && status <= 299;
  }

  get statusText(): string {
    return stateOf(this).statusText;
  }

  get headers(): Headers {
    stateOf(this);
    return bodyHolder(this).headers;
  }

  clone(): Response {
    const state = stateOf(this);
    const holder = bodyHolder(this);
    if (isUnusable(holder.source)) throw new TypeError("Response.clone: the body has already been read, or its stream is locked");
    making = { ...state };
    const copy = new Response(null);
    const copyHolder = bodyHolder(copy);
    copyHolder.headers = new Headers(holder.headers);
    if (state.type === "error") freezeHeaders(copyHolder.headers);
    copyHolder.source = teeSource(holder);
    return copy;
  }
}

includeBody(Response);
enumerable(Response, ["type", "url", "redirected", "status", "ok", "statusText", "headers", "clone"]);
for (const name of ["error", "redirect", "json"]) Object.defineProperty(Response, name, { ...Object.getOwnPropertyDescriptor(Response, name), enumerable: true });
toStringTag(Response, "Response");

/** WebIDL `unsigned short`: truncated, then modulo 2^16 (NaN and infinities are 0). */
function toUnsignedShort(value: unknown): number {
  const n = Math.trunc(Number(value));
  return Number.isFinite(n) ? ((n % 65536) + 65536) % 65536 : 0;
}

/**
 * @internal A response as `fetch` read it from the network: any status of three digits from 200,
 * the reason phrase as sent, headers already checked (immutable, as Fetch's guard makes them), a
 * body stream or none, and the URL it was fetched from after redirects.
 */
export function responseFromWire(status: number, statusText: string, headers: Headers, body: ReadableStream | null, url: string, redirected: boolean): Response {
  making = { type: "basic", status, statusText, url, ...(redirected ? { redirected: true } : {}) };
  const response = new Response(null);
  const holder = bodyHolder(response);
  freezeHeaders(headers);
  holder.headers = headers;
  holder.source = body === null ? null : { stream: body };
  return response;
}

/** @internal Whether `value` is a Response of this runtime. */
export function isResponse(value: unknown): value is Response {
  try {
    stateOf(value as Response);
    return true;
  } catch {
    return false;
  }
}

export type { BodySource };
