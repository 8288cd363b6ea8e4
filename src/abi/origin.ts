/**
 * @module abi/origin
 * The origin a `connector()` serves for `fetch` (`connector({ origin: "https://api.example.com" })`),
 * as the SDK checks it, the manifest records it and the tender matches it against the binding. One
 * grammar, deliberately narrower than URL's: `http` or `https`, a host that is a lower-case DNS
 * name, a dotted-quad IPv4 address or a bracketed IPv6 address, an optional port, nothing else (a
 * trailing "/" is dropped). Its canonical text is what WHATWG URL's `origin` gives for it, so the
 * guest finds a request's connector by `new URL(request.url).origin`.
 */

export interface Origin {
  readonly scheme: "http" | "https";
  /** Lower case; an IPv6 address in brackets. */
  readonly host: string;
  /** The port, the scheme's default (80, 443) when none was written. */
  readonly port: number;
  /** The canonical text: `scheme://host[:port]`, the default port left out. */
  readonly text: string;
}

const ORIGIN = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?\/?$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** `text` as an origin, or why it is not one (a phrase that follows "the origin …"). */
export function parseOrigin(text: unknown): Origin | string {
  if (typeof text !== "string") return `must be a string such as "https://api.example.com"`;
  const match = ORIGIN.exec(text.toLowerCase());
  if (match === null) return `${JSON.stringify(text.slice(0, 100))} is not an origin: write scheme://host[:port] with http or https and nothing after, e.g. "https://api.example.com"`;
  const scheme = match[1] as "http" | "https";
  const host = match[2]!;
  if (host.startsWith("[")) {
    if (!/^\[(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\]$/.test(host)) return `${JSON.stringify(text)} names ${host}, which is not an IPv6 address`;
  } else if (/^[0-9.]+$/.test(host)) {
    if (!IPV4.test(host)) return `${JSON.stringify(text)} names ${host}, which is not a dotted-quad IPv4 address`;
  } else if (host.length > 253 || !host.split(".").every((label) => LABEL.test(label))) {
    return `${JSON.stringify(text)} names ${host}, which is not a DNS name (labels of letters, digits and inner dashes)`;
  }
  const defaultPort = scheme === "https" ? 443 : 80;
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (port < 1 || port > 65535) return `${JSON.stringify(text)} has port ${match[3]}, which is not 1–65535`;
  return { scheme, host, port, text: `${scheme}://${host}${port === defaultPort ? "" : `:${port}`}` };
}
