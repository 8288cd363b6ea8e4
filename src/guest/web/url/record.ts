/**
 * @module guest/web/url/record
 * The URL record (URL Standard §4.1) and what reads it: special schemes and their default ports,
 * the serializer (§4.5), the origin (§4.6 of the URL Standard, HTML's "origin" tuple), and the
 * small predicates the parser and the setters share (Windows drive letters, dot segments).
 */

export interface UrlRecord {
  scheme: string;
  username: string;
  password: string;
  /** Serialised host; "" is the empty host, null none. */
  host: string | null;
  port: number | null;
  /** A list of segments, or a string for an opaque path (`mailto:x`, `data:…`). */
  path: string[] | string;
  query: string | null;
  fragment: string | null;
}

export const DEFAULT_PORTS: Readonly<Record<string, number | null>> = { ftp: 21, file: null, http: 80, https: 443, ws: 80, wss: 443 };

export function isSpecial(scheme: string): boolean {
  return Object.hasOwn(DEFAULT_PORTS, scheme);
}

export function defaultPort(scheme: string): number | null {
  return Object.hasOwn(DEFAULT_PORTS, scheme) ? DEFAULT_PORTS[scheme]! : null;
}

export function newRecord(): UrlRecord {
  return { scheme: "", username: "", password: "", host: null, port: null, path: [], query: null, fragment: null };
}

export function cloneRecord(url: UrlRecord): UrlRecord {
  return { ...url, path: typeof url.path === "string" ? url.path : url.path.slice() };
}

export function includesCredentials(url: UrlRecord): boolean {
  return url.username !== "" || url.password !== "";
}

export function hasOpaquePath(url: UrlRecord): boolean {
  return typeof url.path === "string";
}

/** §4.5 URL path serializer. */
export function serializePath(url: UrlRecord): string {
  if (typeof url.path === "string") return url.path;
  let out = "";
  for (const segment of url.path) out += `/${segment}`;
  return out;
}

/** §4.5 URL serializer. */
export function serializeUrl(url: UrlRecord, excludeFragment = false): string {
  let out = `${url.scheme}:`;
  if (url.host !== null) {
    out += "//";
    if (includesCredentials(url)) out += `${url.username}${url.password === "" ? "" : `:${url.password}`}@`;
    out += url.host;
    if (url.port !== null) out += `:${url.port}`;
  } else if (typeof url.path !== "string" && url.path.length > 1 && url.path[0] === "") {
    // A path that starts with an empty segment would read as a host: "web+demo:/.//not-a-host/".
    out += "/.";
  }
  out += serializePath(url);
  if (url.query !== null) out += `?${url.query}`;
  if (!excludeFragment && url.fragment !== null) out += `#${url.fragment}`;
  return out;
}

/** §4.6 origin, serialised (HTML §7.1.1 "serialization of an origin"): "null" for an opaque one. */
export function serializeOrigin(url: UrlRecord, parse: (input: string) => UrlRecord | null): string {
  switch (url.scheme) {
    case "blob": {
      const inner = parse(serializePath(url));
      return inner !== null && (inner.scheme === "http" || inner.scheme === "https") ? serializeOrigin(inner, parse) : "null";
    }
    case "ftp":
    case "http":
    case "https":
    case "ws":
    case "wss":
      return `${url.scheme}://${url.host}${url.port === null ? "" : `:${url.port}`}`;
    default:
      return "null";
  }
}

const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** §4.2 Windows drive letter: an ASCII letter then ":" or "|" (normalized: only ":"). */
export function isWindowsDriveLetter(text: string, normalized = false): boolean {
  return text.length === 2 && isAlpha(text.charCodeAt(0)) && (text[1] === ":" || (!normalized && text[1] === "|"));
}

/** §4.2 "starts with a Windows drive letter". */
export function startsWithWindowsDriveLetter(text: string, at: number): boolean {
  if (text.length - at < 2 || !isWindowsDriveLetter(text.slice(at, at + 2))) return false;
  if (text.length - at === 2) return true;
  const c = text[at + 2];
  return c === "/" || c === "\\" || c === "?" || c === "#";
}

/** §4.1 "shorten a URL's path". */
export function shortenPath(url: UrlRecord): void {
  const path = url.path as string[];
  if (url.scheme === "file" && path.length === 1 && isWindowsDriveLetter(path[0]!, true)) return;
  path.pop();
}

export function isSingleDot(segment: string): boolean {
  return segment === "." || segment.toLowerCase() === "%2e";
}

export function isDoubleDot(segment: string): boolean {
  switch (segment.toLowerCase()) {
    case "..":
    case ".%2e":
    case "%2e.":
    case "%2e%2e":
      return true;
    default:
      return false;
  }
}
