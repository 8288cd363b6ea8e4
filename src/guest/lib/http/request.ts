/**
 * @module tsuki/http/request
 * `Request` (Fetch Standard §5.4) as a handler receives it: method, absolute `url`, `headers`, and a
 * body that the server has already read in full (bounded by `maxBodyBytes`), so `body` is the raw
 * bytes rather than a stream. Handlers can also make their own (`new Request(url, init)`), with
 * the standard's checks: a valid method token (GET, HEAD, POST, PUT, DELETE and OPTIONS are
 * upper-cased), an absolute http(s) URL, and no body on GET or HEAD.
 */

import { Body, type BodyInit, extractBody, peekBody } from "./body.ts";
import { Headers, type HeadersInit, TOKEN } from "./headers.ts";
import { URL } from "./url.ts";

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  /** Bytes or text; a streamed (async iterable) body is not accepted here. */
  body?: Exclude<BodyInit, AsyncIterable<unknown>> | null;
}

const NORMALISED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

interface WireRequest {
  method: string;
  url: string;
  headers: Headers;
  body: Uint8Array | null;
}
/** Set only for the duration of one `requestFromWire` construction. */
let wire: WireRequest | null = null;

export class Request extends Body {
  #method: string;
  #url: string;
  #headers: Headers;
  #body: Uint8Array | null;

  constructor(input: string | URL | Request, init: RequestInit = {}) {
    const parsed = wire;
    wire = null;
    if (parsed !== null) {
      super(parsed.body);
      this.#method = parsed.method;
      this.#url = parsed.url;
      this.#headers = parsed.headers;
      this.#body = parsed.body;
      return;
    }
    const base = input instanceof Request ? input : null;
    const given = init.body !== undefined ? extractBody(init.body) : null;
    let source = given?.source ?? null;
    if (given === null && base !== null) {
      const inherited = peekBody(base);
      source = inherited instanceof Uint8Array ? inherited : null;
    }
    super(source);
    this.#url = base !== null ? base.url : new URL(String(input)).href;
    let method = init.method ?? base?.method ?? "GET";
    if (!TOKEN.test(method)) throw new TypeError(`Request: ${JSON.stringify(method)} is not a valid method`);
    if (NORMALISED.has(method.toUpperCase())) method = method.toUpperCase();
    this.#method = method;
    this.#headers = new Headers(init.headers ?? base?.headers);
    if (given?.type && !this.#headers.has("content-type")) this.#headers.set("content-type", given.type);
    if (source !== null && (method === "GET" || method === "HEAD")) throw new TypeError(`Request: a ${method} request cannot have a body`);
    this.#body = source as Uint8Array | null;
  }

  get method(): string {
    return this.#method;
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    return this.#headers;
  }

  /** The whole body as it arrived (after chunked decoding), or null if the request had none. */
  get body(): Uint8Array | null {
    return this.#body;
  }

  clone(): Request {
    if (this.bodyUsed) throw new TypeError("Request.clone: the body has already been read");
    return requestFromWire(this.#method, this.#url, new Headers(this.#headers), this.#body);
  }

  get [Symbol.toStringTag](): string {
    return "Request";
  }
}

/** @internal A request as the server parsed it: its method kept as sent, any method may carry a body. */
export function requestFromWire(method: string, url: string, headers: Headers, body: Uint8Array | null): Request {
  wire = { method, url, headers, body };
  return new Request(url);
}
