/**
 * @module guest/web/url/parser
 * The basic URL parser (URL Standard §4.4), the whole state machine: special and non-special
 * schemes, `file:` with Windows drive letters, opaque paths, relative references against a base,
 * credentials, hosts (host.ts) and ports, and the state overrides `URL`'s setters use.
 *
 * It walks UTF-16 code units rather than code points: every state branches on ASCII only, and the
 * non-ASCII text it copies is percent-encoded as UTF-8 a run at a time (a surrogate pair stays
 * whole), which is what encoding each code point as it comes gives. Path, query, fragment and
 * opaque-path states are in parser-path.ts.
 */

import { parseHost } from "./host.ts";
import { type Machine, type State, pathStates } from "./parser-path.ts";
import { USERINFO_SET, percentEncode } from "./percent.ts";
import { type UrlRecord, cloneRecord, defaultPort, includesCredentials, isSpecial, newRecord, shortenPath } from "./record.ts";

const EOF = -1;
const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isSchemeChar = (c: number) => isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e;
/** EOF, "/", "?" or "#", or "\" in a special URL: where an authority component ends. */
const endsAuthority = (m: Machine, c: number) => c === EOF || c === 0x2f || c === 0x3f || c === 0x23 || (c === 0x5c && isSpecial(m.url.scheme));

/** Leading and trailing C0 controls and spaces: removed by a loop (a regular expression could take quadratic time). */
function trimControlAndSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

const TAB_OR_NEWLINE = /[\t\n\r]/g;

/**
 * Parses `input` against `base`. With `url` and `override`, changes `url` in place as a setter
 * does and returns it, or null when the standard says failure (the setter then does nothing).
 */
export function parse(input: string, base: UrlRecord | null = null, url?: UrlRecord, override?: State): UrlRecord | null {
  if (url === undefined) input = trimControlAndSpace(input);
  if (input.includes("\t") || input.includes("\n") || input.includes("\r")) input = input.replace(TAB_OR_NEWLINE, "");
  const m: Machine = { input, pointer: 0, buffer: "", state: override ?? "scheme start", url: url ?? newRecord(), base, override, atSignSeen: false, insideBrackets: false, passwordTokenSeen: false };
  for (; m.pointer <= input.length; m.pointer++) {
    const c = m.pointer < input.length ? input.charCodeAt(m.pointer) : EOF;
    const step = STATES[m.state](m, c);
    if (step === "failure") return null;
    if (step === "return") return m.url;
  }
  return m.url;
}

type Step = void | "failure" | "return";

const STATES: Record<State, (m: Machine, c: number) => Step> = {
  "scheme start"(m, c) {
    if (isAlpha(c)) {
      m.buffer += String.fromCharCode(c).toLowerCase();
      m.state = "scheme";
    } else if (m.override === undefined) {
      m.state = "no scheme";
      m.pointer--;
    } else return "failure";
  },
  scheme(m, c) {
    if (isSchemeChar(c)) {
      m.buffer += String.fromCharCode(c).toLowerCase();
      return;
    }
    if (c !== 0x3a) {
      if (m.override !== undefined) return "failure";
      m.buffer = "";
      m.state = "no scheme";
      m.pointer = -1;
      return;
    }
    const url = m.url;
    if (m.override !== undefined) {
      if (isSpecial(url.scheme) !== isSpecial(m.buffer)) return "return";
      if ((includesCredentials(url) || url.port !== null) && m.buffer === "file") return "return";
      if (url.scheme === "file" && url.host === "") return "return";
    }
    url.scheme = m.buffer;
    if (m.override !== undefined) {
      if (url.port === defaultPort(url.scheme)) url.port = null;
      return "return";
    }
    m.buffer = "";
    if (url.scheme === "file") m.state = "file";
    else if (isSpecial(url.scheme) && m.base !== null && m.base.scheme === url.scheme) m.state = "special relative or authority";
    else if (isSpecial(url.scheme)) m.state = "special authority slashes";
    else if (m.input.charCodeAt(m.pointer + 1) === 0x2f) {
      m.state = "path or authority";
      m.pointer++;
    } else {
      url.path = "";
      m.state = "opaque path";
    }
  },
  "no scheme"(m, c) {
    const base = m.base;
    if (base === null || (typeof base.path === "string" && c !== 0x23)) return "failure";
    if (typeof base.path === "string") {
      Object.assign(m.url, { scheme: base.scheme, path: base.path, query: base.query, fragment: "" });
      m.state = "fragment";
    } else {
      m.state = base.scheme === "file" ? "file" : "relative";
      m.pointer--;
    }
  },
  "special relative or authority"(m, c) {
    if (c === 0x2f && m.input.charCodeAt(m.pointer + 1) === 0x2f) {
      m.state = "special authority ignore slashes";
      m.pointer++;
    } else {
      m.state = "relative";
      m.pointer--;
    }
  },
  "path or authority"(m, c) {
    if (c === 0x2f) m.state = "authority";
    else {
      m.state = "path";
      m.pointer--;
    }
  },
  relative(m, c) {
    const base = m.base!;
    const url = m.url;
    url.scheme = base.scheme;
    if (c === 0x2f || (c === 0x5c && isSpecial(url.scheme))) {
      m.state = "relative slash";
      return;
    }
    const copy = cloneRecord(base);
    Object.assign(url, { username: copy.username, password: copy.password, host: copy.host, port: copy.port, path: copy.path, query: copy.query });
    if (c === 0x3f) {
      url.query = "";
      m.state = "query";
    } else if (c === 0x23) {
      url.fragment = "";
      m.state = "fragment";
    } else if (c !== EOF) {
      url.query = null;
      shortenPath(url);
      m.state = "path";
      m.pointer--;
    }
  },
  "relative slash"(m, c) {
    const url = m.url;
    if (isSpecial(url.scheme) && (c === 0x2f || c === 0x5c)) m.state = "special authority ignore slashes";
    else if (c === 0x2f) m.state = "authority";
    else {
      const base = m.base!;
      Object.assign(url, { username: base.username, password: base.password, host: base.host, port: base.port });
      m.state = "path";
      m.pointer--;
    }
  },
  "special authority slashes"(m, c) {
    m.state = "special authority ignore slashes";
    if (c === 0x2f && m.input.charCodeAt(m.pointer + 1) === 0x2f) m.pointer++;
    else m.pointer--;
  },
  "special authority ignore slashes"(m, c) {
    if (c !== 0x2f && c !== 0x5c) {
      m.state = "authority";
      m.pointer--;
    }
  },
  authority(m, c) {
    if (c === 0x40) {
      if (m.atSignSeen) m.buffer = `%40${m.buffer}`;
      m.atSignSeen = true;
      let user = m.buffer;
      let password = "";
      if (!m.passwordTokenSeen) {
        const colon = user.indexOf(":");
        if (colon >= 0) {
          m.passwordTokenSeen = true;
          password = user.slice(colon + 1);
          user = user.slice(0, colon);
        }
        m.url.username += percentEncode(user, USERINFO_SET);
        m.url.password += percentEncode(password, USERINFO_SET);
      } else m.url.password += percentEncode(user, USERINFO_SET);
      m.buffer = "";
    } else if (endsAuthority(m, c)) {
      if (m.atSignSeen && m.buffer === "") return "failure";
      m.pointer -= m.buffer.length + 1;
      m.buffer = "";
      m.state = "host";
    } else m.buffer += String.fromCharCode(c);
  },
  host: hostState,
  hostname: hostState,
  port(m, c) {
    if (isDigit(c)) {
      m.buffer += String.fromCharCode(c);
      return;
    }
    if (!endsAuthority(m, c) && m.override === undefined) return "failure";
    if (m.buffer !== "") {
      const port = Number.parseInt(m.buffer, 10);
      if (port > 65535) return "failure";
      m.url.port = port === defaultPort(m.url.scheme) ? null : port;
      m.buffer = "";
    }
    if (m.override !== undefined) return "return";
    m.state = "path start";
    m.pointer--;
  },
  ...pathStates,
};

function hostState(m: Machine, c: number): Step {
  const url = m.url;
  if (m.override !== undefined && url.scheme === "file") {
    m.pointer--;
    m.state = "file host";
  } else if (c === 0x3a && !m.insideBrackets) {
    if (m.buffer === "") return "failure";
    if (m.override === "hostname") return "failure";
    const host = parseHost(m.buffer, !isSpecial(url.scheme));
    if (host === null) return "failure";
    url.host = host;
    m.buffer = "";
    m.state = "port";
  } else if (endsAuthority(m, c)) {
    m.pointer--;
    if (isSpecial(url.scheme) && m.buffer === "") return "failure";
    if (m.override !== undefined && m.buffer === "" && (includesCredentials(url) || url.port !== null)) return "failure";
    const host = parseHost(m.buffer, !isSpecial(url.scheme));
    if (host === null) return "failure";
    url.host = host;
    m.buffer = "";
    m.state = "path start";
    if (m.override !== undefined) return "return";
  } else {
    if (c === 0x5b) m.insideBrackets = true;
    if (c === 0x5d) m.insideBrackets = false;
    m.buffer += String.fromCharCode(c);
  }
}
