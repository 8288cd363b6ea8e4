/**
 * @module tcpip/ipv4-layer
 * IPv4 for a host (RFC 791, RFC 1122 §3.2.1, §3.3): receives packets from the interface and hands
 * their payload to the transport registered for their protocol; sends what transports give it.
 * Guarantees:
 * - received: the header is validated (version 4, IHL ≥ 5, total length within the frame) and its
 *   checksum verified; a packet is accepted only for our address, 255.255.255.255 or our subnet's
 *   broadcast (or any destination while no address is configured, for DHCP); a source that is
 *   broadcast, multicast or our own address is dropped (RFC 1122 §3.2.1.3); options are skipped;
 *   fragments are reassembled within bounds (see `fragments.ts`). Each drop is counted by reason.
 * - sent: TTL 64, a fresh identification per datagram, DF clear, no options, header checksum
 *   computed; packets larger than the MTU are fragmented (RFC 791 §3.2, 8-byte units); routing is
 *   on-link for our subnet, via the gateway otherwise; 255.255.255.255 and the subnet broadcast go
 *   to ff:ff:ff:ff:ff:ff without ARP.
 * - during a transport's `input`, `current` describes the packet being delivered, so ICMP can
 *   quote it in an error (port or protocol unreachable).
 */

import { drop, type Drops } from "./counters.ts";
import { Reassembler, type ReassemblerOptions } from "./fragments.ts";
import type { EthernetInterface } from "./interface.ts";
import type { IpLayer, Transport } from "./seam/ip.ts";
import { ETHERNET_HEADER_LENGTH } from "./wire/ethernet.ts";
import { DEFAULT_TTL, emitHeader, FIELD, FLAGS, headerChecksumValid, IPV4_HEADER_LENGTH, IPV4_MAX_LENGTH, read16, read32, validateHeader } from "./wire/ipv4.ts";

export const BROADCAST = 0xffffffff;

export interface Ipv4Config {
  address: number;
  prefixLength: number;
  gateway?: number;
}

export interface Ipv4Stats {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  fragmentsOut: number;
  drops: Drops;
  reassembly: Reassembler["stats"];
}

/** The packet being delivered to a transport, for ICMP errors that quote it. */
export interface CurrentPacket {
  /** The IPv4 header (of the first fragment, for a reassembled datagram). */
  header: Uint8Array;
  payload: Uint8Array;
  /** Sent to a broadcast address or as a link-layer broadcast. */
  broadcast: boolean;
}

/** Whether `address` is class D (multicast, 224/4). */
export function isMulticast(address: number): boolean {
  return address >>> 28 === 0xe;
}

export class Ipv4Layer implements IpLayer {
  #address = 0;
  #prefixLength = 0;
  #mask = 0;
  #network = 0;
  #subnetBroadcast = BROADCAST;
  #gateway = 0;
  #transports: (Transport | undefined)[] = new Array(256).fill(undefined);
  #iface: EthernetInterface;
  #identification: number;
  #scratch: Uint8Array | undefined;
  #reassembler: Reassembler;
  /** The packet being delivered (fields, not an object: no allocation per packet); `#currentBytes` undefined when none. */
  #currentBytes: Uint8Array | undefined;
  #currentStart = 0;
  #currentEnd = 0;
  #currentPayload: Uint8Array | undefined;
  #currentBroadcast = false;
  /** Called when a packet arrives for a protocol nobody registered (ICMP protocol unreachable). */
  onUnknownProtocol: ((now: number) => void) | undefined;
  /** Called when a reassembly times out with its first fragment (ICMP time exceeded). */
  onReassemblyTimeout: ((now: number, header: Uint8Array, start: Uint8Array) => void) | undefined;
  readonly stats: Ipv4Stats;

  constructor(iface: EthernetInterface, random: (bytes: Uint8Array) => void, options: { reassembly?: ReassemblerOptions } = {}) {
    this.#iface = iface;
    this.#reassembler = new Reassembler(options.reassembly);
    this.stats = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, fragmentsOut: 0, drops: {}, reassembly: this.#reassembler.stats };
    const seed = new Uint8Array(2);
    random(seed);
    // RFC 6864 §4.1: the identification need only be unique per (source, destination, protocol) for the datagram's lifetime; a random start avoids reuse across restarts.
    this.#identification = (seed[0]! << 8) | seed[1]!;
    iface.attach(this);
  }

  get address(): number {
    return this.#address;
  }
  get prefixLength(): number {
    return this.#prefixLength;
  }
  get gateway(): number {
    return this.#gateway;
  }
  get subnetBroadcast(): number {
    return this.#subnetBroadcast;
  }
  /** The packet being delivered to a transport now (built on demand, for ICMP errors). */
  get current(): CurrentPacket | undefined {
    const bytes = this.#currentBytes;
    if (bytes === undefined) return undefined;
    return { header: bytes.subarray(this.#currentStart, this.#currentEnd), payload: this.#currentPayload!, broadcast: this.#currentBroadcast };
  }

  /** Sets (or, with address 0, clears) our address, subnet and gateway. */
  configure(config: Ipv4Config | undefined): void {
    if (config === undefined || config.address === 0) {
      this.#address = this.#prefixLength = this.#mask = this.#network = this.#gateway = 0;
      this.#subnetBroadcast = BROADCAST;
      return;
    }
    const { address, prefixLength } = config;
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) throw new RangeError(`tcpip: prefix length ${prefixLength} is outside 0…32`);
    this.#address = address >>> 0;
    this.#prefixLength = prefixLength;
    this.#mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
    this.#network = (this.#address & this.#mask) >>> 0;
    // A /31 (RFC 3021) or /32 has no subnet broadcast address.
    this.#subnetBroadcast = prefixLength >= 31 ? BROADCAST : (this.#network | ~this.#mask) >>> 0;
    this.#gateway = (config.gateway ?? 0) >>> 0;
  }

  register(protocol: number, transport: Transport): void {
    this.#transports[protocol] = transport;
  }

  transport(protocol: number): Transport | undefined {
    return this.#transports[protocol & 255];
  }

  /** Whether `address` is reached directly: on our subnet, or the gateway itself (an on-link route). */
  onLink(address: number): boolean {
    return this.#address !== 0 && (((address & this.#mask) >>> 0) === this.#network || (address === this.#gateway && address !== 0));
  }

  /** Whether `address` is 255.255.255.255 or our subnet's broadcast. */
  isBroadcast(address: number): boolean {
    return address === BROADCAST || (this.#address !== 0 && address === this.#subnetBroadcast);
  }

  payloadMtu(_destination: number): number {
    return this.#iface.mtu - IPV4_HEADER_LENGTH;
  }

  input(now: number, bytes: Uint8Array, start: number, end: number, linkBroadcast: boolean): void {
    const stats = this.stats;
    stats.packetsIn++;
    const total = validateHeader(bytes, start, end);
    if (typeof total === "string") return drop(stats.drops, total);
    if (!headerChecksumValid(bytes, start)) return drop(stats.drops, "bad-checksum");
    stats.bytesIn += total;
    const headerLength = (bytes[start]! & 0x0f) * 4;
    const source = read32(bytes, start + FIELD.SOURCE);
    const destination = read32(bytes, start + FIELD.DESTINATION);
    // RFC 1122 §3.2.1.3: a source that is broadcast or multicast is invalid; one that is ours came back to us.
    if (source === BROADCAST || isMulticast(source) || (this.#address !== 0 && (source === this.#address || source === this.#subnetBroadcast))) return drop(stats.drops, "bad-source");
    let broadcast = linkBroadcast;
    if (destination !== this.#address) {
      if (this.isBroadcast(destination)) broadcast = true;
      // Until DHCP binds an address, offers may come unicast to the address being offered (RFC 2131 §4.1).
      else if (this.#address !== 0) return drop(stats.drops, isMulticast(destination) ? "multicast" : "not-for-us");
      else if (isMulticast(destination)) return drop(stats.drops, "multicast");
    }
    const protocol = bytes[start + FIELD.PROTOCOL]!;
    const flagsFragment = read16(bytes, start + FIELD.FLAGS_FRAGMENT);
    let payload: Uint8Array;
    if ((flagsFragment & (FLAGS.MF | 0x1fff)) !== 0) {
      const whole = this.#reassembler.add(now, source, destination, protocol, read16(bytes, start + FIELD.IDENTIFICATION), (flagsFragment & 0x1fff) * 8, (flagsFragment & FLAGS.MF) !== 0, bytes.subarray(start, start + headerLength), bytes.subarray(start + headerLength, start + total));
      if (whole === undefined) return;
      this.#currentBytes = whole.header;
      this.#currentStart = 0;
      this.#currentEnd = whole.header.length;
      payload = whole.payload;
    } else {
      this.#currentBytes = bytes;
      this.#currentStart = start;
      this.#currentEnd = start + headerLength;
      payload = bytes.subarray(start + headerLength, start + total);
    }
    this.#currentPayload = payload;
    this.#currentBroadcast = broadcast;
    const transport = this.#transports[protocol];
    try {
      if (transport === undefined) {
        drop(stats.drops, "unknown-protocol");
        // RFC 1122 §3.2.2.1: a host SHOULD send protocol unreachable.
        this.onUnknownProtocol?.(now);
        return;
      }
      transport.input(now, source, destination, payload);
    } finally {
      this.#currentBytes = undefined;
      this.#currentPayload = undefined;
    }
  }

  /** Times out reassemblies; returns the next deadline. */
  poll(now: number): number {
    return this.#reassembler.poll(now, this.onReassemblyTimeout === undefined ? undefined : (header, start) => this.onReassemblyTimeout!(now, header, start));
  }

  /** The next hop for `destination`, or undefined when there is no route. */
  route(destination: number): number | undefined {
    if (this.onLink(destination)) return destination;
    if (this.#gateway !== 0) return this.#gateway;
    return undefined;
  }

  send(destination: number, protocol: number, length: number, fill: (buffer: Uint8Array, offset: number) => void, source?: number): boolean {
    const stats = this.stats;
    destination >>>= 0;
    const from = source === undefined ? this.#address : source >>> 0;
    if (!Number.isInteger(length) || length < 0 || length > IPV4_MAX_LENGTH - IPV4_HEADER_LENGTH) {
      drop(stats.drops, "too-long");
      return false;
    }
    const broadcast = this.isBroadcast(destination);
    let nextHop = destination;
    if (!broadcast) {
      if (isMulticast(destination)) {
        drop(stats.drops, "no-multicast");
        return false;
      }
      if (this.#address === 0) {
        drop(stats.drops, "no-address");
        return false;
      }
      if (destination === this.#address || destination >>> 24 === 127) {
        drop(stats.drops, "no-loopback");
        return false;
      }
      const hop = this.route(destination);
      if (hop === undefined) {
        drop(stats.drops, "no-route");
        return false;
      }
      nextHop = hop;
    }
    const identification = this.#identification;
    this.#identification = (identification + 1) & 0xffff;
    const iface = this.#iface;
    const tx = iface.tx;
    const mtuPayload = iface.mtu - IPV4_HEADER_LENGTH;
    stats.packetsOut++;
    stats.bytesOut += IPV4_HEADER_LENGTH + length;
    if (length <= mtuPayload) {
      fill(tx, ETHERNET_HEADER_LENGTH + IPV4_HEADER_LENGTH);
      emitHeader(tx, ETHERNET_HEADER_LENGTH, from, destination, protocol, length, identification, 0, DEFAULT_TTL);
      return iface.transmitIpv4(nextHop, IPV4_HEADER_LENGTH + length, broadcast);
    }
    // RFC 791 §3.2: fragments carry multiples of 8 octets except the last; each has its own header.
    let scratch = this.#scratch;
    if (scratch === undefined || scratch.length < length) scratch = this.#scratch = new Uint8Array(Math.min(IPV4_MAX_LENGTH, Math.max(length, 2 * (scratch?.length ?? 0))));
    fill(scratch, 0);
    const chunk = mtuPayload & ~7;
    let ok = true;
    for (let offset = 0; offset < length; offset += chunk) {
      const size = Math.min(chunk, length - offset);
      const more = offset + size < length;
      tx.set(scratch.subarray(offset, offset + size), ETHERNET_HEADER_LENGTH + IPV4_HEADER_LENGTH);
      emitHeader(tx, ETHERNET_HEADER_LENGTH, from, destination, protocol, size, identification, (more ? FLAGS.MF : 0) | (offset / 8), DEFAULT_TTL);
      stats.fragmentsOut++;
      ok = iface.transmitIpv4(nextHop, IPV4_HEADER_LENGTH + size, broadcast) && ok;
    }
    return ok;
  }
}
