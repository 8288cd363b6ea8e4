/**
 * @module tcpip/wire/ipv4
 * IPv4 headers (RFC 791): a bounds-checked view and a representation. `Ipv4Packet.check` accepts a
 * buffer longer than the packet (Ethernet pads short frames to 60 bytes) and makes sure that the
 * header length and total length fit in it, so no accessor can leave the buffer afterwards;
 * `payload` ends at the total length, never at the end of the buffer. `validateHeader` does the
 * same checks on `bytes[start..end)` without allocating, for the receive path.
 *
 * The representation holds one packet or fragment with no options: options received are skipped
 * (RFC 1122 §3.2.1.8 lets a host ignore the ones it does not implement), none are emitted.
 */

import { checksum, sum, fold } from "./checksum.ts";

export const IPV4_HEADER_LENGTH = 20;
/** The largest IPv4 datagram (the total length field is 16 bits). */
export const IPV4_MAX_LENGTH = 65535;
/** RFC 1122 §3.2.1.7: the default TTL; 64 as Linux and smoltcp use. */
export const DEFAULT_TTL = 64;

export const FIELD = {
  VERSION_IHL: 0,
  DSCP_ECN: 1,
  TOTAL_LENGTH: 2,
  IDENTIFICATION: 4,
  FLAGS_FRAGMENT: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SOURCE: 12,
  DESTINATION: 16,
} as const;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;

export type Ipv4Error = "truncated" | "bad-version" | "bad-header-length" | "bad-total-length" | "bad-checksum";

export function read16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}
export function read32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
export function write16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value & 0xff;
}
export function write32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/**
 * Checks that `bytes[start..end)` begins with a well-formed IPv4 header whose total length fits:
 * returns the total length, or why not. The checksum is not verified (see `headerChecksumValid`).
 */
export function validateHeader(bytes: Uint8Array, start: number, end: number): number | Ipv4Error {
  if (end - start < IPV4_HEADER_LENGTH) return "truncated";
  const first = bytes[start]!;
  if (first >>> 4 !== 4) return "bad-version";
  const headerLength = (first & 0x0f) * 4;
  // RFC 791: the IHL is at least 5 words.
  if (headerLength < IPV4_HEADER_LENGTH || headerLength > end - start) return "bad-header-length";
  const total = read16(bytes, start + FIELD.TOTAL_LENGTH);
  if (total < headerLength) return "bad-total-length";
  if (total > end - start) return "truncated";
  return total;
}

/** Whether the header at `bytes[start..]` (its length already validated) sums to zero (RFC 791, RFC 1071). */
export function headerChecksumValid(bytes: Uint8Array, start: number): boolean {
  const headerLength = (bytes[start]! & 0x0f) * 4;
  return fold(sum(bytes, start, start + headerLength)) === 0;
}

/** A view of one IPv4 packet at the start of `bytes`. */
export class Ipv4Packet {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  static check(bytes: Uint8Array): Ipv4Packet | Ipv4Error {
    const total = validateHeader(bytes, 0, bytes.length);
    return typeof total === "string" ? total : new Ipv4Packet(bytes);
  }

  /** A view for emitting into a buffer of at least the header's length. */
  static unchecked(bytes: Uint8Array): Ipv4Packet {
    if (bytes.length < IPV4_HEADER_LENGTH) throw new RangeError("ipv4: buffer shorter than the header");
    return new Ipv4Packet(bytes);
  }

  get version(): number {
    return this.bytes[0]! >>> 4;
  }
  get headerLength(): number {
    return (this.bytes[0]! & 0x0f) * 4;
  }
  get dscp(): number {
    return this.bytes[1]! >>> 2;
  }
  get ecn(): number {
    return this.bytes[1]! & 3;
  }
  get totalLength(): number {
    return read16(this.bytes, FIELD.TOTAL_LENGTH);
  }
  get identification(): number {
    return read16(this.bytes, FIELD.IDENTIFICATION);
  }
  get dontFragment(): boolean {
    return (read16(this.bytes, FIELD.FLAGS_FRAGMENT) & FLAG_DF) !== 0;
  }
  get moreFragments(): boolean {
    return (read16(this.bytes, FIELD.FLAGS_FRAGMENT) & FLAG_MF) !== 0;
  }
  /** The fragment offset in bytes. */
  get fragmentOffset(): number {
    return (read16(this.bytes, FIELD.FLAGS_FRAGMENT) & 0x1fff) * 8;
  }
  get ttl(): number {
    return this.bytes[FIELD.TTL]!;
  }
  get protocol(): number {
    return this.bytes[FIELD.PROTOCOL]!;
  }
  get checksum(): number {
    return read16(this.bytes, FIELD.CHECKSUM);
  }
  get source(): number {
    return read32(this.bytes, FIELD.SOURCE);
  }
  get destination(): number {
    return read32(this.bytes, FIELD.DESTINATION);
  }
  get options(): Uint8Array {
    return this.bytes.subarray(IPV4_HEADER_LENGTH, this.headerLength);
  }
  /** The payload up to the total length (Ethernet padding excluded). */
  get payload(): Uint8Array {
    const total = this.totalLength;
    return this.bytes.subarray(this.headerLength, Math.max(this.headerLength, total));
  }
  verifyChecksum(): boolean {
    return headerChecksumValid(this.bytes, 0);
  }
  /** Computes and writes the header checksum over the current header. */
  fillChecksum(): void {
    write16(this.bytes, FIELD.CHECKSUM, 0);
    write16(this.bytes, FIELD.CHECKSUM, checksum(this.bytes, 0, this.headerLength));
  }
}

export interface Ipv4Fields {
  source: number;
  destination: number;
  protocol: number;
  /** The length of the payload this header carries (of this fragment, if it is one). */
  payloadLength: number;
  ttl?: number;
  identification?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In bytes; a multiple of 8. */
  fragmentOffset?: number;
  dscp?: number;
  ecn?: number;
}

/** An option-free IPv4 header, valid by construction. */
export class Ipv4Repr {
  readonly source: number;
  readonly destination: number;
  readonly protocol: number;
  readonly payloadLength: number;
  readonly ttl: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  readonly fragmentOffset: number;
  readonly dscp: number;
  readonly ecn: number;

  constructor(fields: Ipv4Fields) {
    const { source, destination, protocol, payloadLength } = fields;
    const fragmentOffset = fields.fragmentOffset ?? 0;
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) throw new RangeError("ipv4: protocol out of range");
    if (!Number.isInteger(payloadLength) || payloadLength < 0 || payloadLength > IPV4_MAX_LENGTH - IPV4_HEADER_LENGTH) throw new RangeError("ipv4: payload length out of range");
    if (fragmentOffset % 8 !== 0 || fragmentOffset < 0 || fragmentOffset > 0x1fff * 8) throw new RangeError("ipv4: fragment offset must be a multiple of 8 below 65,536");
    this.source = source >>> 0;
    this.destination = destination >>> 0;
    this.protocol = protocol;
    this.payloadLength = payloadLength;
    this.ttl = (fields.ttl ?? DEFAULT_TTL) & 0xff;
    this.identification = (fields.identification ?? 0) & 0xffff;
    this.dontFragment = fields.dontFragment ?? false;
    this.moreFragments = fields.moreFragments ?? false;
    this.fragmentOffset = fragmentOffset;
    this.dscp = (fields.dscp ?? 0) & 0x3f;
    this.ecn = (fields.ecn ?? 0) & 3;
  }

  /** The header of a checked packet, its checksum verified (options skipped), or why it is dropped. */
  static parse(packet: Ipv4Packet, options: { verifyChecksum?: boolean } = {}): Ipv4Repr | Ipv4Error {
    if ((options.verifyChecksum ?? true) && !packet.verifyChecksum()) return "bad-checksum";
    return new Ipv4Repr({
      source: packet.source,
      destination: packet.destination,
      protocol: packet.protocol,
      payloadLength: packet.totalLength - packet.headerLength,
      ttl: packet.ttl,
      identification: packet.identification,
      dontFragment: packet.dontFragment,
      moreFragments: packet.moreFragments,
      fragmentOffset: packet.fragmentOffset,
      dscp: packet.dscp,
      ecn: packet.ecn,
    });
  }

  bufferLength(): number {
    return IPV4_HEADER_LENGTH;
  }

  /** Writes the 20-byte header, checksum included (the payload is the caller's). */
  emit(packet: Ipv4Packet): void {
    emitHeader(packet.bytes, 0, this.source, this.destination, this.protocol, this.payloadLength, this.identification, (this.dontFragment ? FLAG_DF : 0) | (this.moreFragments ? FLAG_MF : 0) | (this.fragmentOffset / 8), this.ttl, (this.dscp << 2) | this.ecn);
  }
}

/**
 * Writes an option-free header at `bytes[at..at+20)` with its checksum, without allocating: the
 * transmit path's form of `Ipv4Repr.emit`. `flagsFragment` is the raw 16-bit flags/offset field.
 */
export function emitHeader(bytes: Uint8Array, at: number, source: number, destination: number, protocol: number, payloadLength: number, identification: number, flagsFragment: number, ttl: number, tos = 0): void {
  bytes[at] = 0x45;
  bytes[at + 1] = tos;
  write16(bytes, at + 2, IPV4_HEADER_LENGTH + payloadLength);
  write16(bytes, at + 4, identification);
  write16(bytes, at + 6, flagsFragment);
  bytes[at + 8] = ttl;
  bytes[at + 9] = protocol;
  bytes[at + 10] = 0;
  bytes[at + 11] = 0;
  write32(bytes, at + 12, source);
  write32(bytes, at + 16, destination);
  write16(bytes, at + 10, checksum(bytes, at, at + IPV4_HEADER_LENGTH));
}

export const FLAGS = { DF: FLAG_DF, MF: FLAG_MF } as const;
