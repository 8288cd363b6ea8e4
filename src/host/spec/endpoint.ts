/**
 * @module host/spec/endpoint
 * The pieces every device URI is made of, each read by one strict grammar: hosts, ports, peers
 * (`HOST:PORT`) and percent-encoded text. Nothing here is lenient: a host is a dotted-quad IPv4
 * address, a bracketed IPv6 address or a DNS name, never the other spellings getaddrinfo would
 * also take (`127.1`, `0x7f.0.0.1`, `2130706433`); a port is decimal digits without a sign or
 * leading zeros; text holds no control, format or white-space character, raw or encoded, except
 * an encoded space where a value is a file's path. So a value means one thing to every part of
 * tsuki that reads it, and what one check passed is what the device opens.
 *
 * Each function returns the value or throws `UriProblem`, whose text completes "it …".
 */

import { isIPv4, isIPv6 } from "node:net";

/** Why a URI is refused; the text completes "it …" (e.g. "names no port"). */
export class UriProblem extends Error {
  /** The URI's scheme does not suit the device's kind (a block device bound to tcp://…). */
  readonly wrongKind: boolean;

  constructor(text: string, wrongKind = false) {
    super(text);
    this.name = "UriProblem";
    this.wrongKind = wrongKind;
  }
}

export interface Endpoint {
  /** Canonical: an IPv4 dotted quad, an IPv6 address (lower case, compressed, no brackets), or a lower-case DNS name. */
  readonly host: string;
  readonly port: number;
}

/** Control, format (zero-width, bidi, BOM), separator (every space, U+2028/9) and lone surrogate characters. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}\p{Cs}]/u;

/** Throws unless every character of `text` is visible: the first test of any binding text. */
export function checkVisible(text: string): void {
  const m = INVISIBLE.exec(text);
  if (m) throw new UriProblem(`holds the invisible character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} at offset ${m.index}; write the URI without white space or control characters (percent-encode a space in a file's path as %20)`);
}

/** Throws unless a file's path, written as it is (a run configuration's `!block PATH`), holds only visible characters and spaces. */
export function checkPathText(file: string): void {
  const m = INVISIBLE.exec(file.replaceAll(" ", ""));
  if (m) throw new UriProblem(`holds the invisible character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}, which no file name of a block device may hold`);
}

/** Percent-decodes `text`; `space` allows an encoded U+0020 (file paths). */
export function decode(text: string, what: string, space = false): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw new UriProblem(`has a '%' in ${what} that is not followed by two hex digits: write a '%' as %25`);
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    throw new UriProblem(`has percent-escapes in ${what} that are not UTF-8`);
  }
  const visible = space ? decoded.replaceAll(" ", "") : decoded;
  const m = INVISIBLE.exec(visible);
  if (m) throw new UriProblem(`has the encoded invisible character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} in ${what}`);
  return decoded;
}

/** Percent-encodes a value for a URI, leaving the characters of paths and addresses readable. */
export function encode(value: string): string {
  return encodeURIComponent(value).replace(/%(2F|3A|5B|5D|40|2C)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const DOTTED_QUAD = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A host as written between `//` and the port (IPv6 in brackets), in canonical form. */
export function parseHost(text: string): string {
  if (text === "") throw new UriProblem("names no host");
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) throw new UriProblem(`has an IPv6 address without its closing bracket: ${text}`);
    const inner = text.slice(1, -1);
    if (!isIPv6(inner) || inner.includes("%")) throw new UriProblem(`names ${text}, which is not an IPv6 address (no zone index): e.g. [::1]`);
    return canonicalIPv6(inner);
  }
  const host = text.toLowerCase();
  const labels = host.split(".");
  const last = labels.at(-1)!;
  // What ends in a number is an IPv4 address, and only in dotted-quad form (WHATWG URL's rule).
  if (/^\d+$/.test(last) || /^0x/.test(last)) {
    if (!DOTTED_QUAD.test(host) || !isIPv4(host)) throw new UriProblem(`names ${text}, which is not an IPv4 address in dotted-quad form (four numbers 0–255 without leading zeros, e.g. 127.0.0.1)`);
    return host;
  }
  if (host.length > 253 || !labels.every((l) => LABEL.test(l))) throw new UriProblem(`names ${text}, which is not an IP address or a DNS name (letters, digits and '-' in dot-separated labels)`);
  return host;
}

function canonicalIPv6(address: string): string {
  // WHATWG URL serialises IPv6 canonically (RFC 5952: lower case, longest zero run compressed).
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** A decimal port: `allowZero` where the host picks a free one (listening). */
export function parsePort(text: string, allowZero: boolean): number {
  if (!/^(?:0|[1-9]\d{0,4})$/.test(text) || Number(text) > 65535) {
    throw new UriProblem(text === "" ? `names no port (${allowZero ? 0 : 1}–65535)` : `is not a valid URI: the port ${JSON.stringify(text)} is not a number from ${allowZero ? 0 : 1} to 65535`);
  }
  const port = Number(text);
  if (port === 0 && !allowZero) throw new UriProblem("names no port (1–65535): port 0 means any free port, which only a listening socket can take");
  return port;
}

/** `HOST:PORT` or `[V6]:PORT`, as in authorities and peers. */
export function parseHostPort(text: string, allowZero: boolean): Endpoint {
  const colon = text.startsWith("[") ? text.indexOf("]:") + 1 : text.lastIndexOf(":");
  if (colon === 0) throw new UriProblem("names no host");
  if (colon < 0) throw new UriProblem(`names no port (${allowZero ? 0 : 1}–65535)`);
  return { host: parseHost(text.slice(0, colon)), port: parsePort(text.slice(colon + 1), allowZero) };
}

/** A peer: an IP address (no name: it is checked against policies) and a port from 1. */
export function parsePeerText(text: string): Endpoint {
  const peer = parseHostPort(text, false);
  if (!isIPv4(peer.host) && !isIPv6(peer.host)) throw new UriProblem(`names the peer ${text}: a peer is an IP address and a port from 1 to 65535, e.g. 127.0.0.1:53 or [::1]:53`);
  return peer;
}

/** `HOST:PORT` with IPv6 in brackets. */
export function formatHostPort(endpoint: Endpoint): string {
  return `${endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
}

/** A whole number written in decimal from `min` to `max`. */
export function parseWhole(text: string, what: string, min: number, max: number): number {
  if (!/^(?:0|[1-9]\d{0,15})$/.test(text) || Number(text) < min || Number(text) > max) throw new UriProblem(`has ${what}=${text}: ${what} is a whole number from ${min} to ${max}`);
  return Number(text);
}

/**
 * `a=1&b=2` as a map, refusing an empty or unnamed pair, a key given twice, a key not in
 * `allowed` and an empty value. Values are percent-decoded (no `+` for space).
 */
export function parseQuery(query: string | undefined, allowed: readonly string[], what: string, space = false): Map<string, string> {
  const options = new Map<string, string>();
  if (query === undefined) return options;
  for (const pair of query.split("&")) {
    if (pair === "") throw new UriProblem("has an empty option: a '?' or '&' with nothing after it");
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (!allowed.includes(key)) {
      throw new UriProblem(`has the option "${key.slice(0, 40)}": ${what} takes ${allowed.join(", ")} (unknown option "${key.slice(0, 40)}")`);
    }
    if (options.has(key)) throw new UriProblem(`gives the option ${key} twice: give it once`);
    if (eq < 0 || eq === pair.length - 1) throw new UriProblem(`has the option ${key} without a value`);
    options.set(key, decode(pair.slice(eq + 1), `the option ${key}`, space));
  }
  return options;
}
