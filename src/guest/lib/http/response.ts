/**
 * @module tsuki/http/response
 * `Response` (Fetch Standard §5.5) as a handler returns it. The body is a string, bytes, an
 * `ArrayBuffer`, `URLSearchParams`, null, or an async iterable of chunks for a streamed response
 * (sent chunked, or with the `Content-Length` the handler sets). As on the web: the status is
 * 200–599, a 204/205/304 has no body, `statusText` is a valid reason phrase, and a string body
 * implies `text/plain;charset=UTF-8` unless a Content-Type is given.
 */

import { Body, type BodyInit, type BodySource, extractBody, peekBody } from "./body.ts";
import { Headers, type HeadersInit } from "./headers.ts";
import { URL } from "./url.ts";

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

export class Response extends Body {
  #status: number;
  #statusText: string;
  #headers: Headers;

  constructor(body: BodyInit | null = null, init: ResponseInit = {}) {
    const { source, type } = extractBody(body);
    super(source);
    const status = toUnsignedShort(init.status ?? 200);
    if (status < 200 || status > 599) throw new RangeError(`Response: status ${status} is not an integer from 200 to 599`);
    const statusText = init.statusText ?? "";
    // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(statusText)) throw new TypeError(`Response: statusText ${JSON.stringify(statusText)} is not a valid reason phrase`);
    if (source !== null && NULL_BODY_STATUS.has(status)) throw new TypeError(`Response: a ${status} response cannot have a body`);
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = new Headers(init.headers);
    if (type !== null && !this.#headers.has("content-type")) this.#headers.set("content-type", type);
  }

  /** A JSON body (`application/json`), as `JSON.stringify` gives it. */
  static json(data: unknown, init: ResponseInit = {}): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Response.json: the value cannot be serialised to JSON");
    const response = new Response(text, init);
    if (!new Headers(init.headers).has("content-type")) response.headers.set("content-type", "application/json");
    return response;
  }

  /** A redirect to an absolute URL with a 301, 302 (default), 303, 307 or 308. */
  static redirect(url: string | URL, status = 302): Response {
    const location = new URL(String(url)).href;
    if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Response.redirect: ${status} is not a redirect status (301, 302, 303, 307, 308)`);
    return new Response(null, { status, headers: { location } });
  }

  get status(): number {
    return this.#status;
  }

  get statusText(): string {
    return this.#statusText;
  }

  get ok(): boolean {
    return this.#status >= 200 && this.#status <= 299;
  }

  get headers(): Headers {
    return this.#headers;
  }

  get redirected(): boolean {
    return false;
  }

  get type(): "default" {
    return "default";
  }

  get url(): string {
    return "";
  }

  /** The body as given: all its bytes, the async iterable of a streamed body, or null. */
  get body(): BodySource {
    return peekBody(this);
  }

  clone(): Response {
    if (this.bodyUsed) throw new TypeError("Response.clone: the body has already been read");
    const source = peekBody(this);
    if (source !== null && !(source instanceof Uint8Array)) throw new TypeError("Response.clone: a streamed body cannot be cloned");
    return new Response(source, { status: this.#status, statusText: this.#statusText, headers: this.#headers });
  }

  get [Symbol.toStringTag](): string {
    return "Response";
  }
}

/** WebIDL's conversion to `unsigned short`: truncated, then modulo 2^16 (NaN and infinities are 0). */
function toUnsignedShort(value: unknown): number {
  const n = Math.trunc(Number(value));
  return Number.isFinite(n) ? ((n % 65536) + 65536) % 65536 : 0;
}
