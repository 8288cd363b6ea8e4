/**
 * @module host/spec/device-uri
 * The one parser of device URIs. A binding's URI (`--dev web=tcp://127.0.0.1:8080`, a run
 * configuration's tag, a create request to tsukid) becomes a `DeviceBinding`, a typed value with
 * one case per kind and scheme, or is refused with a `UriProblem` saying why; device backends,
 * tenant admission and block volumes read the typed value, never the text. `formatDeviceUri`
 * writes the canonical text back, and `parseDeviceUri(kind, formatDeviceUri(b))` gives `b` again,
 * so the text stored (tsukid's database, a configuration's bindings) means what was checked.
 *
 *   listener   tcp://HOST:PORT[?max=N]   tls://HOST:PORT?cert=PATH&key=PATH[&max=N]
 *   connector  tcp://HOST:PORT[?max=N]   tls://HOST:PORT[?ca=PATH&servername=NAME&max=N]
 *   udp        udp://HOST:PORT[?peer=IP:PORT]
 *   net        tap:NAME[?mac=02:…]
 *   block      file:PATH[?size=SIZE&sector=N]    volume:NAME[?size=SIZE&sector=N] (tsukid's volumes)
 *
 * The grammar of each piece (hosts, ports, peers, percent-encoding, options) is endpoint.ts's.
 * Relative file paths are resolved against `base` when one is given, and kept as written
 * otherwise (tsukid places a tenant's bare names itself).
 */

import path from "node:path";
import { type DeviceKind, IMAGE_NAME, macProblem } from "../../abi/index.ts";
import { type Endpoint, UriProblem, checkVisible, decode, encode, formatHostPort, parseHost, parseHostPort, parsePeerText, parseQuery, parseWhole } from "./endpoint.ts";

export { UriProblem } from "./endpoint.ts";
export type { Endpoint } from "./endpoint.ts";

export type ListenerBinding =
  | { readonly kind: "listener"; readonly scheme: "tcp"; readonly host: string; readonly port: number; readonly max?: number }
  | { readonly kind: "listener"; readonly scheme: "tls"; readonly host: string; readonly port: number; readonly max?: number; readonly cert: string; readonly key: string };
export type ConnectorBinding =
  | { readonly kind: "connector"; readonly scheme: "tcp"; readonly host: string; readonly port: number; readonly max?: number }
  | {
      readonly kind: "connector";
      readonly scheme: "tls";
      readonly host: string;
      readonly port: number;
      readonly max?: number;
      /** A CA file (PEM) the server's certificate must chain to, in place of the host's trusted roots. */
      readonly ca?: string;
      /** The name the certificate must be for (and SNI), when not the host's. */
      readonly servername?: string;
    };
export interface UdpBinding {
  readonly kind: "udp";
  readonly scheme: "udp";
  readonly host: string;
  readonly port: number;
  readonly peer?: Endpoint;
}
export interface NetBinding {
  readonly kind: "net";
  readonly scheme: "tap";
  readonly tap: string;
  readonly mac?: string;
}
export type BlockBinding =
  | { readonly kind: "block"; readonly scheme: "file"; readonly path: string; readonly size?: number; readonly sector?: number }
  | { readonly kind: "block"; readonly scheme: "volume"; readonly volume: string; readonly size?: number; readonly sector?: number };

export type DeviceBinding = ListenerBinding | ConnectorBinding | UdpBinding | NetBinding | BlockBinding;

/** The most concurrent connections one listener or connector may be given. */
export const MAX_CONNECTIONS_LIMIT = 1_000_000;
/** The largest block device, in bytes. */
export const MAX_BLOCK_SIZE = 2 ** 50;
export const DEFAULT_SECTOR = 512;

/** A TAP name the kernel accepts: 1–15 bytes, no '/', ':' or white space, not "." or "..". */
export const TAP_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
/** A block volume's own name (the last segment of its full name). */
export const VOLUME_LABEL = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Segments in a full name: up to 8 tenants and the unikernel's or volume's own. */
export const MAX_NAME_SEGMENTS = 9;

/** URI schemes each kind accepts, with an example for messages. */
export const SCHEMES: Readonly<Record<DeviceKind, { readonly schemes: readonly string[]; readonly example: string }>> = {
  listener: { schemes: ["tcp:", "tls:"], example: "tcp://127.0.0.1:8080" },
  connector: { schemes: ["tcp:", "tls:"], example: "tcp://127.0.0.1:5432" },
  udp: { schemes: ["udp:"], example: "udp://127.0.0.1:5353" },
  net: { schemes: ["tap:"], example: "tap:tap0" },
  block: { schemes: ["file:"], example: "file:data.img" },
};

export interface ParseOptions {
  /** Resolve relative file paths (block files, certificates, keys) against this folder. */
  readonly base?: string;
  /** Accept `volume:NAME` for block devices (tsukid). */
  readonly volumes?: boolean;
}

/** Parses `uri` as a binding of a device of `kind`; throws UriProblem. */
export function parseDeviceUri(kind: DeviceKind, uri: string, options: ParseOptions = {}): DeviceBinding {
  const scheme = /^[a-z][a-z0-9+.-]*:/.exec(uri)?.[0];
  const accepted = kind === "block" && options.volumes ? [...SCHEMES.block.schemes, "volume:"] : SCHEMES[kind].schemes;
  if (scheme === undefined || !accepted.includes(scheme)) throw new UriProblem(`is not ${accepted.map((s) => (s === "tap:" ? "tap:NAME" : s === "file:" ? "file:PATH" : s === "volume:" ? "volume:NAME" : `${s}//…`)).join(" or ")}`, true);
  const rest = uri.slice(scheme.length);
  const q = rest.indexOf("?");
  const body = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);
  // A TAP's name has a grammar of its own, with a better message than "invisible character".
  if (scheme !== "tap:") checkVisible(uri);
  switch (scheme) {
    case "tcp:":
    case "tls:":
    case "udp:":
      return endpointBinding(kind, scheme.slice(0, -1) as "tcp" | "tls" | "udp", body, query, options);
    case "tap:":
      return netBinding(body, query);
    default:
      return blockBinding(scheme === "volume:" ? "volume" : "file", body, query, options);
  }
}

function endpointBinding(kind: DeviceKind, scheme: "tcp" | "tls" | "udp", body: string, query: string | undefined, options: ParseOptions): DeviceBinding {
  if (!body.startsWith("//")) throw new UriProblem(`is not ${scheme}://HOST:PORT`);
  const authority = body.slice(2);
  if (authority.includes("/")) throw new UriProblem("has a path, which it must not");
  if (/[@#]/.test(authority)) throw new UriProblem("has a user, password or fragment, which it must not");
  const { host, port } = parseHostPort(authority, kind !== "connector");
  if (kind === "udp") {
    const o = parseQuery(query, ["peer"], "a udp device");
    const peer = o.has("peer") ? parsePeerText(o.get("peer")!) : undefined;
    return { kind, scheme: "udp", host, port, ...(peer === undefined ? {} : { peer }) };
  }
  if (kind === "connector") {
    if (scheme === "tcp") return { kind, scheme: "tcp", host, port, ...maxOf(parseQuery(query, ["max"], "a tcp connector")) };
    const o = parseQuery(query, ["ca", "servername", "max"], "a tls connector", true);
    const servername = o.has("servername") ? parseHost(o.get("servername")!) : undefined;
    if (servername !== undefined && (servername.includes(":") || /^[\d.]+$/.test(servername))) throw new UriProblem(`has servername=${servername}: a server name is a DNS name (the address is the host's)`);
    return { kind, scheme: "tls", host, port, ...maxOf(o), ...(o.has("ca") ? { ca: filePath(o.get("ca")!, options) } : {}), ...(servername === undefined ? {} : { servername }) };
  }
  if (scheme === "tcp") return { kind: "listener", scheme, host, port, ...maxOf(parseQuery(query, ["max"], "a tcp listener")) };
  const o = parseQuery(query, ["cert", "key", "max"], "a tls listener", true);
  if (!o.has("cert") || !o.has("key")) throw new UriProblem("has no cert and key: a tls:// listener needs ?cert=PATH&key=PATH");
  return { kind: "listener", scheme: "tls", host, port, ...maxOf(o), cert: filePath(o.get("cert")!, options), key: filePath(o.get("key")!, options) };
}

function maxOf(options: Map<string, string>): { max?: number } {
  return options.has("max") ? { max: parseWhole(options.get("max")!, "max", 1, MAX_CONNECTIONS_LIMIT) } : {};
}

function netBinding(body: string, query: string | undefined): NetBinding {
  const tap = body;
  if (!TAP_NAME.test(tap) || tap === "." || tap === "..") throw new UriProblem(`names "${tap.slice(0, 40)}", which is not a TAP interface name (1–15 letters, digits, '_', '.' or '-'; not "." or "..")`);
  const o = parseQuery(query, ["mac"], "a net device");
  const mac = o.get("mac");
  if (mac !== undefined) {
    const why = macProblem(mac);
    if (why) throw new UriProblem(`has mac=${mac}: ${why}`);
  }
  return { kind: "net", scheme: "tap", tap, ...(mac === undefined ? {} : { mac: mac.toLowerCase() }) };
}

function blockBinding(scheme: "file" | "volume", body: string, query: string | undefined, options: ParseOptions): BlockBinding {
  const o = parseQuery(query, ["size", "sector"], scheme === "file" ? "a block device" : "a block volume");
  const sector = o.has("sector") ? parseSector(o.get("sector")!) : undefined;
  const size = o.has("size") ? parseBlockSize(o.get("size")!, sector ?? DEFAULT_SECTOR) : undefined;
  const extra = { ...(size === undefined ? {} : { size }), ...(sector === undefined ? {} : { sector }) };
  if (scheme === "volume") {
    const volume = decode(body, "the volume's name");
    const problem = volumeNameProblem(volume);
    if (problem) throw new UriProblem(`names the volume "${volume.slice(0, 80)}": ${problem}`);
    return { kind: "block", scheme, volume, ...extra };
  }
  if (body === "") throw new UriProblem("names no file: the file path is empty");
  return { kind: "block", scheme, path: filePath(decode(body, "the file's path", true), options), ...extra };
}

/** A file's path, decoded already: never empty, resolved against `base` if given. */
function filePath(file: string, options: ParseOptions): string {
  if (file === "") throw new UriProblem("names no file: the file path is empty");
  return options.base === undefined ? file : path.resolve(options.base, file);
}

/** A sector size: a power of two from 512 to 65536. */
export function parseSector(text: string): number {
  const sector = parseWhole(text, "sector", 512, 65536);
  if ((sector & (sector - 1)) !== 0) throw new UriProblem(`has sector=${text}: a sector size is a power of two from 512 to 65536`);
  return sector;
}

/** A block size: bytes, or a number with K, M, G or T (powers of 1024), a positive multiple of the sector. */
export function parseBlockSize(text: string, sector: number): number {
  const m = /^([1-9]\d{0,15})([KMGT]?)$/.exec(text);
  const bytes = m ? Number(m[1]) * 1024 ** " KMGT".indexOf(m[2] || " ") : NaN;
  if (!m || !Number.isSafeInteger(bytes) || bytes > MAX_BLOCK_SIZE || bytes % sector !== 0) {
    throw new UriProblem(`has size=${text}: a size is a positive multiple of the sector size ${sector} up to 2^50 bytes, in bytes or with K, M, G or T (e.g. size=64M)`);
  }
  return bytes;
}

/** Why `name` is not a volume's full name (tenant segments, then its own label), or undefined. */
export function volumeNameProblem(name: string): string | undefined {
  const segments = name.split("/");
  const own = segments.at(-1)!;
  if (segments.length > MAX_NAME_SEGMENTS || !VOLUME_LABEL.test(own) || !segments.slice(0, -1).every((s) => IMAGE_NAME.test(s))) {
    return "a volume's name is 1–63 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. data.img), under a tenant's path for the administrator (acme/data.img)";
  }
  return undefined;
}

/** The canonical text of a binding: options in a fixed order, values percent-encoded where needed. */
export function formatDeviceUri(b: DeviceBinding): string {
  const query = (pairs: readonly [string, string | number | undefined][]) => {
    const given = pairs.filter((p): p is [string, string | number] => p[1] !== undefined);
    return given.length === 0 ? "" : `?${given.map(([k, v]) => `${k}=${typeof v === "number" ? v : encode(v)}`).join("&")}`;
  };
  switch (b.kind) {
    case "listener":
      return `${b.scheme}://${formatHostPort(b)}${b.scheme === "tls" ? query([["cert", b.cert], ["key", b.key], ["max", b.max]]) : query([["max", b.max]])}`;
    case "connector":
      return b.scheme === "tcp" ? `tcp://${formatHostPort(b)}${query([["max", b.max]])}` : `tls://${formatHostPort(b)}${query([["ca", b.ca], ["servername", b.servername], ["max", b.max]])}`;
    case "udp":
      return `udp://${formatHostPort(b)}${query([["peer", b.peer === undefined ? undefined : formatHostPort(b.peer)]])}`;
    case "net":
      return `tap:${b.tap}${query([["mac", b.mac]])}`;
    case "block": {
      const options = query([["size", b.size], ["sector", b.sector]]);
      return b.scheme === "file" ? `file:${encodePath(b.path)}${options}` : `volume:${b.volume}${options}`;
    }
  }
}

/** A path as a URI keeps it: readable, with only what the grammar reserves encoded. */
export function encodePath(file: string): string {
  return file.replace(/[%?\s#&]/g, (c) => encodeURIComponent(c));
}
