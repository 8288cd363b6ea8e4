/**
 * @module tcpip/icmp
 * ICMPv4 for a host (RFC 792, RFC 1122 §3.2.2):
 * - echo requests to our address are answered with the same identifier, sequence and data, from
 *   the address they were sent to (§3.2.2.6), whatever their size (reassembled and fragmented by
 *   IP); echo requests to a broadcast address are ignored (§3.2.2.6 allows it; Linux's default);
 * - errors a host must send: protocol unreachable (§3.2.2.1, for a protocol nobody registered)
 *   and port unreachable (for UDP to a closed port), and time exceeded / reassembly (§3.3.2).
 *   Never about an ICMP error, a datagram sent to a broadcast or multicast address or as a
 *   link-layer broadcast, a fragment other than the first, or a datagram whose source is not one
 *   host (0, broadcast, multicast, class E, loopback) — §3.2.2. Errors quote the offending IP
 *   header and as much of its payload as keeps the error within 576 bytes (RFC 1812 §4.3.2.3), and
 *   are rate-limited by a token bucket (§3.2.2: "SHOULD … limit the rate"; 10 at once, 10/s);
 * - destination unreachable, time exceeded and parameter problem messages about a packet we sent
 *   are handed to the transport of the quoted protocol (`icmpError`); others are counted;
 * - `ping` sends echo requests and matches the replies.
 */

import { drop, type Drops } from "./counters.ts";
import type { Transport, TransportContext } from "./seam/ip.ts";
import { BROADCAST, isMulticast, type Ipv4Layer } from "./ipv4-layer.ts";
import { checksum } from "./wire/checksum.ts";
import { ICMP_DEST_UNREACHABLE, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_HEADER_LENGTH, ICMP_PARAMETER_PROBLEM, ICMP_TIME_EXCEEDED, IcmpPacket, IcmpRepr, TIME_EXCEEDED, UNREACHABLE } from "./wire/icmp.ts";
import { IPV4_HEADER_LENGTH, read16, read32, write16 } from "./wire/ipv4.ts";

export const PROTOCOL_ICMP = 1;
/** RFC 1812 §4.3.2.3: an ICMP error is at most 576 bytes long, IP header included. */
const MAX_ERROR_LENGTH = 576;

export interface IcmpOptions {
  /** Token bucket for errors: at most `errorBurst` at once, `errorRate` per second on average. */
  errorBurst?: number;
  errorRate?: number;
}

export interface IcmpStats {
  echoRequestsIn: number;
  echoRepliesOut: number;
  echoRequestsOut: number;
  echoRepliesIn: number;
  errorsIn: number;
  errorsOut: number;
  rateLimited: number;
  drops: Drops;
}

interface Ping {
  sent: number;
  deadline: number;
  resolve(rtt: number): void;
  reject(error: Error): void;
}

/** ICMP types that are errors (never answered with an error): RFC 1122 §3.2.2. */
function isErrorType(type: number): boolean {
  return type === ICMP_DEST_UNREACHABLE || type === 4 /* source quench */ || type === 5 /* redirect */ || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAMETER_PROBLEM;
}

export class Icmp implements Transport {
  readonly stats: IcmpStats = { echoRequestsIn: 0, echoRepliesOut: 0, echoRequestsOut: 0, echoRepliesIn: 0, errorsIn: 0, errorsOut: 0, rateLimited: 0, drops: {} };
  #ip: Ipv4Layer;
  #context: TransportContext;
  #tokens: number;
  #refilled = -Infinity;
  #burst: number;
  #rate: number;
  #pings = new Map<number, Ping>();
  #pingIdentifier: number;
  #pingSequence = 0;

  constructor(ip: Ipv4Layer, context: TransportContext, options: IcmpOptions = {}) {
    this.#ip = ip;
    this.#context = context;
    this.#burst = options.errorBurst ?? 10;
    this.#rate = options.errorRate ?? 10;
    this.#tokens = this.#burst;
    const id = new Uint8Array(2);
    context.random(id);
    this.#pingIdentifier = (id[0]! << 8) | id[1]!;
    ip.register(PROTOCOL_ICMP, this);
    ip.onUnknownProtocol = (now) => this.unreachable(now, UNREACHABLE.PROTOCOL);
    ip.onReassemblyTimeout = (now, header, start) => this.#error(now, ICMP_TIME_EXCEEDED, TIME_EXCEEDED.REASSEMBLY, header, start, false);
  }

  input(now: number, source: number, destination: number, payload: Uint8Array): void {
    const stats = this.stats;
    const packet = IcmpPacket.check(payload);
    if (typeof packet === "string") return drop(stats.drops, packet);
    const repr = IcmpRepr.parse(packet);
    if (typeof repr === "string") return drop(stats.drops, repr);
    switch (repr.kind) {
      case "echo-request": {
        stats.echoRequestsIn++;
        if (this.#ip.current?.broadcast) return drop(stats.drops, "broadcast-echo");
        // RFC 1122 §3.2.2.6: the reply carries the request's data, from the specific address it was sent to.
        const sent = this.#ip.send(source, PROTOCOL_ICMP, payload.length, (buffer, offset) => {
          buffer.set(payload, offset);
          buffer[offset] = ICMP_ECHO_REPLY;
          buffer[offset + 1] = 0;
          buffer[offset + 2] = buffer[offset + 3] = 0;
          write16(buffer, offset + 2, checksum(buffer, offset, offset + payload.length));
        }, destination);
        if (sent) stats.echoRepliesOut++;
        return;
      }
      case "echo-reply": {
        stats.echoRepliesIn++;
        if (repr.identifier !== this.#pingIdentifier) return drop(stats.drops, "unmatched-reply");
        const ping = this.#pings.get(repr.sequence);
        if (ping === undefined) return drop(stats.drops, "unmatched-reply");
        this.#pings.delete(repr.sequence);
        ping.resolve(now - ping.sent);
        return;
      }
      default: {
        stats.errorsIn++;
        const quoted = repr.quoted;
        const headerLength = (quoted[0]! & 0x0f) * 4;
        const quotedSource = read32(quoted, 12);
        // Only errors about packets we sent concern our transports.
        if (quotedSource !== this.#ip.address) return drop(stats.drops, "error-not-ours");
        const type = repr.kind === "destination-unreachable" ? ICMP_DEST_UNREACHABLE : repr.kind === "time-exceeded" ? ICMP_TIME_EXCEEDED : ICMP_PARAMETER_PROBLEM;
        const code = repr.kind === "parameter-problem" ? 0 : repr.code;
        const transport = this.#ip.transport(quoted[9]!);
        if (transport?.icmpError === undefined) return drop(stats.drops, "error-no-transport");
        transport.icmpError(now, type, code, quotedSource, read32(quoted, 16), quoted.subarray(headerLength));
      }
    }
  }

  poll(now: number): number {
    let next = Infinity;
    for (const [sequence, ping] of this.#pings) {
      if (now >= ping.deadline) {
        this.#pings.delete(sequence);
        ping.reject(Object.assign(new Error("ping: no reply before the timeout"), { code: "ETIMEDOUT" }));
      } else next = Math.min(next, ping.deadline);
    }
    return next;
  }

  /**
   * Sends destination unreachable with `code` about the packet being delivered now (`ip.current`),
   * if RFC 1122 §3.2.2 allows an error about it. Returns whether one was sent.
   */
  unreachable(now: number, code: number): boolean {
    const current = this.#ip.current;
    if (current === undefined) return false;
    return this.#error(now, ICMP_DEST_UNREACHABLE, code, current.header, current.payload, current.broadcast);
  }

  /** Sends an echo request of `size` data bytes to `destination`; resolves with the round-trip time in ms. */
  ping(destination: number, options: { size?: number; timeout?: number } = {}): Promise<number> {
    const size = options.size ?? 56;
    const timeout = options.timeout ?? 1_000;
    if (!Number.isInteger(size) || size < 0 || size > 65507) return Promise.reject(new RangeError("ping: size must be an integer in 0…65,507"));
    const sequence = this.#pingSequence;
    this.#pingSequence = (sequence + 1) & 0xffff;
    const now = this.#context.now();
    const identifier = this.#pingIdentifier;
    const sent = this.#ip.send(destination, PROTOCOL_ICMP, ICMP_HEADER_LENGTH + size, (buffer, offset) => {
      buffer[offset] = ICMP_ECHO_REQUEST;
      buffer[offset + 1] = 0;
      write16(buffer, offset + 2, 0);
      write16(buffer, offset + 4, identifier);
      write16(buffer, offset + 6, sequence);
      for (let i = 0; i < size; i++) buffer[offset + ICMP_HEADER_LENGTH + i] = i & 0xff;
      write16(buffer, offset + 2, checksum(buffer, offset, offset + ICMP_HEADER_LENGTH + size));
    });
    if (!sent) return Promise.reject(Object.assign(new Error("ping: no route to the destination"), { code: "EHOSTUNREACH" }));
    this.stats.echoRequestsOut++;
    return new Promise<number>((resolve, reject) => {
      this.#pings.get(sequence)?.reject(Object.assign(new Error("ping: sequence number reused"), { code: "ETIMEDOUT" }));
      this.#pings.set(sequence, { sent: now, deadline: now + timeout, resolve, reject });
      this.#context.wake();
    });
  }

  /** Rejects the pings in flight (the stack is closing). */
  close(): void {
    for (const ping of this.#pings.values()) ping.reject(Object.assign(new Error("ping: the stack was closed"), { code: "ECANCELED" }));
    this.#pings.clear();
  }

  #error(now: number, type: number, code: number, header: Uint8Array, payload: Uint8Array, broadcast: boolean): boolean {
    const stats = this.stats;
    // RFC 1122 §3.2.2: never about a broadcast/multicast datagram, …
    const destination = read32(header, 16);
    if (broadcast || this.#ip.isBroadcast(destination) || isMulticast(destination)) return false;
    // … a fragment other than the first, …
    if ((read16(header, 6) & 0x1fff) !== 0) return false;
    // … a datagram whose source does not name one host, …
    const source = read32(header, 12);
    const top = source >>> 24;
    if (source === 0 || source === BROADCAST || top === 127 || top >= 224 || this.#ip.isBroadcast(source)) return false;
    // … or an ICMP error message.
    if (header[9] === PROTOCOL_ICMP && (payload.length < 1 || isErrorType(payload[0]!))) return false;
    if (!this.#take(now)) {
      stats.rateLimited++;
      return false;
    }
    const headerLength = header.length;
    const quotedPayload = Math.min(payload.length, MAX_ERROR_LENGTH - IPV4_HEADER_LENGTH - ICMP_HEADER_LENGTH - headerLength);
    const length = ICMP_HEADER_LENGTH + headerLength + quotedPayload;
    const sent = this.#ip.send(source, PROTOCOL_ICMP, length, (buffer, offset) => {
      buffer.fill(0, offset, offset + ICMP_HEADER_LENGTH);
      buffer[offset] = type;
      buffer[offset + 1] = code;
      buffer.set(header, offset + ICMP_HEADER_LENGTH);
      buffer.set(payload.subarray(0, quotedPayload), offset + ICMP_HEADER_LENGTH + headerLength);
      write16(buffer, offset + 2, checksum(buffer, offset, offset + length));
    });
    if (sent) stats.errorsOut++;
    return sent;
  }

  /** Takes one token from the error bucket if there is one. */
  #take(now: number): boolean {
    if (this.#refilled === -Infinity) this.#refilled = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#refilled) * this.#rate) / 1000);
    this.#refilled = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
