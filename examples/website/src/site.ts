/**
 * @module website/site
 * A static site served from the image's embedded assets: a table from URL path to file, built
 * once at start, and a handler that answers GET and HEAD from it with the headers of a careful
 * static file server (RFC 9110): content types, strong ETags from the manifest's SHA-256,
 * conditional requests (If-Match, If-None-Match → 304), byte ranges (206, multipart/byteranges,
 * 416, If-Range), gzip for clients that accept it (compressed once, on first use, and kept), and
 * Cache-Control. Files are read through `assets.read`, only the bytes a response needs; small
 * files read whole are kept in memory (within a budget), as a static server's file cache does.
 */

import { gzipSync } from "fflate";
import type { Assets } from "tsuki";
import { Headers, type Request, Response } from "tsuki/http";
import { type ByteRange, acceptsGzip, ifRangeHolds, matchesEtag, parseRange } from "./fields.ts";
import { cacheControl, contentType, isCompressible } from "./mime.ts";

export interface SiteOptions {
  /** `max-age` in seconds for everything but HTML pages (which are always revalidated). */
  readonly maxAge: number;
  /** Files smaller than this are never compressed: the gzip framing would eat the gain. */
  readonly gzipMinBytes: number;
  /** Files larger than this are never compressed: one request must not compress for too long. */
  readonly gzipMaxBytes: number;
  /** The most bytes of compressed files kept in memory; once spent, further files go uncompressed. */
  readonly gzipCacheBytes: number;
  /** Files up to this size are kept in memory once read whole… */
  readonly cacheMaxFileBytes: number;
  /** …until this many bytes are kept; later files are read from the image on every request. */
  readonly cacheBytes: number;
  /** Log one line per request. */
  readonly log: boolean;
}

export const DEFAULT_OPTIONS: SiteOptions = {
  maxAge: 3600,
  gzipMinBytes: 256,
  gzipMaxBytes: 2 * 1024 * 1024,
  gzipCacheBytes: 8 * 1024 * 1024,
  cacheMaxFileBytes: 256 * 1024,
  cacheBytes: 8 * 1024 * 1024,
  log: false,
};

/** A compressed file, made on first use. */
interface Gzipped {
  readonly bytes: Uint8Array;
  readonly headers: Headers;
  readonly notModified: Headers;
}

/** One embedded file and everything about its responses that does not depend on the request. */
interface File {
  readonly path: string;
  readonly size: number;
  readonly etag: string;
  /** The gzip variant's ETag, when the file is a candidate for compression. */
  readonly gzipEtag: string;
  /** Content-Type, ETag, Cache-Control, Accept-Ranges, nosniff, Vary: for 200, 206 and HEAD. */
  readonly headers: Headers;
  /** ETag, Cache-Control, Vary: for a 304 (RFC 9110 §15.4.5). */
  readonly notModified: Headers;
  readonly type: string;
  /** Whether to gzip it for clients that accept gzip. */
  readonly candidate: boolean;
  /** undefined: not compressed yet; null: not worth it (or out of budget). */
  gzip: Gzipped | null | undefined;
  /** The whole file, once read, if it is small enough to keep. */
  bytes: Uint8Array | undefined;
}

/** A folder with an index.html asked for without its slash: redirect to it. */
interface Redirect {
  readonly redirect: true;
}
const REDIRECT: Redirect = Object.freeze({ redirect: true });

type Route = File | Redirect;

const ALLOW = "GET, HEAD";
const encoder = new TextEncoder();

export class Site {
  readonly #assets: Assets;
  readonly #options: SiteOptions;
  readonly #routes = new Map<string, Route>();
  readonly #notFound: { body: Uint8Array; headers: Headers };
  readonly #boundary: string;
  #gzipBudget: number;
  #cacheBudget: number;

  constructor(assets: Assets, options: SiteOptions = DEFAULT_OPTIONS) {
    this.#assets = assets;
    this.#options = options;
    this.#gzipBudget = options.gzipCacheBytes;
    this.#cacheBudget = options.cacheBytes;
    for (const entry of assets.list()) {
      const type = contentType(entry.path);
      const candidate = isCompressible(type) && entry.size >= options.gzipMinBytes && entry.size <= options.gzipMaxBytes;
      const etag = `"${entry.sha256}"`;
      const cache = cacheControl(type, options.maxAge);
      const headers = new Headers({ "content-type": type, etag, "cache-control": cache, "accept-ranges": "bytes", "x-content-type-options": "nosniff" });
      const notModified = new Headers({ etag, "cache-control": cache });
      if (candidate) {
        headers.set("vary", "Accept-Encoding");
        notModified.set("vary", "Accept-Encoding");
      }
      const file: File = { path: entry.path, size: entry.size, etag, gzipEtag: `"${entry.sha256}-gzip"`, headers, notModified, type, candidate, gzip: undefined, bytes: undefined };
      this.#routes.set(`/${entry.path}`, file);
      // A folder's index.html answers for the folder ("/", "/docs/"); "/docs" redirects there.
      if (entry.path === "index.html" || entry.path.endsWith("/index.html")) {
        const folder = `/${entry.path.slice(0, -"index.html".length)}`;
        this.#routes.set(folder, file);
        if (folder !== "/") this.#routes.set(folder.slice(0, -1), REDIRECT);
      }
    }
    const page = assets.read("404.html");
    this.#notFound = page !== undefined
      ? { body: page, headers: new Headers({ "content-type": "text/html; charset=utf-8", "cache-control": "no-cache", "x-content-type-options": "nosniff" }) }
      : { body: encoder.encode("<!doctype html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"), headers: new Headers({ "content-type": "text/html; charset=utf-8", "cache-control": "no-cache", "x-content-type-options": "nosniff" }) };
    const random = new Uint8Array(12);
    crypto.getRandomValues(random);
    this.#boundary = `tsuki-${Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  }

  /** How many URL paths the site answers (files, folder indexes and folder redirects). */
  get routes(): number {
    return this.#routes.size;
  }

  /** Answers one request. */
  handle(request: Request): Response {
    const response = this.#handle(request);
    if (this.#options.log) {
      const url = request.url;
      console.log(`${request.method} ${url.slice(url.indexOf("/", url.indexOf("//") + 2))} ${response.status}`);
    }
    return response;
  }

  #handle(request: Request): Response {
    const method = request.method;
    const head = method === "HEAD";
    if (method !== "GET" && !head) return plain(405, "Method Not Allowed", head, { allow: ALLOW });

    // request.url is absolute and already normalised by the URL parser: "." and ".." segments
    // (also as %2e) are resolved, so only percent-escapes remain to decode here.
    const url = request.url;
    const start = url.indexOf("/", url.indexOf("//") + 2);
    let end = url.length;
    const question = url.indexOf("?", start);
    if (question >= 0) end = question;
    const hash = url.indexOf("#", start);
    if (hash >= 0 && hash < end) end = hash;
    const raw = url.slice(start, end);
    let path = raw;
    if (raw.includes("%")) {
      try {
        path = decodeURIComponent(raw);
      } catch {
        return plain(400, "Bad Request: the path is not valid percent-encoded UTF-8", head);
      }
      // What decoding can reveal: NUL, or "." and ".." segments made of encoded slashes (..%2f).
      if (path.includes("\0") || path.includes("\\") || hasDotSegment(path)) return plain(400, "Bad Request: the path is not allowed", head);
    } else if (raw.includes("/.") && hasDotSegment(raw)) {
      // Not reached while the URL parser resolves dot segments; kept so that no change there can open a way out.
      return plain(400, "Bad Request: the path is not allowed", head);
    }

    const route = this.#routes.get(path);
    if (route === undefined) return this.#missing(head);
    if ("redirect" in route) {
      const query = question >= 0 ? url.slice(question, hash >= 0 && hash > question ? hash : url.length) : "";
      return new Response(null, { status: 301, headers: { location: `${raw}/${query}`, "cache-control": "public, max-age=3600" } });
    }
    return this.#file(route, request, head);
  }

  #file(file: File, request: Request, head: boolean): Response {
    const fields = request.headers;

    // Range (RFC 9110 §14.2) applies to GET only; If-Range with a strong match lets it apply. A
    // range is served from the identity encoding, so it selects that representation.
    let ranges: ByteRange[] | "unsatisfiable" | null = null;
    const range = head ? null : fields.get("range");
    if (range !== null) {
      const ifRange = fields.get("if-range");
      if (ifRange === null || ifRangeHolds(ifRange, file.etag)) {
        const parsed = parseRange(range, file.size);
        if (parsed !== "ignore") ranges = parsed;
      }
    }

    let gzip: Gzipped | null = null;
    if (ranges === null && file.candidate) {
      const accept = fields.get("accept-encoding");
      if (accept !== null && acceptsGzip(accept)) gzip = this.#gzip(file);
    }
    const etag = gzip !== null ? file.gzipEtag : file.etag;

    // Preconditions, in RFC 9110 §13.2.2's order (no dates: these files have no Last-Modified).
    const ifMatch = fields.get("if-match");
    if (ifMatch !== null && !matchesEtag(ifMatch, etag, false)) return plain(412, "Precondition Failed", head);
    const ifNoneMatch = fields.get("if-none-match");
    if (ifNoneMatch !== null && matchesEtag(ifNoneMatch, etag, true)) {
      return new Response(null, { status: 304, headers: gzip !== null ? gzip.notModified : file.notModified });
    }

    if (gzip !== null) {
      if (!head) return new Response(gzip.bytes, { headers: gzip.headers });
      return withLength(new Response(null, { headers: gzip.headers }), gzip.bytes.length);
    }
    if (ranges === "unsatisfiable") {
      return plain(416, "Range Not Satisfiable", false, { "content-range": `bytes */${file.size}`, "accept-ranges": "bytes" });
    }
    if (ranges !== null && ranges.length === 1) {
      const { start, end } = ranges[0]!;
      const response = new Response(this.#read(file, start, end - start + 1), { status: 206, headers: file.headers });
      response.headers.set("content-range", `bytes ${start}-${end}/${file.size}`);
      return response;
    }
    if (ranges !== null && ranges.reduce((sum, r) => sum + r.end - r.start + 1, 0) <= file.size) return this.#multipart(file, ranges);
    // No range, or ranges that overlap into more bytes than the file has: the whole file.
    if (head) return withLength(new Response(null, { headers: file.headers }), file.size);
    return new Response(this.#read(file, 0, file.size), { headers: file.headers });
  }

  /** Several ranges as one multipart/byteranges body (RFC 9110 §14.6), in the order asked for. */
  #multipart(file: File, ranges: readonly ByteRange[]): Response {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const { start, end } of ranges) {
      const head = encoder.encode(`--${this.#boundary}\r\ncontent-type: ${file.type}\r\ncontent-range: bytes ${start}-${end}/${file.size}\r\n\r\n`);
      const data = this.#read(file, start, end - start + 1);
      parts.push(head, data, CRLF);
      length += head.length + data.length + CRLF.length;
    }
    const close = encoder.encode(`--${this.#boundary}--\r\n`);
    parts.push(close);
    length += close.length;
    const body = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      body.set(part, at);
      at += part.length;
    }
    const response = new Response(body, { status: 206, headers: file.headers });
    response.headers.set("content-type", `multipart/byteranges; boundary=${this.#boundary}`);
    return response;
  }

  #read(file: File, offset: number, length: number): Uint8Array {
    if (file.bytes !== undefined) return offset === 0 && length === file.size ? file.bytes : file.bytes.subarray(offset, offset + length);
    const bytes = this.#assets.read(file.path, offset, length);
    if (bytes === undefined) throw new Error(`asset ${file.path} vanished from the image`);
    if (offset === 0 && length === file.size && file.size <= this.#options.cacheMaxFileBytes && file.size <= this.#cacheBudget) {
      this.#cacheBudget -= file.size;
      file.bytes = bytes;
    }
    return bytes;
  }

  /** The gzip variant, compressed on first use and kept; null if it is not smaller or over budget. */
  #gzip(file: File): Gzipped | null {
    if (file.gzip !== undefined) return file.gzip;
    let result: Gzipped | null = null;
    if (file.size <= this.#gzipBudget) {
      // mtime 0: the same bytes on every boot, as the strong ETag promises.
      const bytes = gzipSync(this.#read(file, 0, file.size), { level: 9, mtime: 0 });
      if (bytes.length < file.size) {
        this.#gzipBudget -= bytes.length;
        const headers = new Headers(file.headers);
        headers.set("etag", file.gzipEtag);
        headers.set("content-encoding", "gzip");
        const notModified = new Headers(file.notModified);
        notModified.set("etag", file.gzipEtag);
        result = { bytes, headers, notModified };
      }
    }
    file.gzip = result;
    return result;
  }

  #missing(head: boolean): Response {
    const { body, headers } = this.#notFound;
    const response = new Response(head ? null : body, { status: 404, headers });
    return head ? withLength(response, body.length) : response;
  }
}

const CRLF = new Uint8Array([0x0d, 0x0a]);

/** A HEAD response: no body, the Content-Length the GET would have. */
function withLength(response: Response, length: number): Response {
  response.headers.set("content-length", String(length));
  return response;
}

/** A short plain-text answer (400, 405, 412). */
function plain(status: number, text: string, head: boolean, extra: Record<string, string> = {}): Response {
  const body = encoder.encode(`${text}\n`);
  const headers = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", ...extra };
  if (head) return withLength(new Response(null, { status, headers }), body.length);
  return new Response(body, { status, headers });
}

/** Whether a decoded path has a "." or ".." segment. */
function hasDotSegment(path: string): boolean {
  for (const segment of path.split("/")) if (segment === "." || segment === "..") return true;
  return false;
}
