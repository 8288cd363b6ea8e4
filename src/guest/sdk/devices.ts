/**
 * @module guest/sdk/devices
 * Device declarations: `listener()`, `connector()`, `udp()`, `net()` and `block()` each declare a
 * device of one kind, to be bound by the operator (`--dev name=URI`). The declaration carries its
 * kind as data (the build writes it into the manifest) and, as a type, the handle `start` receives.
 *
 * Listeners and connectors carry streams (`Connection`), udp devices datagrams, block devices
 * sectors, net devices raw Ethernet frames for the in-guest TCP/IP stack (`tsuki/tcpip`).
 */

import type { DeviceKind } from "../../abi/devices.ts";
import { parseOrigin } from "../../abi/origin.ts";

export interface DeviceDeclaration<K extends DeviceKind, Optional extends boolean = boolean> {
  readonly kind: K;
  /** Declared with `{ optional: true }`: the operator may leave it unbound, and `start` then receives undefined. */
  readonly optional?: Optional extends true ? true : undefined;
}

/** How a device is declared: `{ optional: true }` lets the operator leave it unbound. */
export interface DeclareOptions {
  readonly optional?: boolean;
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
/**
 * Raw Ethernet II frames on a link the operator bound (`tap:NAME`), for an in-guest TCP/IP stack
 * (`tsuki/tcpip`). The host moves frames in batches and never parses them; the stack inside the
 * image does all of it.
 */
export interface Net extends Device<"net"> {
  /** The interface's MAC address: 6 bytes, fixed by the binding or derived from the unikernel's name. */
  readonly mac: Uint8Array;
  /** The link MTU: the most bytes one frame carries after its 14-byte Ethernet header. */
  readonly mtu: number;
  /**
   * Sends one frame (Ethernet header included, 14 + at most `mtu` bytes), best effort as on a wire:
   * the bytes are copied before `send` returns, and the frames of one turn reach the host together.
   */
  send(frame: Uint8Array): void;
  /**
   * Sets the one function that receives every frame from now on. `frame` is a view valid only during
   * the call: copy what you keep. Frames that arrive while no receiver is set wait, up to a bound
   * past which the oldest are dropped.
   */
  receive(onFrame: (frame: Uint8Array) => void): void;
}

interface HandleOfKind {
  listener: Listener;
  connector: Connector;
  udp: Udp;
  net: Net;
  block: Block;
}

export type DeviceHandle<D> = D extends DeviceDeclaration<infer K, infer O> ? (O extends true ? HandleOfKind[K] | undefined : HandleOfKind[K]) : never;

type Declared<K extends DeviceKind, O> = DeviceDeclaration<K, O extends { optional: true } ? true : false>;

function declare<K extends DeviceKind, O extends DeclareOptions | undefined>(kind: K, options: O): Declared<K, O> {
  if (options !== undefined && (typeof options !== "object" || options === null)) throw new TypeError(`${kind}() takes { optional?: boolean } or nothing`);
  const optional = options?.optional;
  if (optional !== undefined && typeof optional !== "boolean") throw new TypeError(`${kind}({ optional }) takes a boolean`);
  return Object.freeze(optional ? { kind, optional: true } : { kind }) as Declared<K, O>;
}

/** A stream server: accepted connections from the address the operator binds (tcp://, tls://). */
export const listener = <const O extends DeclareOptions | undefined = undefined>(options?: O) => declare("listener", options as O);
/**
 * How a connector is declared. With an `origin`, the global `fetch` sends that origin's requests
 * through it (the operator binds it to `tls://` naming the origin's host for https, `tcp://` for
 * http); `headersTimeoutMs` and `maxHeaderBytes` bound each response's head there.
 */
export interface ConnectorOptions extends DeclareOptions {
  /** `"https://api.example.com"`: scheme, host and optional port, nothing else. */
  readonly origin?: string;
  /** How long `fetch` waits for a response's head once its request is sent: then a TypeError. Default 30,000. */
  readonly headersTimeoutMs?: number;
  /** The most bytes of a response's status line and header section: past it, a TypeError. Default 16 KiB. */
  readonly maxHeaderBytes?: number;
}

/** A stream client to one endpoint fixed by the operator (tcp://HOST:PORT, tls://HOST:PORT), and with an origin, `fetch`'s way there. */
export const connector = <const O extends ConnectorOptions | undefined = undefined>(options?: O) => {
  const { origin, headersTimeoutMs, maxHeaderBytes, ...rest } = (options ?? {}) as ConnectorOptions;
  const declared = declare("connector", (options === undefined ? undefined : rest) as O);
  if (origin === undefined && headersTimeoutMs === undefined && maxHeaderBytes === undefined) return declared;
  const parsed = origin === undefined ? undefined : parseOrigin(origin);
  if (typeof parsed === "string") throw new TypeError(`connector({ origin }): the origin ${parsed}`);
  if (headersTimeoutMs !== undefined && !(typeof headersTimeoutMs === "number" && headersTimeoutMs > 0)) throw new TypeError(`connector({ headersTimeoutMs }) takes a positive number of milliseconds (or Infinity), not ${String(headersTimeoutMs)}`);
  if (maxHeaderBytes !== undefined && !(Number.isSafeInteger(maxHeaderBytes) && maxHeaderBytes > 0)) throw new TypeError(`connector({ maxHeaderBytes }) takes a positive integer, not ${String(maxHeaderBytes)}`);
  return Object.freeze({ ...declared, ...(parsed === undefined ? {} : { origin: parsed.text }), ...(headersTimeoutMs === undefined ? {} : { headersTimeoutMs }), ...(maxHeaderBytes === undefined ? {} : { maxHeaderBytes }) }) as typeof declared;
};
/** Datagrams on one address bound by the operator (udp://ADDR:PORT). */
export const udp = <const O extends DeclareOptions | undefined = undefined>(options?: O) => declare("udp", options as O);
/** Raw Ethernet frames, for the in-guest TCP/IP stack (tap:NAME). */
export const net = <const O extends DeclareOptions | undefined = undefined>(options?: O) => declare("net", options as O);
/** A fixed-size block device backed by a file the operator names. */
export const block = <const O extends DeclareOptions | undefined = undefined>(options?: O) => declare("block", options as O);
