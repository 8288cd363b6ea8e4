/**
 * @module tcpip/stack
 * The `Stack`: one IPv4 host on a `net()` device — Ethernet + ARP, IPv4 with fragmentation and
 * reassembly, ICMP, UDP and TCP — and the clock that drives it. The protocol layers are clock-free
 * (they take `now` and say when they next need to run); the stack alone reads `loopTime()` and
 * arms timers:
 * - received frames are handled as they arrive; the first frame of a turn schedules one microtask
 *   that polls every layer once the turn's batch is in (so TCP acknowledges a batch at once);
 * - `wake()` (a socket call queued something) schedules the same microtask;
 * - one `setTimeout` is armed for the earliest deadline any layer reported, re-armed only when
 *   that deadline moves earlier or the timer fires.
 * After `close()` no frame is handled, no timer stays armed and every socket is closed.
 */

import { loopTime } from "../../sdk/clock.ts";
import type { Connection, Listener, Net } from "../../sdk/devices.ts";
import type { ArpCacheOptions } from "./arp-cache.ts";
import { snapshot } from "./counters.ts";
import type { ReassemblerOptions } from "./fragments.ts";
import { Icmp, type IcmpOptions } from "./icmp.ts";
import { EthernetInterface } from "./interface.ts";
import { formatAddress, parseAddress, PROTOCOL_TCP, type Transport, type TransportContext } from "./seam/ip.ts";
import { Ipv4Layer } from "./ipv4-layer.ts";
import { Tcp, type TcpOptions, type TcpStats } from "./tcp/index.ts";
import { UdpLayer, type UdpOptions, type UdpSocket } from "./udp.ts";

/** What the stack needs of the TCP transport (`tcp/index.ts`'s `Tcp`). */
export type TcpTransport = Transport & {
  listen(port: number, options?: { backlog?: number }): Listener;
  connect(address: string, port: number): Promise<Connection>;
  readonly stats: TcpStats;
  /** Aborts every connection and listener, if the transport can (the stack is closing). */
  close?(): void;
};

/** The part of the SDK's `Net` the stack uses. */
export type NetDevice = Pick<Net, "mac" | "mtu" | "send" | "receive">;

export interface StackOptions {
  /** Our address and prefix, `"10.0.0.2/24"`; omit to start unconfigured (for DHCP: see `configure`). */
  address?: string;
  /** The default gateway, `"10.0.0.1"`, on the subnet of `address`. */
  gateway?: string;
  /** The MTU to use (default: the device's). */
  mtu?: number;
  tcp?: TcpOptions;
  arp?: ArpCacheOptions;
  reassembly?: ReassemblerOptions;
  icmp?: IcmpOptions;
  udp?: UdpOptions;
  /** The clock, in ms (default `loopTime()`); tests may pass their own. */
  clock?: () => number;
  /** The CSPRNG (default `crypto.getRandomValues`). */
  random?: (bytes: Uint8Array) => void;
}

/** A configuration as numbers (what DHCP hands `configure`). */
export interface StackAddress {
  address: number;
  prefixLength: number;
  gateway?: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function parseCidr(text: string): { address: number; prefixLength: number } {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  const address = match ? parseAddress(match[1]!) : undefined;
  const prefixLength = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefixLength >= 0 && prefixLength <= 32)) throw new TypeError(`tcpip: address ${JSON.stringify(text)} is not an IPv4 address with a prefix length: write it as "10.0.0.2/24"`);
  return { address, prefixLength };
}

export class Stack {
  /** The layers, for the DHCP client and DNS stub, diagnostics and tests. */
  readonly layers: { readonly link: EthernetInterface; readonly ip: Ipv4Layer; readonly icmp: Icmp; readonly udp: UdpLayer; readonly tcp: TcpTransport };
  #net: NetDevice;
  #clock: () => number;
  #closed = false;
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #run = (): void => this.#poll();

  private constructor(net: NetDevice, options: StackOptions) {
    this.#net = net;
    const clock = (this.#clock = options.clock ?? loopTime);
    const random = options.random ?? ((bytes: Uint8Array) => void crypto.getRandomValues(bytes));
    const context: TransportContext = {
      get ip() {
        return ip;
      },
      now: clock,
      wake: () => this.#wake(),
      random,
    };
    const link = new EthernetInterface(net, clock, { arp: options.arp, mtu: options.mtu });
    const ip = new Ipv4Layer(link, random, { reassembly: options.reassembly });
    const icmp = new Icmp(ip, context, options.icmp);
    const udp = new UdpLayer(context, ip, icmp, options.udp);
    const tcp: TcpTransport = new Tcp(context, options.tcp);
    ip.register(PROTOCOL_TCP, tcp);
    this.layers = { link, ip, icmp, udp, tcp };
  }

  /**
   * Starts a stack on `net`: with `address` ("10.0.0.2/24") and optionally `gateway`, configured
   * at once and announced with a gratuitous ARP; without, unconfigured until `configure`.
   */
  static start(net: NetDevice, options: StackOptions = {}): Stack {
    const stack = new Stack(net, options);
    if (options.address !== undefined) {
      const { address, prefixLength } = parseCidr(options.address);
      let gateway: number | undefined;
      if (options.gateway !== undefined) {
        gateway = parseAddress(options.gateway);
        if (gateway === undefined) throw new TypeError(`tcpip: gateway ${JSON.stringify(options.gateway)} is not an IPv4 address`);
      }
      if (gateway !== undefined) {
        const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
        if (((gateway & mask) >>> 0) !== ((address & mask) >>> 0)) throw new RangeError(`tcpip: gateway ${options.gateway} is not on the subnet ${formatAddress((address & mask) >>> 0)}/${prefixLength} of ${options.address}`);
      }
      stack.configure({ address, prefixLength, gateway });
    } else if (options.gateway !== undefined) throw new TypeError("tcpip: a gateway needs an address: pass address too (\"10.0.0.2/24\")");
    net.receive((frame) => stack.#input(frame));
    return stack;
  }

  /** Our address as a dotted quad, or undefined while unconfigured. */
  get address(): string | undefined {
    const address = this.layers.ip.address;
    return address === 0 ? undefined : formatAddress(address);
  }

  get prefixLength(): number {
    return this.layers.ip.prefixLength;
  }

  get gateway(): string | undefined {
    const gateway = this.layers.ip.gateway;
    return gateway === 0 ? undefined : formatAddress(gateway);
  }

  get mac(): Uint8Array {
    return this.layers.link.mac.slice();
  }

  /**
   * Sets our address (as DHCP binds or renews), clears the ARP cache if it changed and announces
   * it. A gateway outside the subnet is reached as if on-link (as with DHCP servers that lease a
   * /32 and a router, RFC 3442 §4's "on-link" routes).
   */
  configure(config: StackAddress): void {
    const { ip, link } = this.layers;
    const address = config.address >>> 0;
    const changed = address !== ip.address || config.prefixLength !== ip.prefixLength;
    ip.configure({ address, prefixLength: config.prefixLength, gateway: config.gateway });
    if (changed) {
      link.arp.clear();
      // RFC 5227 §3: announce the address we now use, so neighbours update their caches.
      link.announce(address);
    }
  }

  /** Removes our address (the DHCP lease ended). */
  unconfigure(): void {
    this.layers.ip.configure(undefined);
    this.layers.link.arp.clear();
  }

  /** A TCP listener on `port` (SDK `Listener`). */
  listen(port: number, options?: { backlog?: number }): Listener {
    return this.layers.tcp.listen(port, options);
  }

  /** A TCP connection to `address:port` (SDK `Connection`). */
  connect(address: string, port: number): Promise<Connection> {
    return this.layers.tcp.connect(address, port);
  }

  /** A UDP socket on `port` (0: ephemeral), shaped as the SDK's `Udp` device. */
  udp(port = 0, options?: { peer?: { address: string; port: number } }): UdpSocket {
    return this.layers.udp.open(port, options);
  }

  /** Sends one ICMP echo request; resolves with the round-trip time in ms, rejects with ETIMEDOUT. */
  ping(address: string, options?: { size?: number; timeout?: number }): Promise<number> {
    const destination = parseAddress(address);
    if (destination === undefined) return Promise.reject(new TypeError(`ping: ${JSON.stringify(address)} is not an IPv4 address`));
    return this.layers.icmp.ping(destination, options);
  }

  /** A copy of every counter, as a plain object. */
  stats(): {
    link: Omit<EthernetInterface["stats"], "arp"> & { faults: number };
    arp: EthernetInterface["stats"]["arp"] & { cache: EthernetInterface["arp"]["stats"] };
    ip: Ipv4Layer["stats"];
    icmp: Icmp["stats"];
    udp: UdpLayer["stats"];
    tcp: TcpStats;
  } {
    const { link, ip, icmp, udp, tcp } = this.layers;
    const { arp, ...linkStats } = link.stats;
    return snapshot({ link: { ...linkStats, faults: this.#faults }, arp: { ...arp, cache: link.arp.stats }, ip: ip.stats, icmp: icmp.stats, udp: udp.stats, tcp: tcp.stats });
  }

  /** Stops the stack: no more frames are handled, timers are cleared, sockets and pings end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#net.receive(() => {});
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const { icmp, udp, tcp } = this.layers;
    icmp.close();
    udp.close();
    tcp.close?.();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #input(frame: Uint8Array): void {
    if (this.#closed) return;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#run);
    }
    try {
      this.layers.link.input(this.#clock(), frame);
    } catch (error) {
      this.#fault(error);
    }
  }

  /**
   * A bug (ours, or a handler's called from the receive path) threw: the frame is lost and
   * counted, the error is rethrown in a microtask so it is seen as uncaught, and the device's
   * delivery of the rest of the batch goes on.
   */
  #fault(error: unknown): void {
    this.#faults++;
    queueMicrotask(() => {
      throw error;
    });
  }

  #faults = 0;

  #wake(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    queueMicrotask(this.#run);
  }

  #poll(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    const now = this.#clock();
    const { link, ip, icmp, udp, tcp } = this.layers;
    let next = Infinity;
    try {
      next = Math.min(tcp.poll(now), udp.poll(now), icmp.poll(now), ip.poll(now), link.poll(now));
    } catch (error) {
      this.#fault(error);
      // Try again soon rather than never.
      next = now + 100;
    }
    this.#arm(next, now);
  }

  #arm(deadline: number, now: number): void {
    if (deadline === Infinity || deadline >= this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = deadline;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#poll();
      // setTimeout takes at most 2^31−1 ms (a longer delay fires at once): a far deadline is reached in steps.
    }, Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(deadline - now))));
  }
}
