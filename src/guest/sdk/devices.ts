/**
 * @module guest/sdk/devices
 * Device declarations: `listener()`, `connector()`, `udp()`, `net()` and `block()` each declare a
 * device of one kind, to be bound by the operator (`--dev name=URI`). The declaration carries its
 * kind as data (the build writes it into the manifest) and, as a type, the handle `start` receives.
 *
 * Listeners and connectors carry streams (`Connection`), udp devices datagrams, block devices
 * sectors. The net kind (raw Ethernet for the in-guest TCP/IP stack) can be declared and bound,
 * but this tender has no backend for it yet and refuses to boot it.
 */

import type { DeviceKind } from "../../abi/devices.ts";

export interface DeviceDeclaration<K extends DeviceKind> {
  readonly kind: K;
}

/** What `start` receives for a bound device: its name and kind. */
export interface Device<K extends DeviceKind> {
  readonly name: string;
  readonly kind: K;
}

/** The address of a stream's peer or of a listener, as the host sees it. */
export interface Address {
  readonly address: string;
  readonly port: number;
  readonly family: "IPv4" | "IPv6";
}

/**
 * One stream connection, accepted by a listener or opened by a connector. Errors are `Error`s with
 * Node's `code` (`ECONNRESET`, `EPIPE`, `ECONNREFUSED`, …) and `syscall`.
 */
export interface Connection extends AsyncIterable<Uint8Array> {
  /** A small integer naming the connection to the host, unique for the unikernel's life. */
  readonly handle: number;
  readonly remote: Address;
  /** The next bytes the peer sent, or null once it half-closed and everything was read. */
  read(): Promise<Uint8Array | null>;
  /** Sends bytes (a string is sent as UTF-8); resolves when the host has taken them, so awaiting it is backpressure. */
  write(data: Uint8Array | string): Promise<void>;
  /** Sends `data` if given, then half-closes: the peer reads end-of-stream; reading goes on. */
  end(data?: Uint8Array | string): Promise<void>;
  /** Closes both ways at once; pending reads end with null. */
  close(): void;
  /** Resolves when the connection is gone, with the error that ended it, if any. */
  readonly closed: Promise<Error | undefined>;
}

/** A stream server: yields each accepted connection. */
export interface Listener extends Device<"listener">, AsyncIterable<Connection> {
  /** Where it listens (the host picked the port if the binding said :0). */
  readonly address: Address;
  accept(): Promise<Connection>;
}

/** A stream client to the one endpoint the operator bound. */
export interface Connector extends Device<"connector"> {
  connect(): Promise<Connection>;
}

/** One datagram received by a udp device. */
export interface Datagram {
  readonly data: Uint8Array;
  readonly from: Address;
}

/**
 * Datagrams on one address bound by the operator. It sends only to the peer fixed in the binding,
 * or else only back to addresses it has received from (EACCES otherwise).
 */
export interface Udp extends Device<"udp">, AsyncIterable<Datagram> {
  readonly address: Address;
  /** The one destination fixed by the binding, if any. */
  readonly peer: Address | undefined;
  receive(): Promise<Datagram>;
  /** Sends one datagram (≤ 65,507 bytes; a string is sent as UTF-8), best effort; `to` defaults to the fixed peer. */
  send(data: Uint8Array | string, to?: Address | { address: string; port: number }): void;
}

/**
 * A fixed-size block device. Reads and writes are whole sectors, many per call (up to 1 MiB), and
 * synchronous; `flush` resolves once everything written before it is durable (fdatasync).
 */
export interface Block extends Device<"block"> {
  readonly size: number;
  readonly sectorSize: number;
  read(offset: number, length: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
  flush(): Promise<void>;
}
export type Net = Device<"net">;

interface HandleOfKind {
  listener: Listener;
  connector: Connector;
  udp: Udp;
  net: Net;
  block: Block;
}

export type DeviceHandle<D> = D extends DeviceDeclaration<infer K> ? HandleOfKind[K] : never;

const declare = <K extends DeviceKind>(kind: K): DeviceDeclaration<K> => Object.freeze({ kind });

/** A stream server: accepted connections from the address the operator binds (tcp://, tls://). */
export const listener = (): DeviceDeclaration<"listener"> => declare("listener");
/** A stream client to one endpoint fixed by the operator (tcp://HOST:PORT). */
export const connector = (): DeviceDeclaration<"connector"> => declare("connector");
/** Datagrams on one address bound by the operator (udp://ADDR:PORT). */
export const udp = (): DeviceDeclaration<"udp"> => declare("udp");
/** Raw Ethernet frames, for the in-guest TCP/IP stack (tap:NAME). */
export const net = (): DeviceDeclaration<"net"> => declare("net");
/** A fixed-size block device backed by a file the operator names. */
export const block = (): DeviceDeclaration<"block"> => declare("block");
