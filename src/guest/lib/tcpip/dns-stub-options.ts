/**
 * @module tcpip/dns-stub-options
 * What the stub resolver (dns-stub.ts) is given: the socket or a way to open one per try, the
 * servers, the retry policy; what it counts; and how a server is written (`192.0.2.53`,
 * `192.0.2.53:5353`, `[2001:db8::53]:53`, a uint32 address), read with the one address parser of
 * the guest libraries (tsuki/net-address).
 */

import type { Connector, Datagram } from "../../sdk/devices.ts";
import { formatIPv4, parseIPv4, parseIPv6 } from "../net-address/index.ts";

/** The part of a udp device the resolver uses (the SDK's `Udp`, or a socket of `tsuki/tcpip`). */
export interface DatagramSocket {
  receive(): Promise<Datagram>;
  send(data: Uint8Array, to?: { address: string; port: number }): void;
  /** The fixed destination of the device, used when no servers are given. */
  readonly peer?: { readonly address: string; readonly port: number } | undefined;
}

/** A socket the resolver opens for one try and closes after it (a pending `receive` then rejects). */
export interface ClosableDatagramSocket extends DatagramSocket {
  close(): void;
}

/** A server: "192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:53", a uint32 address, or an object. */
export type ServerSpec = string | number | { readonly address: string; readonly port?: number };

export interface ResolverOptions {
  /** The socket to use, or a function opening a fresh one (a random port) for each try. */
  readonly udp: DatagramSocket | (() => ClosableDatagramSocket);
  /** Where to send queries, tried in order; default the udp device's fixed peer. */
  readonly servers?: readonly ServerSpec[];
  /** A connector to the (first) server's TCP port, for answers that come back truncated. */
  readonly tcp?: Connector;
  /** Milliseconds each try waits, doubled on each round over the servers; default 2000. */
  readonly timeout?: number;
  /** Rounds over the servers; default 3 (so 3 tries with one server: 2 s, 4 s, 8 s). */
  readonly attempts?: number;
  /** Start each query at the next server instead of the first (resolv.conf's `rotate`). */
  readonly rotate?: boolean;
  /** EDNS(0) UDP payload size to advertise (RFC 6891), or 0 for none; default 1232. */
  readonly ednsPayload?: number;
  /** Random bytes for query IDs; default `crypto.getRandomValues`. */
  readonly random?: (bytes: Uint8Array) => void;
}

export interface LookupOptions {
  /** 4 (A records, the default) or 6 (AAAA). */
  readonly family?: 4 | 6;
}

export interface ResolverStats {
  queries: number;
  sent: number;
  received: number;
  /** Datagrams that matched no outstanding query (wrong ID, source, question: late or spoofed). */
  unmatched: number;
  malformed: number;
  timeouts: number;
  truncated: number;
}

export interface Server {
  readonly address: string;
  readonly port: number;
}

/** A server as the resolver keeps it; a TypeError for anything that is not one (IPv6 must be RFC 4291 text). */
export function parseServer(spec: ServerSpec): Server {
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 0 || spec > 0xffffffff) throw new TypeError(`Resolver: ${spec} is not an IPv4 address number`);
    return { address: formatIPv4(spec), port: 53 };
  }
  if (typeof spec === "object") {
    const port = spec.port ?? 53;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`Resolver: port ${port} of ${spec.address}`);
    return { address: spec.address, port };
  }
  const bracket = /^\[([0-9A-Fa-f:.]+)\](?::([0-9]{1,5}))?$/.exec(spec);
  if (bracket && parseIPv6(bracket[1]!) !== undefined) return parseServer({ address: bracket[1]!.toLowerCase(), port: bracket[2] === undefined ? 53 : Number(bracket[2]) });
  const v4 = /^([0-9.]+)(?::([0-9]{1,5}))?$/.exec(spec);
  if (v4 && parseIPv4(v4[1]!) !== undefined) return parseServer({ address: v4[1]!, port: v4[2] === undefined ? 53 : Number(v4[2]) });
  if (!spec.includes(".") && parseIPv6(spec) !== undefined) return { address: spec.toLowerCase(), port: 53 };
  throw new TypeError(`Resolver: "${spec}" is not a server address (write 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53)`);
}
