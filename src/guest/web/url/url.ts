/**
 * @module guest/web/url/url
 * `URL` (URL Standard §6.1) over the record the basic parser makes (parser.ts): every scheme, IDNA
 * hosts, `file:` URLs and opaque paths. Setters run the parser with a state override, so an
 * invalid value leaves the URL as it was, never throws; only `href`, like the constructor, throws
 * a TypeError (with Node's `code: "ERR_INVALID_URL"` and `input`). `searchParams` stays in step
 * with `search` both ways.
 */

import { parse } from "./parser.ts";
import { type UrlRecord, hasOpaquePath, serializeOrigin, serializePath, serializeUrl } from "./record.ts";
import { URLSearchParams, bindSearchParams, replaceSearchParams } from "./search-params.ts";
import { enumerable, requireArgs, toStringTag, toUSVString } from "../common/webidl.ts";
import { USERINFO_SET, percentEncode } from "./percent.ts";

function invalid(input: string, base?: string): TypeError {
  const error = new TypeError(`Invalid URL: ${JSON.stringify(input)}${base === undefined ? "" : ` against base ${JSON.stringify(base)}`}`) as TypeError & { code: string; input: string };
  error.code = "ERR_INVALID_URL";
  error.input = input;
  return error;
}

/** §6.1 "API URL parser". */
function parseWithBase(input: string, base: string | undefined): UrlRecord | null {
  let baseRecord: UrlRecord | null = null;
  if (base !== undefined) {
    baseRecord = parse(base);
    if (baseRecord === null) return null;
  }
  return parse(input, baseRecord);
}

let recordOf: (url: URL) => UrlRecord;

export class URL {
  #url: UrlRecord;
  #searchParams: URLSearchParams;

  static {
    recordOf = (url) => {
      if (typeof url !== "object" || url === null || !(#url in url)) throw new TypeError("Illegal invocation: not a URL");
      return url.#url;
    };
  }

  constructor(url: string | URL, base?: string | URL) {
    requireArgs(arguments.length, 1, "URL");
    const input = toUSVString(url);
    const baseText = base === undefined ? undefined : toUSVString(base);
    const record = parseWithBase(input, baseText);
    if (record === null) throw invalid(input, baseText);
    this.#url = record;
    this.#searchParams = new URLSearchParams();
    replaceSearchParams(this.#searchParams, record.query);
    bindSearchParams(this.#searchParams, (query) => (this.#url.query = query));
  }

  static canParse(url: string | URL, base?: string | URL): boolean {
    requireArgs(arguments.length, 1, "URL.canParse");
    return parseWithBase(toUSVString(url), base === undefined ? undefined : toUSVString(base)) !== null;
  }

  static parse(url: string | URL, base?: string | URL): URL | null {
    requireArgs(arguments.length, 1, "URL.parse");
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }

  get href(): string {
    return serializeUrl(recordOf(this));
  }

  set href(value: string) {
    recordOf(this);
    const text = toUSVString(value);
    const record = parse(text);
    if (record === null) throw invalid(text);
    this.#url = record;
    replaceSearchParams(this.#searchParams, record.query);
  }

  get origin(): string {
    return serializeOrigin(recordOf(this), (input) => parse(input));
  }

  get protocol(): string {
    return `${recordOf(this).scheme}:`;
  }

  set protocol(value: string) {
    parse(`${toUSVString(value)}:`, null, recordOf(this), "scheme start");
  }

  get username(): string {
    return recordOf(this).username;
  }

  set username(value: string) {
    const url = recordOf(this);
    if (!cannotHaveCredentialsOrPort(url)) url.username = percentEncode(toUSVString(value), USERINFO_SET);
  }

  get password(): string {
    return recordOf(this).password;
  }

  set password(value: string) {
    const url = recordOf(this);
    if (!cannotHaveCredentialsOrPort(url)) url.password = percentEncode(toUSVString(value), USERINFO_SET);
  }

  get host(): string {
    const url = recordOf(this);
    if (url.host === null) return "";
    return url.port === null ? url.host : `${url.host}:${url.port}`;
  }

  set host(value: string) {
    const url = recordOf(this);
    if (!hasOpaquePath(url)) this.#setWith(toUSVString(value), "host");
  }

  get hostname(): string {
    return recordOf(this).host ?? "";
  }

  set hostname(value: string) {
    const url = recordOf(this);
    if (!hasOpaquePath(url)) this.#setWith(toUSVString(value), "hostname");
  }

  get port(): string {
    const port = recordOf(this).port;
    return port === null ? "" : String(port);
  }

  set port(value: string) {
    const url = recordOf(this);
    if (cannotHaveCredentialsOrPort(url)) return;
    const text = toUSVString(value);
    if (text === "") url.port = null;
    else this.#setWith(text, "port");
  }

  get pathname(): string {
    return serializePath(recordOf(this));
  }

  set pathname(value: string) {
    const url = recordOf(this);
    if (hasOpaquePath(url)) return;
    const copy = { ...url, path: [] };
    if (parse(toUSVString(value), null, copy, "path start") !== null) url.path = copy.path;
  }

  get search(): string {
    const query = recordOf(this).query;
    return query === null || query === "" ? "" : `?${query}`;
  }

  set search(value: string) {
    const url = recordOf(this);
    const text = toUSVString(value);
    if (text === "") {
      url.query = null;
      replaceSearchParams(this.#searchParams, null);
      return;
    }
    const input = text.startsWith("?") ? text.slice(1) : text;
    url.query = "";
    parse(input, null, url, "query");
    replaceSearchParams(this.#searchParams, input);
  }

  get searchParams(): URLSearchParams {
    recordOf(this);
    return this.#searchParams;
  }

  get hash(): string {
    const fragment = recordOf(this).fragment;
    return fragment === null || fragment === "" ? "" : `#${fragment}`;
  }

  set hash(value: string) {
    const url = recordOf(this);
    const text = toUSVString(value);
    if (text === "") {
      url.fragment = null;
      return;
    }
    url.fragment = "";
    parse(text.startsWith("#") ? text.slice(1) : text, null, url, "fragment");
  }

  toString(): string {
    return this.href;
  }

  toJSON(): string {
    return this.href;
  }

  /**
   * Runs the parser with a state override on the URL itself: what it set before a failure stays
   * set, as the standard's setters do (`host = "example.com:65536"` changes the host, not the port).
   */
  #setWith(value: string, state: "host" | "hostname" | "port"): void {
    parse(value, null, this.#url, state);
  }
}

enumerable(URL, ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "searchParams", "hash", "toString", "toJSON"]);
for (const name of ["canParse", "parse"]) Object.defineProperty(URL, name, { ...Object.getOwnPropertyDescriptor(URL, name), enumerable: true });
toStringTag(URL, "URL");

/** §4.2 "cannot have a username/password/port". */
function cannotHaveCredentialsOrPort(url: UrlRecord): boolean {
  return url.host === null || url.host === "" || url.scheme === "file";
}

/** @internal The serialised URL of a `URL`, read without calling its (overridable) getters. */
export function hrefOf(url: URL): string {
  return serializeUrl(recordOf(url));
}
