/**
 * @module tsuki/http/url
 * `URL` (URL Standard §6.1) for http, https, ws, wss and ftp URLs, over the record that url-parser.ts
 * parses. Setters follow the standard's state overrides: an invalid value is ignored, never
 * thrown, and `href` throws a TypeError like the constructor. `searchParams` stays in step with
 * `search` both ways.
 */

import { FRAGMENT_SET, SPECIAL_QUERY_SET, USERINFO_SET, percentEncode } from "./percent.ts";
import { DEFAULT_PORTS, type UrlRecord, appendPath, isSpecialScheme, parseHostPort, parsePort, parseUrl, serializeHost, serializePath, serializeUrl } from "./url-parser.ts";
import { URLSearchParams, bindSearchParams, replaceSearchParams } from "./search-params.ts";

function invalid(input: string, base?: string): TypeError {
  const error = new TypeError(`Invalid URL: ${JSON.stringify(input)}${base === undefined ? "" : ` against base ${JSON.stringify(base)}`} (tsuki/http parses http, https, ws, wss and ftp URLs)`) as TypeError & { code: string; input: string };
  error.code = "ERR_INVALID_URL";
  error.input = input;
  return error;
}

function parseWithBase(input: unknown, base: unknown): UrlRecord | null {
  let baseRecord: UrlRecord | null = null;
  if (base !== undefined) {
    baseRecord = parseUrl(String(base));
    if (baseRecord === null) return null;
  }
  return parseUrl(String(input), baseRecord);
}

export class URL {
  #url: UrlRecord;
  #searchParams: URLSearchParams;

  constructor(input: string | URL, base?: string | URL) {
    const url = parseWithBase(input, base);
    if (url === null) throw invalid(String(input), base === undefined ? undefined : String(base));
    this.#url = url;
    this.#searchParams = new URLSearchParams(url.query ?? "");
    bindSearchParams(this.#searchParams, (query) => (this.#url.query = query === "" ? null : query));
  }

  static canParse(input: string | URL, base?: string | URL): boolean {
    return parseWithBase(input, base) !== null;
  }

  static parse(input: string | URL, base?: string | URL): URL | null {
    return URL.canParse(input, base) ? new URL(input, base) : null;
  }

  get href(): string {
    return serializeUrl(this.#url);
  }

  set href(value: string) {
    const url = parseUrl(String(value));
    if (url === null) throw invalid(String(value));
    this.#url = url;
    replaceSearchParams(this.#searchParams, url.query);
  }

  get origin(): string {
    return `${this.#url.scheme}://${serializeHost(this.#url)}`;
  }

  get protocol(): string {
    return `${this.#url.scheme}:`;
  }

  /** Switching among http, https, ws, wss and ftp; anything else is ignored (as for special to non-special). */
  set protocol(value: string) {
    const scheme = /^[A-Za-z][A-Za-z0-9+\-.]*/.exec(String(value))?.[0]?.toLowerCase();
    if (scheme === undefined || !isSpecialScheme(scheme)) return;
    this.#url.scheme = scheme;
    if (this.#url.port === DEFAULT_PORTS[scheme]) this.#url.port = null;
  }

  get username(): string {
    return this.#url.username;
  }

  set username(value: string) {
    this.#url.username = percentEncode(String(value), USERINFO_SET);
  }

  get password(): string {
    return this.#url.password;
  }

  set password(value: string) {
    this.#url.password = percentEncode(String(value), USERINFO_SET);
  }

  get host(): string {
    return serializeHost(this.#url);
  }

  set host(value: string) {
    this.#setHost(String(value), true);
  }

  get hostname(): string {
    return this.#url.host;
  }

  set hostname(value: string) {
    this.#setHost(String(value), false);
  }

  /** The host state with a state override: the host, then (for `host`) digits of a port up to the first non-digit. */
  #setHost(value: string, withPort: boolean): void {
    const text = value.replace(/[\t\n\r]/g, "");
    let end = 0;
    for (let inBrackets = false; end < text.length; end++) {
      const c = text[end];
      if (c === "[") inBrackets = true;
      else if (c === "]") inBrackets = false;
      else if ((c === ":" && !inBrackets) || c === "/" || c === "\\" || c === "?" || c === "#") break;
    }
    if (text[end] === ":" && !withPort) return;
    const hostText = text.slice(0, end);
    if (hostText === "") return;
    const parsed = parseHostPort(hostText, this.#url.scheme);
    if (parsed === null) return;
    this.#url.host = parsed.host;
    if (text[end] !== ":") return;
    const digits = /^[0-9]*/.exec(text.slice(end + 1))![0];
    if (digits === "") return;
    const port = parsePort(digits, this.#url.scheme);
    if (port !== -1) this.#url.port = port;
  }

  get port(): string {
    return this.#url.port === null ? "" : String(this.#url.port);
  }

  set port(value: string) {
    const text = String(value).replace(/[\t\n\r]/g, "");
    if (text === "") {
      this.#url.port = null;
      return;
    }
    const digits = /^[0-9]+/.exec(text)?.[0];
    if (digits === undefined) return;
    const port = parsePort(digits, this.#url.scheme);
    if (port !== -1) this.#url.port = port;
  }

  get pathname(): string {
    return serializePath(this.#url);
  }

  set pathname(value: string) {
    const path: string[] = [];
    // With the setter's state override, `?` and `#` are data: the path encode set encodes both.
    appendPath(path, String(value).replace(/[\t\n\r]/g, ""));
    this.#url.path = path;
  }

  get search(): string {
    return this.#url.query === null || this.#url.query === "" ? "" : `?${this.#url.query}`;
  }

  set search(value: string) {
    const text = String(value).replace(/[\t\n\r]/g, "");
    if (text === "") {
      this.#url.query = null;
      replaceSearchParams(this.#searchParams, null);
      return;
    }
    const query = percentEncode(text.startsWith("?") ? text.slice(1) : text, SPECIAL_QUERY_SET);
    this.#url.query = query;
    replaceSearchParams(this.#searchParams, query);
  }

  get searchParams(): URLSearchParams {
    return this.#searchParams;
  }

  get hash(): string {
    return this.#url.fragment === null || this.#url.fragment === "" ? "" : `#${this.#url.fragment}`;
  }

  set hash(value: string) {
    const text = String(value).replace(/[\t\n\r]/g, "");
    this.#url.fragment = text === "" ? null : percentEncode(text.startsWith("#") ? text.slice(1) : text, FRAGMENT_SET);
  }

  toString(): string {
    return this.href;
  }

  toJSON(): string {
    return this.href;
  }

  get [Symbol.toStringTag](): string {
    return "URL";
  }
}
