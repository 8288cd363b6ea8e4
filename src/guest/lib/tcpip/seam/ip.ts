/**
 * @module tcpip/seam/ip
 * The seam between the IPv4 layer and the transports above it (TCP, UDP, ICMP): what a transport
 * may ask of IP, and what IP hands a transport. Addresses are IPv4 addresses as unsigned 32-bit
 * numbers (`0x0a000002` is 10.0.0.2); times are milliseconds on the loop clock (`loopTime()`),
 * always passed in, never read.
 */

/** What a transport may ask of the IPv4 layer. */
export interface IpLayer {
  /** Our address, or 0 while none is configured (DHCP has not bound yet). */
  readonly address: number;
  /** The largest transport payload one unfragmented packet carries to `destination` (link MTU − IPv4 header). */
  payloadMtu(destination: number): number;
  /**
   * Sends one IPv4 packet of `protocol` carrying `length` bytes to `destination`, from `source`
   * (our address if omitted). `fill` writes exactly `length` bytes at `buffer[offset…]` (the
   * transport header and data, checksum included) before `send` returns; the buffer is reused
   * afterwards. Payloads longer than the path MTU are fragmented. Returns false when the packet
   * was dropped (no route, a full queue waiting for ARP, a length over 65,515).
   */
  send(destination: number, protocol: number, length: number, fill: (buffer: Uint8Array, offset: number) => void, source?: number): boolean;
}

/** What the IPv4 layer hands a transport for each packet addressed to us. */
export interface Transport {
  /**
   * One packet's payload: `payload` is a view valid only during the call (copy what you keep);
   * checksums above IP are the transport's to verify. `now` is the loop time.
   */
  input(now: number, source: number, destination: number, payload: Uint8Array): void;
  /**
   * An ICMP destination-unreachable or time-exceeded arrived about a packet we sent: `quoted` is the
   * transport header (at least 8 bytes) of that packet, as quoted back (RFC 792, RFC 1122 §3.2.2.1).
   */
  icmpError?(now: number, type: number, code: number, source: number, destination: number, quoted: Uint8Array): void;
  /** Runs what is due at `now`; returns the next time it must run, or Infinity. */
  poll(now: number): number;
}

/** What the stack gives each transport besides IP. */
export interface TransportContext {
  readonly ip: IpLayer;
  /** The loop time now, in milliseconds (for the socket API's calls, which come between polls). */
  now(): number;
  /**
   * Asks the stack to call the transport's `poll` at the end of this turn: after a socket call
   * (write, close, connect) queued something to send. Cheap to call many times.
   */
  wake(): void;
  /** Fills `bytes` from the CSPRNG (`crypto.getRandomValues`). */
  random(bytes: Uint8Array): void;
}

/** Protocol numbers (IANA). */
export const PROTOCOL_ICMP = 1;
export const PROTOCOL_TCP = 6;
export const PROTOCOL_UDP = 17;

/** Parses a dotted quad into an address number, or returns undefined; the dotted quad of an address number (tsuki/net-address). */
export { parseIPv4 as parseAddress, formatIPv4 as formatAddress } from "../../net-address/index.ts";
