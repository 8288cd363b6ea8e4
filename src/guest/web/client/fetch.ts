/**
 * @module guest/web/client/fetch
 * `fetch(input, init)` (Fetch Standard §5.6) for a unikernel. The request is made a `Request`
 * (so every check of `new Request` applies), its URL's origin names the connector that serves it
 * (`connector({ origin })`, bound by the operator; routes.ts), and it goes as HTTP/1.1 over one of
 * that connector's kept-alive connections. Redirects follow Fetch's rules (§4.4 "HTTP-redirect
 * fetch": `follow` up to 20, `error`, `manual` answered with the redirect itself as servers'
 * runtimes do), and each hop must reach an origin a connector serves. A `gzip` or `deflate` body
 * is decompressed as browsers do, its headers left as sent.
 *
 * Failures are TypeErrors that say what went wrong and where (`cause` holds the connection's error,
 * with its `code`: `ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`, …); an abort rejects with the
 * signal's reason, before the response or in the middle of its body.
 */

import { Reader } from "../../lib/http/reader.ts";
import { Watchdog } from "../../lib/http/watchdog.ts";
import type { Connection } from "../../sdk/devices.ts";
import { bodyHolder, headersFromFields, Request, responseFromWire, type Response } from "../fetch/index.ts";
import { compression, url as urlGroup } from "../common/registry.ts";
import type { ReadableStream } from "../common/types.ts";
import type { URL } from "../url/url.ts";
import { listValues } from "./fields.ts";
import { type Outgoing, writeRequest } from "./request-out.ts";
import { StaleConnection, bodyStream, readHead } from "./response-in.ts";
import { type Route, routeFor } from "./routes.ts";

declare const __TSUKI_VERSION__: string | undefined;
const USER_AGENT = `tsuki/${typeof __TSUKI_VERSION__ === "string" ? __TSUKI_VERSION__ : "0.0.0"}`;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
/** Fields the connection's framing owns: what a caller sets for them is replaced. */
const FRAMING = new Set(["host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length", "expect"]);
const BODY_FIELDS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];

export async function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input as never, init as never);
  const signal = request.signal;
  signal.throwIfAborted();
  const holder = bodyHolder(request);
  const source = holder.source;
  // The request's body is used by the fetch (§5.6 step: "request's body is used").
  let body: Uint8Array | ReadableStream<Uint8Array> | null = null;
  if (source !== null) {
    if ("bytes" in source) {
      source.used = true;
      body = source.bytes;
    } else body = source.stream as ReadableStream<Uint8Array>;
  }
  let method = request.method;
  let target = new (urlGroup().URL)(request.url);
  const fields: [string, string][] = [];
  for (const [name, value] of request.headers) if (!FRAMING.has(name)) fields.push([name, value]);
  for (let hops = 0; ; hops++) {
    const route = routeFor(target);
    const response = await exchange(route, method, target, fields, body, signal, hops > 0);
    const location = response.headers.get("location");
    if (!REDIRECTS.has(response.status) || location === null || request.redirect === "manual") return response;
    void response.body?.cancel().catch(() => undefined);
    if (request.redirect === "error") throw new TypeError(`fetch: ${target.href} redirected (${response.status}) to ${location}, and the request's redirect mode is "error"`);
    if (hops + 1 > MAX_REDIRECTS) throw new TypeError(`fetch: more than ${MAX_REDIRECTS} redirects, the last to ${location}`);
    let next: URL;
    try {
      next = new (urlGroup().URL)(location, target);
    } catch {
      throw new TypeError(`fetch: ${target.href} redirected to ${JSON.stringify(location.slice(0, 200))}, which is not a URL`);
    }
    if (next.protocol !== "http:" && next.protocol !== "https:") throw new TypeError(`fetch: ${target.href} redirected to ${next.href}, which is not an http(s) URL`);
    // §4.4 step 11: a body that was a stream cannot be sent twice.
    if (body !== null && !(body instanceof Uint8Array) && response.status !== 303) throw new TypeError(`fetch: ${target.href} redirected (${response.status}) a request whose body was a stream, which cannot be sent again`);
    // §4.4 step 12: 301/302 after POST, and 303 after anything but HEAD, become a GET without a body.
    if (((response.status === 301 || response.status === 302) && method === "POST") || (response.status === 303 && method !== "HEAD")) {
      method = "GET";
      body = null;
      for (let i = fields.length - 1; i >= 0; i--) if (BODY_FIELDS.includes(fields[i]![0])) fields.splice(i, 1);
    }
    // §4.4 step 13: credentials do not follow a request to another origin.
    if (next.origin !== target.origin) for (let i = fields.length - 1; i >= 0; i--) if (fields[i]![0] === "authorization") fields.splice(i, 1);
    target = next;
  }
}

const watchdogs = new WeakMap<Route, Watchdog>();

/** One request and its response on one of the route's connections; a stale kept-alive connection is retried once on a new one. */
async function exchange(route: Route, method: string, target: URL, fields: [string, string][], body: Uint8Array | ReadableStream<Uint8Array> | null, signal: AbortSignal, redirected: boolean): Promise<Response> {
  const out: Outgoing = {
    method,
    target: `${target.pathname}${target.search}`,
    fields: [["host", target.host], ...withDefaults(fields)],
    body,
  };
  const where = target.origin;
  let watchdog = watchdogs.get(route);
  if (watchdog === undefined) watchdogs.set(route, (watchdog = new Watchdog(Math.min(1000, Math.max(5, route.headersTimeoutMs / 4)))));
  for (let attempt = 0; ; attempt++) {
    let connection: Connection | undefined;
    const close = () => connection?.close();
    try {
      const acquired = await route.pool.acquire(signal);
      connection = acquired.connection;
      signal.addEventListener("abort", close, { once: true });
      await writeRequest(connection, out, signal);
      const reader = new Reader(connection, watchdog);
      const incoming = await readHead(reader, method, route, acquired.reused, where);
      signal.removeEventListener("abort", close);
      const held = connection;
      let stream: ReadableStream<Uint8Array> | null = null;
      if (incoming.framing.kind === "none") route.pool.release(held, incoming.reusable && reader.buffered.length === 0);
      else stream = decoded(bodyStream(reader, incoming, signal, where, (reusable) => route.pool.release(held, reusable)), incoming.head.fields);
      const { head } = incoming;
      return responseFromWire(head.status, head.reason, headersFromFields(head.fields), stream as never, target.href.replace(/#.*$/, ""), redirected);
    } catch (error) {
      signal.removeEventListener("abort", close);
      connection?.close();
      if (signal.aborted) throw signal.reason;
      // A kept-alive connection the server had closed: send again on a new one, if the body can be.
      if (error instanceof StaleConnection && attempt === 0 && !(body !== null && !(body instanceof Uint8Array))) continue;
      if (error instanceof StaleConnection) throw new TypeError(`fetch: ${where} closed a kept-alive connection before answering`);
      if (error instanceof TypeError) throw error;
      const code = (error as { code?: unknown })?.code;
      throw new TypeError(`fetch: ${target.href} failed: ${(error as Error)?.message ?? String(error)}${typeof code === "string" && !(error as Error).message?.includes(code) ? ` (${code})` : ""}`, { cause: error });
    }
  }
}

/** The caller's fields and the defaults a browser adds when they are absent. */
function withDefaults(fields: [string, string][]): [string, string][] {
  const out = fields.slice();
  const has = (name: string) => fields.some(([n]) => n === name);
  if (!has("accept")) out.push(["accept", "*/*"]);
  if (!has("accept-encoding")) out.push(["accept-encoding", "gzip, deflate"]);
  if (!has("user-agent")) out.push(["user-agent", USER_AGENT]);
  return out;
}

/** A body sent with one `gzip` or `deflate` coding, decompressed (RFC 9110 §8.4); any other is left as sent. */
function decoded(stream: ReadableStream<Uint8Array>, fields: readonly (readonly [string, string])[]): ReadableStream<Uint8Array> {
  const codings = listValues(fields, "content-encoding").map((c) => c.toLowerCase());
  if (codings.length !== 1) return stream;
  const format = codings[0] === "gzip" || codings[0] === "x-gzip" ? "gzip" : codings[0] === "deflate" ? "deflate" : null;
  if (format === null) return stream;
  return stream.pipeThrough(new (compression().DecompressionStream)(format) as never) as ReadableStream<Uint8Array>;
}
