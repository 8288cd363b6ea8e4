/**
 * @module tcpip/interface
 * One Ethernet interface on a `net()` device: receives frames and hands IPv4 packets up, resolves
 * next hops with ARP (RFC 826) and frames outgoing IPv4 packets. Guarantees:
 * - a frame is accepted only if it is addressed to our MAC or to broadcast; multicast, other
 *   unicast, 802.3/LLC, 802.1Q and IPv6 frames are dropped and counted by reason, as are frames
 *   shorter than a header or longer than 14 + MTU;
 * - the receive path reads fields straight from the frame (no copy, no representation object);
 * - ARP requests for our address are answered; senders are learned as RFC 826's "Packet Reception"
 *   says (update an existing entry; add one when the request is for us), only for on-link
 *   addresses; a gratuitous ARP (RFC 5227 §3 announcement) goes out when an address is set;
 * - outgoing packets are built in one transmit buffer reused for every frame; a packet whose next
 *   hop is unresolved waits in the ARP cache's bounded queue (see `arp-cache.ts`).
 */

import { ArpCache, type ArpCacheOptions } from "./arp-cache.ts";
import { drop, type Drops } from "./counters.ts";
import { ARP_LENGTH, ARP_REPLY, ARP_REQUEST, ArpPacket, ArpRepr } from "./wire/arp.ts";
import { BROADCAST_MAC, ETHERNET_HEADER_LENGTH, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, macEquals } from "./wire/ethernet.ts";
import { read16 } from "./wire/ipv4.ts";

/** What the interface needs of a net device (the SDK's `Net`, minus the device naming). */
export interface Link {
  readonly mac: Uint8Array;
  readonly mtu: number;
  send(frame: Uint8Array): void;
}

/** Where the interface hands IPv4 packets, and what it asks of IP. */
export interface Ipv4Receiver {
  /** The packet is `bytes[start..end)` (Ethernet padding included); `linkBroadcast`: sent to ff:ff:ff:ff:ff:ff. */
  input(now: number, bytes: Uint8Array, start: number, end: number, linkBroadcast: boolean): void;
  /** Our address, or 0. */
  readonly address: number;
  /** Whether `address` is on our subnet (ARP may resolve it). */
  onLink(address: number): boolean;
}

export interface LinkStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  drops: Drops;
  arp: {
    requestsIn: number;
    repliesIn: number;
    requestsOut: number;
    repliesOut: number;
    announcements: number;
    conflicts: number;
    drops: Drops;
  };
}

const ZERO_MAC = new Uint8Array(6);

export class EthernetInterface {
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly arp: ArpCache;
  readonly stats: LinkStats = {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    drops: {},
    arp: { requestsIn: 0, repliesIn: 0, requestsOut: 0, repliesOut: 0, announcements: 0, conflicts: 0, drops: {} },
  };
  /** The transmit buffer: IP writes its packet at `tx[14…]`, then calls `transmitIpv4`. */
  readonly tx: Uint8Array;
  #link: Link;
  #ip: Ipv4Receiver | undefined;
  #arpTx = new Uint8Array(ETHERNET_HEADER_LENGTH + ARP_LENGTH);
  /** The last view of `tx` handed to `send`, reused while frames keep the same length. */
  #txView: Uint8Array;
  #clock: () => number;
  /** Frames longer than 14 + the device's MTU are dropped (our own MTU may be set lower). */
  #receiveLimit: number;

  constructor(link: Link, clock: () => number, options: { arp?: ArpCacheOptions; mtu?: number } = {}) {
    if (!(link.mac instanceof Uint8Array) || link.mac.length !== 6) throw new TypeError("tcpip: the net device's mac must be 6 bytes");
    const mtu = options.mtu ?? link.mtu;
    // RFC 791: every internet module must be able to forward a datagram of 68 octets; below that IPv4 cannot work.
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new RangeError(`tcpip: MTU ${mtu} is outside 68…65535`);
    if (mtu > link.mtu) throw new RangeError(`tcpip: MTU ${mtu} is larger than the device's (${link.mtu})`);
    this.#receiveLimit = ETHERNET_HEADER_LENGTH + link.mtu;
    this.#link = link;
    this.#clock = clock;
    this.mac = link.mac.slice();
    this.mtu = mtu;
    this.arp = new ArpCache(options.arp);
    this.tx = new Uint8Array(ETHERNET_HEADER_LENGTH + mtu);
    this.#txView = this.tx.subarray(0, 0);
    // Every frame we send comes from our MAC: write the source once in both buffers.
    this.tx.set(this.mac, 6);
    this.#arpTx.set(this.mac, 6);
  }

  attach(ip: Ipv4Receiver): void {
    this.#ip = ip;
  }

  /** One received frame (a view valid only during the call). */
  input(now: number, frame: Uint8Array): void {
    const stats = this.stats;
    const length = frame.length;
    stats.framesIn++;
    stats.bytesIn += length;
    if (length < ETHERNET_HEADER_LENGTH) return drop(stats.drops, "truncated");
    if (length > this.#receiveLimit) return drop(stats.drops, "oversized");
    let broadcast = false;
    if (!macEquals(frame, 0, this.mac)) {
      broadcast = macEquals(frame, 0, BROADCAST_MAC);
      if (!broadcast) return drop(stats.drops, (frame[0]! & 1) === 1 ? "multicast" : "other-destination");
    }
    const type = read16(frame, 12);
    if (type === ETHERTYPE_IPV4) {
      const ip = this.#ip;
      if (ip === undefined) return drop(stats.drops, "no-ip");
      return ip.input(now, frame, ETHERNET_HEADER_LENGTH, length, broadcast);
    }
    if (type === ETHERTYPE_ARP) return this.#arpInput(now, frame.subarray(ETHERNET_HEADER_LENGTH));
    // IEEE 802.3: a value below 0x0600 is a length (LLC framing), which we do not speak.
    drop(stats.drops, type < 0x0600 ? "ieee802.3" : type === ETHERTYPE_VLAN ? "vlan" : type === ETHERTYPE_IPV6 ? "ipv6" : "unknown-ethertype");
  }

  /**
   * Sends the IPv4 packet at `tx[14..14+length)` to `nextHop` (broadcast MAC when `broadcast`).
   * Returns false if it was dropped; a packet waiting for ARP counts as sent.
   */
  transmitIpv4(nextHop: number, length: number, broadcast: boolean): boolean {
    let mac: Uint8Array | undefined;
    if (broadcast) mac = BROADCAST_MAC;
    else {
      const now = this.#clock();
      const arp = this.arp;
      mac = arp.lookup(nextHop, now);
      if (mac !== undefined && arp.refreshDue !== -1) {
        // Re-confirm an entry about to expire while it is in use, by unicast (RFC 1122 §2.3.2.1).
        this.#sendArp(ARP_REQUEST, ZERO_MAC, nextHop, mac);
        // The request went out of its own buffer; the IPv4 packet in `tx` is intact.
      }
      if (mac === undefined) {
        const queued = this.arp.enqueue(nextHop, this.tx.subarray(ETHERNET_HEADER_LENGTH, ETHERNET_HEADER_LENGTH + length), now);
        if (queued === "dropped") return false;
        if (queued) this.#sendArp(ARP_REQUEST, ZERO_MAC, nextHop, BROADCAST_MAC);
        return true;
      }
    }
    const tx = this.tx;
    tx[0] = mac[0]!;
    tx[1] = mac[1]!;
    tx[2] = mac[2]!;
    tx[3] = mac[3]!;
    tx[4] = mac[4]!;
    tx[5] = mac[5]!;
    tx[12] = ETHERTYPE_IPV4 >>> 8;
    tx[13] = ETHERTYPE_IPV4 & 0xff;
    const size = ETHERNET_HEADER_LENGTH + length;
    if (this.#txView.length !== size) this.#txView = tx.subarray(0, size);
    this.#send(this.#txView);
    return true;
  }

  /** RFC 5227 §3 ARP announcement ("gratuitous ARP"): sender and target both `address`. */
  announce(address: number): void {
    if (address === 0) return;
    this.stats.arp.announcements++;
    this.#sendArp(ARP_REQUEST, ZERO_MAC, address, BROADCAST_MAC, address);
  }

  /** Retries ARP requests and drops packets that waited too long; returns the next deadline. */
  poll(now: number): number {
    return this.arp.poll(now, (address) => this.#sendArp(ARP_REQUEST, ZERO_MAC, address, BROADCAST_MAC));
  }

  #send(frame: Uint8Array): void {
    this.stats.framesOut++;
    this.stats.bytesOut += frame.length;
    this.#link.send(frame);
  }

  #sendArp(operation: 1 | 2, targetMac: Uint8Array, targetAddress: number, destination: Uint8Array, sender?: number): void {
    const ip = this.#ip;
    const senderAddress = sender ?? ip?.address ?? 0;
    const frame = this.#arpTx;
    frame.set(destination, 0);
    frame[12] = ETHERTYPE_ARP >>> 8;
    frame[13] = ETHERTYPE_ARP & 0xff;
    new ArpRepr(operation, this.mac, senderAddress, targetMac, targetAddress).emit(ArpPacket.unchecked(frame.subarray(ETHERNET_HEADER_LENGTH)));
    if (operation === ARP_REQUEST) this.stats.arp.requestsOut++;
    else this.stats.arp.repliesOut++;
    this.#send(frame);
  }

  #arpInput(now: number, bytes: Uint8Array): void {
    const arp = this.stats.arp;
    const packet = ArpPacket.check(bytes);
    if (typeof packet === "string") return drop(arp.drops, packet);
    const repr = ArpRepr.parse(packet);
    if (typeof repr === "string") return drop(arp.drops, repr);
    if (repr.operation === ARP_REQUEST) arp.requestsIn++;
    else arp.repliesIn++;
    const ip = this.#ip;
    const ours = ip?.address ?? 0;
    const sender = repr.senderProtocol;
    if (macEquals(repr.senderHardware, 0, this.mac)) return drop(arp.drops, "own-frame");
    // A sender MAC that is broadcast or multicast would make us send unicast to a group: refuse it.
    if ((repr.senderHardware[0]! & 1) === 1) return drop(arp.drops, "bad-sender-mac");
    if (ours !== 0 && sender === ours) {
      // Someone else claims our address (RFC 5227 §2.4): count it; defending is left to the operator.
      arp.conflicts++;
      return drop(arp.drops, "address-conflict");
    }
    // RFC 826 "Packet Reception": if the sender is already known, update its entry (merge).
    let merged = false;
    const learnable = sender !== 0 && ip !== undefined && ip.onLink(sender);
    if (learnable && this.arp.has(sender)) {
      this.#flush(sender, this.arp.insert(sender, repr.senderHardware, now));
      merged = true;
    }
    if (ours === 0 || repr.targetProtocol !== ours) {
      if (!merged) drop(arp.drops, "not-for-us");
      return;
    }
    // …and if we are the target, add the sender when it was not merged, then answer a request.
    if (learnable && !merged) this.#flush(sender, this.arp.insert(sender, repr.senderHardware, now));
    if (repr.operation === ARP_REQUEST) this.#sendArp(ARP_REPLY, repr.senderHardware, sender, repr.senderHardware);
  }

  /** Sends the packets that waited for `nextHop`, which just resolved (they are all for that next hop). */
  #flush(nextHop: number, packets: Uint8Array[] | undefined): void {
    if (packets === undefined) return;
    for (const packet of packets) {
      this.tx.set(packet, ETHERNET_HEADER_LENGTH);
      this.transmitIpv4(nextHop, packet.length, false);
    }
  }
}
