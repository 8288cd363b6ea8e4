/**
 * @module guest/web/url/parser-path
 * The states of the basic URL parser (URL Standard §4.4) from the path on: `file:` URLs (host,
 * Windows drive letters, what they take from a `file:` base), path start, path segments with dot
 * segments resolved, opaque paths, query and fragment. Segments, the query and the fragment are
 * taken a run of code units at a time up to the next delimiter and percent-encoded with their
 * component's set, which is what encoding each code point as it comes gives.
 */

import { parseHost } from "./host.ts";
import { C0_CONTROL_SET, FRAGMENT_SET, PATH_SET, QUERY_SET, SPECIAL_QUERY_SET, percentEncode } from "./percent.ts";
import { type UrlRecord, isDoubleDot, isSingleDot, isSpecial, isWindowsDriveLetter, shortenPath, startsWithWindowsDriveLetter } from "./record.ts";

export type State =
  | "scheme start"
  | "scheme"
  | "no scheme"
  | "special relative or authority"
  | "path or authority"
  | "relative"
  | "relative slash"
  | "special authority slashes"
  | "special authority ignore slashes"
  | "authority"
  | "host"
  | "hostname"
  | "port"
  | "file"
  | "file slash"
  | "file host"
  | "path start"
  | "path"
  | "opaque path"
  | "query"
  | "fragment";

/** The parser's variables (§4.4 basic URL parser, steps 5–7). */
export interface Machine {
  input: string;
  pointer: number;
  buffer: string;
  state: State;
  url: UrlRecord;
  base: UrlRecord | null;
  override: State | undefined;
  atSignSeen: boolean;
  insideBrackets: boolean;
  passwordTokenSeen: boolean;
}

type Step = void | "failure" | "return";

const EOF = -1;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const QUESTION = 0x3f;
const HASH = 0x23;

const pathList = (url: UrlRecord) => url.path as string[];

export const pathStates: Record<"file" | "file slash" | "file host" | "path start" | "path" | "opaque path" | "query" | "fragment", (m: Machine, c: number) => Step> = {
  file(m, c) {
    const url = m.url;
    const base = m.base;
    url.scheme = "file";
    url.host = "";
    if (c === SLASH || c === BACKSLASH) {
      m.state = "file slash";
      return;
    }
    if (base === null || base.scheme !== "file") {
      m.state = "path";
      m.pointer--;
      return;
    }
    url.host = base.host;
    url.path = (base.path as string[]).slice();
    url.query = base.query;
    if (c === QUESTION) {
      url.query = "";
      m.state = "query";
    } else if (c === HASH) {
      url.fragment = "";
      m.state = "fragment";
    } else if (c !== EOF) {
      url.query = null;
      if (!startsWithWindowsDriveLetter(m.input, m.pointer)) shortenPath(url);
      else url.path = [];
      m.state = "path";
      m.pointer--;
    }
  },
  "file slash"(m, c) {
    if (c === SLASH || c === BACKSLASH) {
      m.state = "file host";
      return;
    }
    const base = m.base;
    if (base !== null && base.scheme === "file") {
      m.url.host = base.host;
      const first = (base.path as string[])[0];
      if (!startsWithWindowsDriveLetter(m.input, m.pointer) && first !== undefined && isWindowsDriveLetter(first, true)) pathList(m.url).push(first);
    }
    m.state = "path";
    m.pointer--;
  },
  "file host"(m, c) {
    if (!(c === EOF || c === SLASH || c === BACKSLASH || c === QUESTION || c === HASH)) {
      m.buffer += String.fromCharCode(c);
      return;
    }
    m.pointer--;
    if (m.override === undefined && isWindowsDriveLetter(m.buffer)) {
      // The buffer is kept: the path state takes it as the drive letter segment.
      m.state = "path";
    } else if (m.buffer === "") {
      m.url.host = "";
      if (m.override !== undefined) return "return";
      m.state = "path start";
    } else {
      let host = parseHost(m.buffer, false);
      if (host === null) return "failure";
      if (host === "localhost") host = "";
      m.url.host = host;
      if (m.override !== undefined) return "return";
      m.buffer = "";
      m.state = "path start";
    }
  },
  "path start"(m, c) {
    const url = m.url;
    if (isSpecial(url.scheme)) {
      m.state = "path";
      if (c !== SLASH && c !== BACKSLASH) m.pointer--;
    } else if (m.override === undefined && c === QUESTION) {
      url.query = "";
      m.state = "query";
    } else if (m.override === undefined && c === HASH) {
      url.fragment = "";
      m.state = "fragment";
    } else if (c !== EOF) {
      m.state = "path";
      if (c !== SLASH) m.pointer--;
    } else if (m.override !== undefined && url.host === null) {
      pathList(url).push("");
    }
  },
  path(m, c) {
    const url = m.url;
    const special = isSpecial(url.scheme);
    const input = m.input;
    // The segment runs to the next delimiter: take it at once.
    let end = m.pointer;
    for (; end < input.length; end++) {
      const d = input.charCodeAt(end);
      if (d === SLASH || (special && d === BACKSLASH) || (m.override === undefined && (d === QUESTION || d === HASH))) break;
    }
    if (end > m.pointer) {
      m.buffer += input.slice(m.pointer, end);
      m.pointer = end;
      c = end < input.length ? input.charCodeAt(end) : EOF;
    }
    const slash = c === SLASH || (special && c === BACKSLASH);
    const buffer = percentEncode(m.buffer, PATH_SET);
    const path = pathList(url);
    if (isDoubleDot(buffer)) {
      shortenPath(url);
      if (!slash) path.push("");
    } else if (isSingleDot(buffer)) {
      if (!slash) path.push("");
    } else {
      const segment = url.scheme === "file" && path.length === 0 && isWindowsDriveLetter(buffer) ? `${buffer[0]}:` : buffer;
      path.push(segment);
    }
    m.buffer = "";
    if (c === QUESTION) {
      url.query = "";
      m.state = "query";
    } else if (c === HASH) {
      url.fragment = "";
      m.state = "fragment";
    }
  },
  "opaque path"(m, c) {
    const url = m.url;
    if (c === QUESTION) {
      url.query = "";
      m.state = "query";
    } else if (c === HASH) {
      url.fragment = "";
      m.state = "fragment";
    } else if (c === 0x20) {
      // An opaque path never ends in a raw space before a query or fragment (whatwg/url#844).
      const next = m.input.charCodeAt(m.pointer + 1);
      url.path += next === QUESTION || next === HASH ? "%20" : " ";
    } else if (c !== EOF) {
      let end = m.pointer + 1;
      while (end < m.input.length && !isOpaqueDelimiter(m.input.charCodeAt(end))) end++;
      url.path += percentEncode(m.input.slice(m.pointer, end), C0_CONTROL_SET);
      m.pointer = end - 1;
    }
  },
  query(m, c) {
    const url = m.url;
    let end = m.pointer;
    if (m.override === undefined) {
      const hash = m.input.indexOf("#", m.pointer);
      end = hash < 0 ? m.input.length : hash;
    } else end = m.input.length;
    if (c !== EOF) {
      const text = m.input.slice(m.pointer, end);
      url.query = (url.query ?? "") + percentEncode(text, isSpecial(url.scheme) ? SPECIAL_QUERY_SET : QUERY_SET);
    }
    m.pointer = end;
    if (end < m.input.length) {
      url.fragment = "";
      m.state = "fragment";
    }
  },
  fragment(m, c) {
    if (c === EOF) return;
    m.url.fragment = (m.url.fragment ?? "") + percentEncode(m.input.slice(m.pointer), FRAGMENT_SET);
    m.pointer = m.input.length;
  },
};

const isOpaqueDelimiter = (c: number) => c === QUESTION || c === HASH || c === 0x20;
