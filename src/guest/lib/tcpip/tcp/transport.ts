/**
 * @module tcpip/tcp/transport
 * `Tcp`: the TCP transport of one stack. It verifies and parses each segment, finds its connection
 * by 4-tuple (or its listener), answers segments for nothing with a RST (RFC 9293 §3.10.7.1),
 * runs the connections' timers in `poll`, and sends every outgoing segment through its
 * `SegmentWriter` (writer.ts), straight into the IP layer's buffer. It owns the socket API:
 * `listen` and `connect`.
 */

import type { Address } from "../../../sdk/devices.ts";
import { formatIPv4 as formatAddress, parseIPv4 as parseAddress } from "../../net-address/index.ts";
import type { Transport, TransportContext } from "../seam/ip.ts";
import { ACK, RST, SYN, TcpPacket, TcpRepr } from "../wire/tcp.ts";
import * as control from "./control.ts";
import { systemError } from "../../../sdk/errors.ts";
import { icmpErrors } from "./icmp-errors.ts";
import { IsnGenerator } from "./isn.ts";
import { TcpListener } from "./listener.ts";
import { type KeepAliveOptions, type ResolvedOptions, type TcpOptions, resolveKeepAlive, resolveOptions } from "./options.ts";
import { seqAdd, seqGt } from "./seq.ts";
import { TcpConnection } from "./socket.ts";
import { State } from "./state.ts";
import { type TcpStats, newStats } from "./stats.ts";
import { Tcb, type TcbHost } from "./tcb.ts";
import { SegmentWriter } from "./writer.ts";

/** RFC 6335 §6 / RFC 6056 §3.2: the dynamic port range, for connections we open. */
const EPHEMERAL_LOW = 49152;
const EPHEMERAL_HIGH = 65535;

export interface ListenOptions {
  /** Half-open plus not-yet-accepted connections held (default: the `Tcp`'s `backlog`, 128). */
  backlog?: number;
}

export interface ConnectOptions {
  /** Our port (default: a random free one from 49152–65535). */
  localPort?: number;
  /** Nagle off for this connection (default: the `Tcp`'s `noDelay`). */
  noDelay?: boolean;
  /** Keep-alive for this connection (default: the `Tcp`'s `keepAlive`). */
  keepAlive?: boolean | KeepAliveOptions;
}

export class Tcp implements Transport, TcbHost {
  readonly options: ResolvedOptions;
  readonly stats: TcpStats = newStats();
  readonly #context: TransportContext;
  readonly #isn: IsnGenerator;
  readonly #repr = new TcpRepr();
  readonly #writer: SegmentWriter;
  readonly #checksumAddresses = { source: 0, destination: 0 };
  /** Connections by local port, then by remote address·65536 + remote port. */
  readonly #byPort = new Map<number, Map<number, Tcb>>();
  readonly #all = new Set<Tcb>();
  readonly #listeners = new Map<number, TcpListener>();
  /** Connections with something for their socket, delivered at the next poll (data coalesces). */
  #notified: Tcb[] = [];
  /** Connections a socket call touched since the last poll. */
  #touched: Tcb[] = [];
  #last: Tcb | undefined;
  #handles = 0;
  /** No connection has a deadline before this (see `poll`). */
  #earliest = Infinity;
  readonly #socketHost = {
    now: () => this.#context.now(),
    touch: (tcb: Tcb) => this.#touch(tcb),
  };
  readonly #listenerHost = {
    socketFor: (tcb: Tcb) => this.#socketFor(tcb),
    unlisten: (listener: TcpListener) => {
      if (this.#listeners.get(listener.port) === listener) this.#listeners.delete(listener.port);
    },
  };

  constructor(context: TransportContext, options?: TcpOptions) {
    this.#context = context;
    this.options = resolveOptions(options);
    this.#isn = new IsnGenerator((bytes) => context.random(bytes));
    this.#writer = new SegmentWriter(context, this.stats);
  }

  // ——— Input ———

  input(now: number, source: number, destination: number, payload: Uint8Array): void {
    const stats = this.stats;
    stats.segmentsIn++;
    if (TcpPacket.validate(payload) !== undefined) {
      stats.drops.malformed++;
      return;
    }
    const segment = this.#repr;
    const addresses = this.#checksumAddresses;
    addresses.source = source;
    addresses.destination = destination;
    const error = segment.parseValidated(payload, addresses);
    if (error !== undefined) {
      if (error === "bad-checksum") stats.drops.checksum++;
      else if (error === "bad-flags") stats.drops.badFlags++;
      else if (error === "bad-option") stats.drops.badOptions++;
      else if (error === "bad-port") stats.drops.badPort++;
      else stats.drops.malformed++;
      return;
    }
    let tcb = this.#last;
    if (tcb === undefined || tcb.remotePort !== segment.sourcePort || tcb.localPort !== segment.destinationPort || tcb.remoteAddress !== source || tcb.state === State.CLOSED) {
      tcb = this.#byPort.get(segment.destinationPort)?.get(source * 65536 + segment.sourcePort);
      if (tcb !== undefined) this.#last = tcb;
    }
    if (tcb !== undefined) {
      // RFC 9293 §3.6.1 / RFC 6191: a new SYN for a 4-tuple in TIME-WAIT, beyond what that connection
      // used, may open a new incarnation.
      if (tcb.state === State.TIME_WAIT && segment.flags & SYN && !(segment.flags & ACK) && seqGt(segment.seq, tcb.rcvNxt) && this.#listeners.has(segment.destinationPort)) {
        control.abort(tcb, now, undefined);
      } else {
        control.input(tcb, now, segment);
        if (control.deadline(tcb) < this.#earliest) this.#earliest = control.deadline(tcb);
        return;
      }
    }
    const listener = this.#listeners.get(segment.destinationPort);
    if (listener !== undefined && (destination === this.#context.ip.address || this.#context.ip.address === 0)) {
      this.#listenInput(now, listener, segment, source, destination);
      return;
    }
    stats.drops.noConnection++;
    this.#resetFor(segment, source, destination);
  }

  /** RFC 9293 §3.10.7.2: a segment for a listener. */
  #listenInput(now: number, listener: TcpListener, segment: TcpRepr, source: number, destination: number): void {
    const stats = this.stats;
    const flags = segment.flags;
    if (flags & RST) {
      stats.drops.unexpected++;
      return;
    }
    if (flags & ACK) {
      // Any acknowledgment is bad here: <SEQ=SEG.ACK><CTL=RST>.
      stats.drops.noConnection++;
      this.#resetFor(segment, source, destination);
      return;
    }
    if (!(flags & SYN)) {
      stats.drops.unexpected++;
      return;
    }
    // RFC 1122 §4.2.3.10: no connections from broadcast or multicast sources.
    if (source === 0xffffffff || source >>> 28 === 0xe || source === 0) {
      stats.drops.unexpected++;
      return;
    }
    if (!listener.hasRoom) {
      stats.drops.backlog++;
      stats.synBacklogDrops++;
      return;
    }
    const tcb = new Tcb(this, destination, segment.destinationPort, source, segment.sourcePort, this.#mssFor(source));
    tcb.listener = listener;
    listener.halfOpen++;
    control.openPassive(tcb, now, segment, this.#isn.next(now, destination, segment.destinationPort, source, segment.sourcePort));
    this.#insert(tcb);
    control.output(tcb, now);
    if (control.deadline(tcb) < this.#earliest) this.#earliest = control.deadline(tcb);
  }

  /** RFC 9293 §3.10.7.1: the answer to a segment for no connection. */
  #resetFor(segment: TcpRepr, source: number, destination: number): void {
    if (segment.flags & RST) return;
    if (segment.flags & ACK) this.#writer.reset(destination, segment.destinationPort, source, segment.sourcePort, segment.ack, 0, RST);
    else this.#writer.reset(destination, segment.destinationPort, source, segment.sourcePort, 0, seqAdd(segment.seq, segment.seqLength), RST | ACK);
  }

  icmpError(now: number, type: number, code: number, source: number, destination: number, quoted: Uint8Array): void {
    if (quoted.length < 8) return;
    const localPort = (quoted[0]! << 8) | quoted[1]!;
    const remotePort = (quoted[2]! << 8) | quoted[3]!;
    const seq = ((quoted[4]! << 24) | (quoted[5]! << 16) | (quoted[6]! << 8) | quoted[7]!) >>> 0;
    const ports = this.#byPort.get(localPort);
    // `source`/`destination` are those of the packet we sent; accept them either way round.
    const tcb = ports?.get(destination * 65536 + remotePort) ?? ports?.get(source * 65536 + remotePort);
    if (tcb === undefined) return;
    const errors = icmpErrors(type, code);
    if (errors !== undefined) control.icmpError(tcb, errors.hard, errors.soft, seq);
  }

  // ——— Output and timers ———

  emit(tcb: Tcb, seq: number, ack: number, flags: number, window: number, synOptions: boolean, from: number, length: number): void {
    this.#writer.segment(tcb, seq, ack, flags, window, synOptions, from, length);
  }

  poll(now: number): number {
    // Deliver what arrived since the last poll: one read per connection per turn.
    if (this.#notified.length > 0) {
      const notified = this.#notified;
      this.#notified = [];
      for (const tcb of notified) {
        tcb.notified = false;
        tcb.user?.onReadable();
      }
    }
    if (this.#touched.length > 0) {
      const touched = this.#touched;
      this.#touched = [];
      for (const tcb of touched) {
        tcb.touched = false;
        if (tcb.state === State.CLOSED) continue;
        const deadline = control.poll(tcb, now);
        if (deadline < this.#earliest) this.#earliest = deadline;
      }
    }
    // Timers: the connections are scanned only when the earliest deadline may have come, so an idle
    // table costs nothing per turn. `#earliest` is a lower bound (a deadline that moved later leaves
    // it early, which costs one scan that finds nothing due); the scan makes it exact.
    if (now >= this.#earliest) {
      let next = Infinity;
      for (const tcb of this.#all) {
        let deadline = control.deadline(tcb);
        if (deadline <= now) deadline = control.poll(tcb, now);
        if (deadline < next) next = deadline;
      }
      this.#earliest = next;
    }
    // Reading in a socket callback above may have touched connections again.
    if (this.#touched.length > 0 || this.#notified.length > 0) this.#context.wake();
    return this.#earliest;
  }

  // ——— TcbHost ———

  release(tcb: Tcb): void {
    const ports = this.#byPort.get(tcb.localPort);
    if (ports?.get(tcb.key) === tcb) {
      ports.delete(tcb.key);
      if (ports.size === 0) this.#byPort.delete(tcb.localPort);
    }
    if (this.#all.delete(tcb)) this.stats.connections--;
    if (tcb.wasTimeWait) this.stats.timeWait--;
    if (this.#last === tcb) this.#last = undefined;
  }

  enterTimeWait(_tcb: Tcb): boolean {
    if (this.stats.timeWait >= this.options.maxTimeWait) {
      this.stats.timeWaitOverflows++;
      return false;
    }
    this.stats.timeWait++;
    return true;
  }

  notify(tcb: Tcb): void {
    if (tcb.notified) return;
    tcb.notified = true;
    this.#notified.push(tcb);
    this.#context.wake();
  }

  #touch(tcb: Tcb): void {
    if (tcb.touched) return;
    tcb.touched = true;
    this.#touched.push(tcb);
    this.#context.wake();
  }

  #insert(tcb: Tcb): void {
    let ports = this.#byPort.get(tcb.localPort);
    if (ports === undefined) this.#byPort.set(tcb.localPort, (ports = new Map()));
    ports.set(tcb.key, tcb);
    this.#all.add(tcb);
    this.stats.connections++;
  }

  #mssFor(remote: number): number {
    // RFC 9293 §3.7.1: MSS = MTU − 40 (the IPv4 and TCP headers without options).
    return Math.max(64, Math.min(this.options.mss, this.#context.ip.payloadMtu(remote) - 20));
  }

  #socketFor(tcb: Tcb): TcpConnection {
    const remote: Address = { address: formatAddress(tcb.remoteAddress), port: tcb.remotePort, family: "IPv4" };
    const local: Address = { address: formatAddress(tcb.localAddress), port: tcb.localPort, family: "IPv4" };
    return new TcpConnection(this.#socketHost, tcb, ++this.#handles, remote, local);
  }

  // ——— Sockets ———

  /** Listens on `port` (0: a free one from the dynamic range). Throws EADDRINUSE if taken. */
  listen(port: number, options: ListenOptions = {}): TcpListener {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw systemError("EINVAL", "listen", { port });
    const backlog = options.backlog ?? this.options.backlog;
    if (!Number.isInteger(backlog) || backlog < 1) throw new RangeError(`tcp: listen backlog must be a positive integer, got ${String(backlog)}`);
    if (port === 0) {
      port = this.#freePort(() => true);
      if (port === 0) throw systemError("EADDRINUSE", "listen", { address: "0.0.0.0", port: 0 });
    }
    if (this.#listeners.has(port)) throw systemError("EADDRINUSE", "listen", { address: "0.0.0.0", port });
    const ip = this.#context.ip;
    const listener = new TcpListener(this.#listenerHost, () => formatAddress(ip.address), port, backlog);
    this.#listeners.set(port, listener);
    return listener;
  }

  /**
   * Opens a connection to `address:port` (a dotted quad); resolves once established. `localPort`
   * binds our end (default: a random free port of the dynamic range, RFC 6056).
   */
  connect(address: string, port: number, options: ConnectOptions = {}): Promise<TcpConnection> {
    const remote = parseAddress(address);
    if (remote === undefined || remote === 0 || remote === 0xffffffff || !Number.isInteger(port) || port < 1 || port > 65535) return Promise.reject(systemError("EINVAL", "connect", { address, port }));
    const local = this.#context.ip.address;
    if (local === 0) return Promise.reject(systemError("EADDRNOTAVAIL", "connect", { address, port }));
    const key = remote * 65536 + port;
    let localPort: number;
    if (options.localPort !== undefined) {
      localPort = options.localPort;
      if (!Number.isInteger(localPort) || localPort < 1 || localPort > 65535) return Promise.reject(systemError("EINVAL", "connect", { address, port }));
      if (this.#byPort.get(localPort)?.has(key)) return Promise.reject(systemError("EADDRINUSE", "connect", { address, port }));
    } else {
      localPort = this.#freePort((candidate) => !this.#byPort.get(candidate)?.has(key));
      if (localPort === 0) return Promise.reject(systemError("EADDRNOTAVAIL", "connect", { address, port }));
    }
    const now = this.#context.now();
    const tcb = new Tcb(this, local, localPort, remote, port, this.#mssFor(remote));
    if (options.noDelay !== undefined) tcb.noDelay = options.noDelay;
    if (options.keepAlive !== undefined) tcb.keepAlive = resolveKeepAlive(options.keepAlive);
    const socket = this.#socketFor(tcb);
    const connected = socket.connecting();
    control.openActive(tcb, this.#isn.next(now, local, localPort, remote, port));
    this.#insert(tcb);
    this.#touch(tcb);
    return connected;
  }

  /** RFC 6056 §3.3.1 (algorithm 1): a random start in the dynamic range, then the next free port. */
  #freePort(usable: (port: number) => boolean): number {
    const random = new Uint8Array(2);
    this.#context.random(random);
    const span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
    const start = ((random[0]! << 8) | random[1]!) % span;
    for (let i = 0; i < span; i++) {
      const port = EPHEMERAL_LOW + ((start + i) % span);
      if (!this.#listeners.has(port) && usable(port)) return port;
    }
    return 0;
  }

  /**
   * Stops TCP (the stack is closing): every listener stops (pending accepts fail with EINVAL), every
   * connection is reset and its socket fails with ECONNABORTED.
   */
  close(): void {
    for (const listener of [...this.#listeners.values()]) listener.close();
    const now = this.#context.now();
    for (const tcb of [...this.#all]) control.abort(tcb, now, systemError("ECONNABORTED", "read"));
  }

  /** The connections in the table, for tests and diagnostics: state names by 4-tuple. */
  get connectionStates(): { local: string; remote: string; state: State }[] {
    return [...this.#all].map((tcb) => ({ local: `${formatAddress(tcb.localAddress)}:${tcb.localPort}`, remote: `${formatAddress(tcb.remoteAddress)}:${tcb.remotePort}`, state: tcb.state }));
  }
}
