/**
 * @module guest/web/fetch/request
 * `Request` (Fetch Standard §5.4): made by a handler (`new Request(url | request, init)`) or by
 * the HTTP server (`requestFromWire`, fetch/internals.ts). As the standard says: the URL is
 * absolute (there is no document to resolve against) and has no credentials; the method is a
 * token, not CONNECT, TRACE or TRACK, and the six standard ones are upper-cased; GET and HEAD have
 * no body; a streamed body needs `duplex: "half"`; `signal` follows the init's or the input's
 * signal. Taking the body of another request uses that request's body up. The attributes a
 * unikernel has no use for (mode, credentials, cache, …) hold their defaults or what init gave.
 */

import { abort, url as urlGroup } from "../common/registry.ts";
import { enumerable, requireArgs, toByteString, toDictionary, toStringTag, toUSVString } from "../common/webidl.ts";
import { type BodyInit, type BodySource, extractBody, isUnusable } from "./body.ts";
import { Body, bodyHolder, includeBody } from "./body-mixin.ts";
import { Headers, type HeadersInit, TOKEN } from "./headers.ts";
import { teeSource } from "./tee.ts";
import type { ReadableStream } from "../common/types.ts";

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
  signal?: AbortSignal | null;
  duplex?: "half";
  redirect?: string;
  [option: string]: unknown;
}

const NORMALISED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);

/** The attributes kept as given (Fetch §5.4's enumerations), with their defaults. */
const OPTIONS: Record<string, [string, readonly string[]]> = {
  mode: ["cors", ["same-origin", "no-cors", "cors"]],
  credentials: ["same-origin", ["omit", "same-origin", "include"]],
  cache: ["default", ["default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"]],
  redirect: ["follow", ["follow", "error", "manual"]],
  referrerPolicy: ["", ["", "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin", "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url"]],
};

interface State {
  method: string;
  url: string;
  signal: AbortSignal | null;
  /** A server's request: the controller of its signal, once made, and why it was aborted, if it was. */
  wire?: { controller?: AbortController; aborted?: { reason: unknown }; onSignal?: { signalAsked(request: Request): void } };
  options: Record<string, string>;
  integrity: string;
  keepalive: boolean;
}

let stateOf: (request: Request) => State;
/** Set only while `requestFromWire` builds a request. */
let wire: { method: string; url: string; headers: Headers; source: BodySource | null; server?: true; onSignal?: { signalAsked(request: Request): void } } | null = null;

export class Request extends Body {
  #state: State;

  static {
    stateOf = (request) => {
      if (typeof request !== "object" || request === null || !(#state in request)) throw new TypeError("Illegal invocation: not a Request");
      return request.#state;
    };
  }

  constructor(input: string | URL | Request, init?: RequestInit) {
    super();
    const parsed = wire;
    wire = null;
    const holder = bodyHolder(this);
    if (parsed !== null) {
      this.#state = { method: parsed.method, url: parsed.url, signal: null, options: {}, integrity: "", keepalive: false, wire: parsed.server ? { onSignal: parsed.onSignal } : undefined };
      holder.headers = parsed.headers;
      holder.source = parsed.source;
      return;
    }
    requireArgs(arguments.length, 1, "Request");
    const options = toDictionary(init, "Request");
    const base = input instanceof Request ? input : null;
    const baseState = base === null ? null : stateOf(base);
    let url: string;
    if (baseState !== null) url = baseState.url;
    else {
      const text = toUSVString(input);
      const record = urlGroup().parseUrl(text);
      if (record === null) throw new TypeError(`Request: ${JSON.stringify(text)} is not an absolute URL`);
      if (record.username !== "" || record.password !== "") throw new TypeError(`Request: ${JSON.stringify(text)} holds credentials, which a request URL cannot`);
      url = urlGroup().serializeUrl(record);
    }
    if (options.window !== undefined && options.window !== null) throw new TypeError("Request: window can only be null");
    let method = baseState?.method ?? "GET";
    if (options.method !== undefined) {
      method = toByteString(options.method, "Request");
      if (!TOKEN.test(method)) throw new TypeError(`Request: ${JSON.stringify(method)} is not a valid method`);
      const upper = method.toUpperCase();
      if (FORBIDDEN.has(upper)) throw new TypeError(`Request: the method ${upper} is forbidden`);
      if (NORMALISED.has(upper)) method = upper;
    }
    const chosen: Record<string, string> = { ...(baseState?.options ?? {}) };
    for (const [name, [, allowed]] of Object.entries(OPTIONS)) {
      if (options[name] === undefined) continue;
      const value = `${options[name] as string}`;
      if (!allowed.includes(value)) throw new TypeError(`Request: ${name} must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`);
      chosen[name] = value;
    }
    if (chosen.mode === "navigate") throw new TypeError("Request: mode cannot be navigate");
    const signals = [options.signal !== undefined ? options.signal : (baseState?.signal ?? null)].filter((s) => s !== null && s !== undefined);
    if (signals.length > 0 && !abort().isAbortSignal(signals[0])) throw new TypeError("Request: signal must be an AbortSignal");
    this.#state = {
      method,
      url,
      signal: signals.length > 0 ? (abort().AbortSignal.any(signals as never) as unknown as AbortSignal) : null,
      options: chosen,
      integrity: options.integrity === undefined ? (baseState?.integrity ?? "") : `${options.integrity as string}`,
      keepalive: options.keepalive === undefined ? (baseState?.keepalive ?? false) : !!options.keepalive,
    };
    holder.headers = new Headers((options.headers ?? (base === null ? undefined : bodyHolder(base).headers)) as HeadersInit | undefined);
    const baseHolder = base === null ? null : bodyHolder(base);
    const initBody = options.body === undefined ? null : options.body;
    if ((initBody !== null || (baseHolder?.source ?? null) !== null) && (method === "GET" || method === "HEAD")) throw new TypeError(`Request: a ${method} request cannot have a body`);
    if (initBody !== null) {
      const { source, type } = extractBody(initBody);
      if ("stream" in source && options.duplex !== "half") throw new TypeError('Request: a streamed body needs duplex: "half"');
      holder.source = source;
      if (type !== null && !holder.headers.has("content-type")) holder.headers.append("content-type", type);
    } else if (baseHolder !== null && baseHolder.source !== null) {
      if (isUnusable(baseHolder.source)) throw new TypeError("Request: the input request's body has already been read, or its stream is locked");
      // The new request takes the input's body; the input's is used up (§5.4 step 41).
      holder.source = teeSource(baseHolder);
      const taken = baseHolder.source!;
      if ("bytes" in taken) taken.used = true;
      else void taken.stream.cancel();
    }
  }

  get method(): string {
    return stateOf(this).method;
  }
  get url(): string {
    return stateOf(this).url;
  }
  get headers(): Headers {
    stateOf(this);
    return bodyHolder(this).headers;
  }
  get destination(): string {
    stateOf(this);
    return "";
  }
  get referrer(): string {
    stateOf(this);
    return "about:client";
  }
  get referrerPolicy(): string {
    return option(this, "referrerPolicy");
  }
  get mode(): string {
    return option(this, "mode");
  }
  get credentials(): string {
    return option(this, "credentials");
  }
  get cache(): string {
    return option(this, "cache");
  }
  get redirect(): string {
    return option(this, "redirect");
  }
  get integrity(): string {
    return stateOf(this).integrity;
  }
  get keepalive(): boolean {
    return stateOf(this).keepalive;
  }
  get isReloadNavigation(): boolean {
    stateOf(this);
    return false;
  }
  get isHistoryNavigation(): boolean {
    stateOf(this);
    return false;
  }
  /**
   * A server's request gets its signal when first asked for: aborted when the client goes away
   * (`abortRequest`), or already aborted if it has gone.
   */
  get signal(): AbortSignal {
    const state = stateOf(this);
    if (state.signal !== null) return state.signal;
    const wire = state.wire;
    if (wire?.aborted !== undefined) return (state.signal = abort().AbortSignal.abort(wire.aborted.reason) as unknown as AbortSignal);
    const controller = new (abort().AbortController)();
    state.signal = controller.signal as unknown as AbortSignal;
    if (wire !== undefined) {
      wire.controller = controller as unknown as AbortController;
      // The server watches its client only for requests whose signal someone holds.
      wire.onSignal?.signalAsked(this);
    }
    return state.signal;
  }
  get duplex(): "half" {
    stateOf(this);
    return "half";
  }

  clone(): Request {
    const state = stateOf(this);
    const holder = bodyHolder(this);
    if (isUnusable(holder.source)) throw new TypeError("Request.clone: the body has already been read, or its stream is locked");
    wire = { method: state.method, url: state.url, headers: new Headers(holder.headers), source: teeSource(holder) };
    const copy = new Request(state.url);
    Object.assign(stateOf(copy), { options: { ...state.options }, integrity: state.integrity, keepalive: state.keepalive, signal: state.signal === null && state.wire === undefined ? null : abort().AbortSignal.any([this.signal as never]) });
    return copy;
  }
}

includeBody(Request);
enumerable(Request, ["method", "url", "headers", "destination", "referrer", "referrerPolicy", "mode", "credentials", "cache", "redirect", "integrity", "keepalive", "isReloadNavigation", "isHistoryNavigation", "signal", "duplex", "clone"]);
toStringTag(Request, "Request");

function option(request: Request, name: string): string {
  return stateOf(request).options[name] ?? OPTIONS[name]![0];
}

/**
 * @internal A request as the server parsed it: the method as sent (any token), any method may
 * carry a body, whole (bytes) or streamed as it arrives (a ReadableStream the server feeds).
 */
export function requestFromWire(method: string, url: string, headers: Headers, body: Uint8Array | ReadableStream | null, onSignal?: { signalAsked(request: Request): void }): Request {
  const source: BodySource | null = body === null ? null : body instanceof Uint8Array ? { bytes: body, used: false } : { stream: body };
  wire = { method, url, headers, source, server: true, onSignal };
  return new Request(url);
}

/** @internal Aborts a server's request's signal (the client went away); a signal made later is born aborted. */
export function abortRequest(request: Request, reason: unknown): void {
  const wire = stateOf(request).wire;
  if (wire === undefined || wire.aborted !== undefined) return;
  wire.aborted = { reason };
  wire.controller?.abort(reason);
}
