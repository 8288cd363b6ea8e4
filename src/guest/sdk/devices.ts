/**
 * @module guest/sdk/devices
 * Device declarations: `listener()`, `connector()`, `udp()`, `net()` and `block()` each declare a
 * device of one kind, to be bound by the operator (`--dev name=URI`). The declaration carries its
 * kind as data (the build writes it into the manifest) and, as a type, the handle `start` receives.
 *
 * Listeners and connectors carry streams (`Connection`); the udp, net and block kinds can be
 * declared and bound, but this tender has no backend for them yet and refuses to boot them.
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

export type Udp = Device<"udp">;
export type Net = Device<"net">;
export type Block = Device<"block">;

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
