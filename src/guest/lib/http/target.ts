/**
 * @module tsuki/http/target
 * The absolute URL of a request (RFC 9112 §3.2–§3.3), built from its request-target and `Host`.
 * An HTTP/1.1 request needs exactly one `Host`, a valid authority; a second one, or none, is a 400.
 * The URL is built by concatenation, never by resolving the target against a base, so that an
 * origin-form target such as `//evil.example/` stays a path and never becomes a host.
 */

import { type ProtocolError, protocolError } from "./errors.ts";
import type { RequestHead } from "./head.ts";

/** RFC 3986 §3.2.2–3.2.3: IP-literal, IPv4 or reg-name, then an optional port. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]*)?$/;
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+\-.]*:\/\//;
/**
 * Origin-form targets that the URL parser would leave exactly as they are: no character it
 * percent-encodes or rewrites (space, quotes, `<>^`{|}`, backslash, `#`) and no dot segment, even a
 * percent-encoded one. Their URL is the origin followed by the target, without parsing the target.
 */
const PLAIN_TARGET = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*)?$/;
const DOT_SEGMENT = /\/(?:\.|%2e)/i;
/** Serialised origins by `scheme://host` as sent: a client sends the same Host on every request. */
const origins = new Map<string, string>();
const MAX_ORIGINS = 256;

/** `scheme` is the listener's ("http", or "https" behind a TLS listener); `fallbackHost` names it for HTTP/1.0 without Host. */
export function requestUrl(head: RequestHead, scheme: string, fallbackHost: string): string | ProtocolError {
  const hosts = head.fields.filter(([name]) => name === "host");
  if (hosts.length > 1) return protocolError(400, "more than one Host header");
  if (hosts.length === 0 && head.minor >= 1) return protocolError(400, "an HTTP/1.1 request must have a Host header");
  const host = hosts[0]?.[1] ?? fallbackHost;
  if (hosts.length === 1 && !AUTHORITY.test(host)) return protocolError(400, "the Host header is not a valid host[:port]");
  const target = head.target;
  let text: string;
  if (target.startsWith("/")) {
    if (PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target)) {
      const origin = originOf(`${scheme}://${host}`);
      return origin === null ? protocolError(400, "the request-target and Host do not make a valid URL") : origin + target;
    }
    text = `${scheme}://${host}${target}`;
  } else if (ABSOLUTE_FORM.test(target)) {
    // §3.2.2: with an absolute-form target the Host header is ignored.
    if (!/^https?:/i.test(target)) return protocolError(400, "an absolute request-target must be an http or https URL");
    text = target;
  } else if (target === "*") {
    // §3.2.4: asterisk-form is for OPTIONS only.
    if (head.method !== "OPTIONS") return protocolError(400, "the request-target * is for OPTIONS only");
    text = `${scheme}://${host}/`;
  } else {
    return protocolError(400, "the request-target is not in origin, absolute or asterisk form");
  }
  const url = URL.parse(text);
  if (url === null || !/^https?:$/.test(url.protocol)) return protocolError(400, "the request-target and Host do not make a valid URL");
  return url.href;
}

/** `scheme://host` serialised as the URL parser does (host lower-cased, default port dropped, IPv4 normalised), or null. */
function originOf(key: string): string | null {
  let origin = origins.get(key);
  if (origin !== undefined) return origin;
  const url = URL.parse(`${key}/`);
  if (url === null || url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") return null;
  origin = url.href.slice(0, -1);
  if (origins.size >= MAX_ORIGINS) origins.clear();
  origins.set(key, origin);
  return origin;
}
