/**
 * @module tsuki/http/url-parser
 * The WHATWG URL parser (URL Standard §4.4), for the special schemes other than `file`: `http`,
 * `https`, `ws`, `wss` and `ftp`. It parses into a plain record and serialises it back; the `URL` class
 * is a view over the record. Components are parsed by separate functions so that `URL`'s setters
 * reuse them (the standard's state overrides).
 *
 * Guarantees, as the standard: tabs and newlines are removed and C0/space trimmed; `\` is a path
 * separator; `.`/`..` segments (also as `%2e`) are resolved; each component is percent-encoded with
 * its encode set; the default port is elided; relative references resolve against a base.
 * Not supported (parsing fails): other schemes (`file:`, `mailto:`, opaque paths), and IDNA
 * (see host.ts).
 */

import { parseHost } from "./host.ts";
import { FRAGMENT_SET, PATH_SET, SPECIAL_QUERY_SET, USERINFO_SET, percentEncode } from "./percent.ts";

export interface UrlRecord {
  scheme: string;
  username: string;
  password: string;
  /** Serialised host: a lower-case domain, dotted IPv4 or bracketed IPv6. Never empty. */
  host: string;
  port: number | null;
  path: string[];
  query: string | null;
  fragment: string | null;
}

export const DEFAULT_PORTS: Readonly<Record<string, number>> = { ftp: 21, http: 80, https: 443, ws: 80, wss: 443 };

const SCHEME = /^([A-Za-z][A-Za-z0-9+\-.]*):/;

export function isSpecialScheme(scheme: string): boolean {
  return Object.hasOwn(DEFAULT_PORTS, scheme);
}

/** Parses `input` against `base`; null when the standard says failure or the scheme is not supported. */
export function parseUrl(input: string, base?: UrlRecord | null): UrlRecord | null {
  input = trimC0AndSpace(input).replace(/[\t\n\r]/g, "");
  const scheme = SCHEME.exec(input);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (!isSpecialScheme(name)) return null;
    const rest = input.slice(scheme[0].length);
    if (base && base.scheme === name && !/^[/\\]{2}/.test(rest)) return parseRelative(rest, base, name);
    // "special authority ignore slashes state": any number of slashes (none at all included).
    return parseAuthority(rest.replace(/^[/\\]*/, ""), name);
  }
  if (!base) return null;
  return parseRelative(input, base, base.scheme);
}

/** Leading and trailing C0 controls and spaces removed, by a loop (a regular expression would be quadratic). */
function trimC0AndSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

function parseRelative(input: string, base: UrlRecord, scheme: string): UrlRecord | null {
  if (/^[/\\]{2}/.test(input)) return parseAuthority(input.replace(/^[/\\]*/, ""), scheme);
  const url: UrlRecord = { ...base, scheme, path: base.path.slice(), fragment: null };
  const c = input[0];
  if (c === undefined) return url;
  if (c === "/" || c === "\\") {
    url.path = [];
    url.query = null;
    parseTail(url, input);
    return url;
  }
  if (c === "?") {
    url.query = null;
    parseTail(url, input, false);
    return url;
  }
  if (c === "#") {
    parseTail(url, input, false);
    return url;
  }
  url.path.pop();
  url.query = null;
  parseTail(url, input);
  return url;
}

/** Authority, then path, query and fragment; `input` starts right after the scheme's slashes. */
function parseAuthority(input: string, scheme: string): UrlRecord | null {
  const end = input.search(/[/\\?#]/);
  const authority = end < 0 ? input : input.slice(0, end);
  const url: UrlRecord = { scheme, username: "", password: "", host: "", port: null, path: [], query: null, fragment: null };
  const at = authority.lastIndexOf("@");
  let hostPort = authority;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(":");
    url.username = percentEncode(colon < 0 ? userinfo : userinfo.slice(0, colon), USERINFO_SET);
    url.password = colon < 0 ? "" : percentEncode(userinfo.slice(colon + 1), USERINFO_SET);
    hostPort = authority.slice(at + 1);
  }
  const parsed = parseHostPort(hostPort, scheme);
  if (parsed === null) return null;
  url.host = parsed.host;
  url.port = parsed.port;
  parseTail(url, end < 0 ? "" : input.slice(end));
  return url;
}

/** `host[:port]` of a special URL: the host must not be empty, the port must be digits ≤ 65535. */
export function parseHostPort(input: string, scheme: string): { host: string; port: number | null } | null {
  let colon = -1;
  let inBrackets = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === "[") inBrackets = true;
    else if (c === "]") inBrackets = false;
    else if (c === ":" && !inBrackets) {
      colon = i;
      break;
    }
  }
  const hostText = colon < 0 ? input : input.slice(0, colon);
  if (hostText === "") return null;
  const host = parseHost(hostText);
  if (host === null) return null;
  let port: number | null = null;
  if (colon >= 0) {
    const digits = input.slice(colon + 1);
    if (!/^[0-9]*$/.test(digits)) return null;
    if (digits !== "") {
      port = parsePort(digits, scheme);
      if (port === -1) return null;
    }
  }
  return { host, port };
}

/** A run of digits as a port: null for the scheme's default, -1 if above 65535. */
export function parsePort(digits: string, scheme: string): number | null {
  const n = Number.parseInt(digits, 10);
  if (n > 65535) return -1;
  return n === DEFAULT_PORTS[scheme] ? null : n;
}

/** Path (appended to `url.path`), query and fragment of `input`, which starts at the path, `?` or `#`. */
function parseTail(url: UrlRecord, input: string, withPath = true): void {
  const hash = input.indexOf("#");
  const beforeHash = hash < 0 ? input : input.slice(0, hash);
  const question = beforeHash.indexOf("?");
  if (withPath) appendPath(url.path, question < 0 ? beforeHash : beforeHash.slice(0, question));
  if (question >= 0) url.query = percentEncode(beforeHash.slice(question + 1), SPECIAL_QUERY_SET);
  if (hash >= 0) url.fragment = percentEncode(input.slice(hash + 1), FRAGMENT_SET);
}

const SINGLE_DOT = /^(?:\.|%2e)$/i;
const DOUBLE_DOT = /^(?:\.|%2e)(?:\.|%2e)$/i;

/** The path state: segments split at `/` or `\`, dot segments resolved, the rest percent-encoded. */
export function appendPath(path: string[], input: string): void {
  // "path start state": one leading separator belongs to the path's syntax, not to a segment.
  const segments = input.split(/[/\\]/);
  if (input.startsWith("/") || input.startsWith("\\")) segments.shift();
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (DOUBLE_DOT.test(segment)) {
      path.pop();
      if (last) path.push("");
    } else if (SINGLE_DOT.test(segment)) {
      if (last) path.push("");
    } else {
      path.push(percentEncode(segment, PATH_SET));
    }
  });
}

export function serializePath(url: UrlRecord): string {
  return `/${url.path.join("/")}`;
}

export function serializeHost(url: UrlRecord): string {
  return url.port === null ? url.host : `${url.host}:${url.port}`;
}

export function serializeUrl(url: UrlRecord, excludeFragment = false): string {
  let out = `${url.scheme}://`;
  if (url.username !== "" || url.password !== "") out += `${url.username}${url.password === "" ? "" : `:${url.password}`}@`;
  out += serializeHost(url) + serializePath(url);
  if (url.query !== null) out += `?${url.query}`;
  if (!excludeFragment && url.fragment !== null) out += `#${url.fragment}`;
  return out;
}
