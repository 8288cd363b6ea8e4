/**
 * @module tcpip/udp
 * UDP (RFC 768, RFC 1122 §4.1) over the stack's IPv4:
 * - received datagrams are checked (length field within the packet, ≥ 8) and their checksum
 *   verified unless it is 0 ("none", RFC 768; RFC 1122 §4.1.3.4); a datagram for a port nobody
 *   bound is answered with ICMP port unreachable (RFC 1122 §4.1.3.1), within ICMP's own rules;
 * - sent datagrams always carry a checksum (RFC 1122 §4.1.3.4: MUST be able to; on by default);
 * - `open(port)` gives a socket with the SDK's `Udp` interface (`receive()`, async iteration,
 *   `send(data, to?)`, `address`, `peer`), so code written for a `udp()` device (such as
 *   tsuki/dns's `serveUdp`) runs on it unchanged. Port 0 picks a random free ephemeral port in
 *   49152…65535 (RFC 6056 §3.3.1). Each socket keeps at most `queueLimit` unread datagrams
 *   (128) and `queueBytes` bytes (256 KiB): past either the new datagram is dropped and counted;
 * - `bindRaw(port, handler)` is for DHCP (RFC 2131 §4.1): it sees datagrams to that port sent to
 *   our address, to a broadcast address, or to any address while we have none, and it can send
 *   from 0.0.0.0 to 255.255.255.255 (broadcast MAC, no ARP) before an address exists.
 */

import { drop, type Drops } from "./counters.ts";
import { formatAddress, parseAddress, type Transport, type TransportContext } from "./seam/ip.ts";
import type { Icmp } from "./icmp.ts";
import type { Ipv4Layer } from "./ipv4-layer.ts";
import { UNREACHABLE } from "./wire/icmp.ts";
import { read16, write16 } from "./wire/ipv4.ts";
import { datagramChecksumValid, fillDatagramChecksum, UDP_HEADER_LENGTH, validateDatagram } from "./wire/udp.ts";
import type { Address, Datagram, Udp } from "../../sdk/devices.ts";
import { systemError } from "../../sdk/errors.ts";

export const PROTOCOL_UDP = 17;
/** The largest UDP payload in one IPv4 datagram: 65,535 − 20 − 8. */
export const MAX_UDP_PAYLOAD = 65507;
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

export interface UdpOptions {
  queueLimit?: number;
  queueBytes?: number;
}

export interface UdpStats {
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
  drops: Drops;
}

/** A raw binding's receiver: the payload is a view valid only during the call. */
export type RawHandler = (now: number, source: number, sourcePort: number, destination: number, payload: Uint8Array) => void;

/** What `bindRaw` returns. */
export interface RawBinding {
  readonly port: number;
  /**
   * Sends `payload` from our port to `destination:destinationPort`, from `source` (our address if
   * omitted; 0 while unconfigured). Broadcasts go to ff:ff:ff:ff:ff:ff without ARP. Returns
   * whether IP took it.
   */
  send(payload: Uint8Array, destination: number, destinationPort: number, source?: number): boolean;
  close(): void;
}

const encoder = new TextEncoder();

export class UdpLayer implements Transport {
  readonly stats: UdpStats = { datagramsIn: 0, datagramsOut: 0, bytesIn: 0, bytesOut: 0, drops: {} };
  readonly queueLimit: number;
  readonly queueBytes: number;
  #context: TransportContext;
  #ip: Ipv4Layer;
  #icmp: Icmp | undefined;
  #sockets = new Map<number, UdpSocket>();
  #raw = new Map<number, RawHandler>();

  constructor(context: TransportContext, ip: Ipv4Layer, icmp?: Icmp, options: UdpOptions = {}) {
    this.#context = context;
    this.#ip = ip;
    this.#icmp = icmp;
    this.queueLimit = options.queueLimit ?? 128;
    this.queueBytes = options.queueBytes ?? 256 * 1024;
    ip.register(PROTOCOL_UDP, this);
  }

  input(now: number, source: number, destination: number, payload: Uint8Array): void {
    const stats = this.stats;
    stats.datagramsIn++;
    const length = validateDatagram(payload, 0, payload.length);
    if (typeof length === "string") return drop(stats.drops, length);
    if (!datagramChecksumValid(payload, 0, length, source, destination)) return drop(stats.drops, "bad-checksum");
    const port = read16(payload, 2);
    if (port === 0) return drop(stats.drops, "zero-port");
    const sourcePort = read16(payload, 0);
    const data = payload.subarray(UDP_HEADER_LENGTH, length);
    stats.bytesIn += data.length;
    const raw = this.#raw.get(port);
    if (raw !== undefined) {
      const ip = this.#ip;
      if (destination === ip.address || ip.isBroadcast(destination) || ip.address === 0) return raw(now, source, sourcePort, destination, data);
      return drop(stats.drops, "not-for-us");
    }
    const socket = this.#sockets.get(port);
    if (socket === undefined || this.#ip.address === 0) {
      drop(stats.drops, "no-socket");
      // RFC 1122 §4.1.3.1: SHOULD send port unreachable (ICMP decides whether it may).
      this.#icmp?.unreachable(now, UNREACHABLE.PORT);
      return;
    }
    socket.deliver(data, source, sourcePort);
  }

  poll(_now: number): number {
    return Infinity;
  }

  /** Opens a socket on `port` (0: an ephemeral port). Throws EADDRINUSE if the port is taken. */
  open(port = 0, options: { peer?: { address: string; port: number } } = {}): UdpSocket {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`udp: port ${port} is outside 0…65535`);
    if (port === 0) port = this.#ephemeral();
    else if (this.#sockets.has(port) || this.#raw.has(port)) throw systemError("EADDRINUSE", "bind", { address: "0.0.0.0", port });
    let peer: Address | undefined;
    if (options.peer !== undefined) {
      if (parseAddress(options.peer.address) === undefined || !Number.isInteger(options.peer.port) || options.peer.port < 1 || options.peer.port > 65535) throw new TypeError(`udp: invalid peer ${options.peer.address}:${options.peer.port}`);
      peer = Object.freeze({ address: options.peer.address, port: options.peer.port, family: "IPv4" as const });
    }
    const socket = new UdpSocket(this, port, peer);
    this.#sockets.set(port, socket);
    return socket;
  }

  /** See the module comment. Throws EADDRINUSE if the port is taken. */
  bindRaw(port: number, handler: RawHandler): RawBinding {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`udp: port ${port} is outside 1…65535`);
    if (this.#sockets.has(port) || this.#raw.has(port)) throw systemError("EADDRINUSE", "bind", { address: "0.0.0.0", port });
    this.#raw.set(port, handler);
    let open = true;
    return {
      port,
      send: (payload, destination, destinationPort, source) => open && this.sendDatagram(port, destination, destinationPort, payload, source),
      close: () => {
        if (open && this.#raw.get(port) === handler) this.#raw.delete(port);
        open = false;
      },
    };
  }

  /** Sends one datagram; false if it was dropped (too long, no route, no address). */
  sendDatagram(sourcePort: number, destination: number, destinationPort: number, data: Uint8Array, source?: number): boolean {
    const stats = this.stats;
    if (data.length > MAX_UDP_PAYLOAD) {
      drop(stats.drops, "too-long");
      return false;
    }
    const from = source ?? this.#ip.address;
    const length = UDP_HEADER_LENGTH + data.length;
    const ok = this.#ip.send(destination, PROTOCOL_UDP, length, (buffer, offset) => {
      write16(buffer, offset, sourcePort);
      write16(buffer, offset + 2, destinationPort);
      write16(buffer, offset + 4, length);
      buffer.set(data, offset + UDP_HEADER_LENGTH);
      fillDatagramChecksum(buffer, offset, length, from, destination);
    }, from);
    if (ok) {
      stats.datagramsOut++;
      stats.bytesOut += data.length;
    } else drop(stats.drops, "not-sent");
    return ok;
  }

  /** @internal */
  address(): number {
    return this.#ip.address;
  }

  /** @internal */
  release(socket: UdpSocket): void {
    if (this.#sockets.get(socket.port) === socket) this.#sockets.delete(socket.port);
  }

  /** Closes every socket and raw binding (the stack is closing). */
  close(): void {
    for (const socket of [...this.#sockets.values()]) socket.close();
    this.#raw.clear();
  }

  #ephemeral(): number {
    const bytes = new Uint8Array(2);
    this.#context.random(bytes);
    const start = ((bytes[0]! << 8) | bytes[1]!) % EPHEMERAL_COUNT;
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = EPHEMERAL_FIRST + ((start + i) % EPHEMERAL_COUNT);
      if (!this.#sockets.has(port) && !this.#raw.has(port)) return port;
    }
    throw systemError("EADDRINUSE", "bind", { detail: "no ephemeral port is free" });
  }
}

/** A UDP socket on the stack, shaped as the SDK's `Udp` device. */
export class UdpSocket implements Udp {
  readonly kind = "udp" as const;
  readonly name: string;
  readonly port: number;
  readonly peer: Address | undefined;
  #layer: UdpLayer;
  #queue: Datagram[] = [];
  #queuedBytes = 0;
  #waiters: { resolve(datagram: Datagram): void; reject(error: Error): void }[] = [];
  #closed = false;

  constructor(layer: UdpLayer, port: number, peer: Address | undefined) {
    this.#layer = layer;
    this.port = port;
    this.peer = peer;
    this.name = `udp:${port}`;
  }

  /** Our address and port (0.0.0.0 while the stack has no address). */
  get address(): Address {
    return { address: formatAddress(this.#layer.address()), port: this.port, family: "IPv4" };
  }

  get closed(): boolean {
    return this.#closed;
  }

  receive(): Promise<Datagram> {
    const datagram = this.#queue.shift();
    if (datagram !== undefined) {
      this.#queuedBytes -= datagram.data.length;
      return Promise.resolve(datagram);
    }
    if (this.#closed) return Promise.reject(systemError("EBADF", "recv", { detail: "the socket is closed" }));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * Sends one datagram (≤ 65,507 bytes; a string as UTF-8) to `to`, or to the peer; best effort:
   * a datagram with no route or no resolved next hop is dropped and counted.
   */
  send(data: Uint8Array | string, to?: { address: string; port: number }): void {
    if (this.#closed) throw systemError("EBADF", "send", { detail: "the socket is closed" });
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    if (!(bytes instanceof Uint8Array)) throw new TypeError("udp: data must be a Uint8Array or a string");
    const target = to ?? this.peer;
    if (target === undefined) throw systemError("EDESTADDRREQ", "send", { detail: "no destination and no peer" });
    const address = typeof target.address === "string" ? parseAddress(target.address) : undefined;
    if (address === undefined || !Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new TypeError(`udp: invalid destination ${String(target.address)}:${String(target.port)}`);
    if (bytes.length > MAX_UDP_PAYLOAD) throw new RangeError(`send EMSGSIZE: ${bytes.length} bytes is over the 65,507 a UDP datagram carries`);
    this.#layer.sendDatagram(this.port, address, target.port, bytes);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Datagram> {
    for (;;) {
      if (this.#closed && this.#queue.length === 0) return;
      try {
        yield await this.receive();
      } catch (error) {
        if (this.#closed) return;
        throw error;
      }
    }
  }

  /** Releases the port; pending `receive()` calls reject with EBADF and iteration ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#layer.release(this);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(systemError("EBADF", "recv", { detail: "the socket is closed" }));
  }

  /** @internal One datagram for us (the data is copied). */
  deliver(data: Uint8Array, source: number, sourcePort: number): void {
    const waiter = this.#waiters.shift();
    const datagram: Datagram = { data: data.slice(), from: { address: formatAddress(source), port: sourcePort, family: "IPv4" } };
    if (waiter !== undefined) return waiter.resolve(datagram);
    const layer = this.#layer;
    if (this.#queue.length >= layer.queueLimit || this.#queuedBytes + data.length > layer.queueBytes) return drop(layer.stats.drops, "queue-full");
    this.#queue.push(datagram);
    this.#queuedBytes += data.length;
  }
}
