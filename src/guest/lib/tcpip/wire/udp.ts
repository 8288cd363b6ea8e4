/**
 * @module tcpip/wire/udp
 * UDP datagrams (RFC 768): a bounds-checked view whose `check` makes sure the length field is at
 * least the header and fits in the buffer (the payload ends at the length field, not at the end
 * of the buffer), and a header representation. The checksum covers the IPv4 pseudo-header; a
 * received checksum of 0 means "none" (RFC 768), and a computed 0 is sent as 0xffff.
 */

import { fold, pseudoHeaderSum, sum } from "./checksum.ts";
import { read16, write16 } from "./ipv4.ts";

export const UDP_HEADER_LENGTH = 8;
export const PROTOCOL_UDP = 17;

export type UdpError = "truncated" | "bad-length" | "bad-checksum" | "zero-port";

/**
 * Checks `bytes[start..end)` as a UDP datagram: returns its length field or why it is malformed.
 * The receive path's allocation-free form of `UdpPacket.check`.
 */
export function validateDatagram(bytes: Uint8Array, start: number, end: number): number | UdpError {
  if (end - start < UDP_HEADER_LENGTH) return "truncated";
  const length = read16(bytes, start + 4);
  if (length < UDP_HEADER_LENGTH) return "bad-length";
  if (length > end - start) return "truncated";
  return length;
}

/** Whether the datagram `bytes[start..start+length)` between these addresses has a valid checksum (0: none sent). */
export function datagramChecksumValid(bytes: Uint8Array, start: number, length: number, source: number, destination: number): boolean {
  if (read16(bytes, start + 6) === 0) return true;
  return fold(sum(bytes, start, start + length, pseudoHeaderSum(source, destination, PROTOCOL_UDP, length))) === 0;
}

/** Computes and writes the checksum of the datagram `bytes[start..start+length)`. */
export function fillDatagramChecksum(bytes: Uint8Array, start: number, length: number, source: number, destination: number): void {
  write16(bytes, start + 6, 0);
  const value = fold(sum(bytes, start, start + length, pseudoHeaderSum(source, destination, PROTOCOL_UDP, length)));
  // RFC 768: a computed zero is transmitted as all ones (zero means "no checksum").
  write16(bytes, start + 6, value === 0 ? 0xffff : value);
}

/** A view of one UDP datagram. */
export class UdpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  static check(bytes: Uint8Array): UdpPacket | UdpError {
    const length = validateDatagram(bytes, 0, bytes.length);
    return typeof length === "string" ? length : new UdpPacket(bytes);
  }

  static unchecked(bytes: Uint8Array): UdpPacket {
    if (bytes.length < UDP_HEADER_LENGTH) throw new RangeError("udp: buffer shorter than the header");
    return new UdpPacket(bytes);
  }

  get sourcePort(): number {
    return read16(this.bytes, 0);
  }
  get destinationPort(): number {
    return read16(this.bytes, 2);
  }
  get length(): number {
    return read16(this.bytes, 4);
  }
  get checksum(): number {
    return read16(this.bytes, 6);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(UDP_HEADER_LENGTH, Math.max(UDP_HEADER_LENGTH, this.length));
  }
  verifyChecksum(source: number, destination: number): boolean {
    return datagramChecksumValid(this.bytes, 0, this.length, source, destination);
  }
  fillChecksum(source: number, destination: number): void {
    fillDatagramChecksum(this.bytes, 0, this.length, source, destination);
  }
}

/** A UDP header: ports and the payload length. */
export class UdpRepr {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly payloadLength: number;

  constructor(sourcePort: number, destinationPort: number, payloadLength: number) {
    for (const port of [sourcePort, destinationPort]) if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError("udp: port out of range");
    if (!Number.isInteger(payloadLength) || payloadLength < 0 || payloadLength > 65535 - UDP_HEADER_LENGTH) throw new RangeError("udp: payload length out of range");
    this.sourcePort = sourcePort;
    this.destinationPort = destinationPort;
    this.payloadLength = payloadLength;
  }

  /**
   * The header of a checked datagram from `source` to `destination`, its checksum verified, or why
   * it is dropped. RFC 768 leaves port 0 as "no source port"; a destination port of 0 is invalid.
   */
  static parse(packet: UdpPacket, source: number, destination: number): UdpRepr | UdpError {
    if (packet.destinationPort === 0) return "zero-port";
    if (!packet.verifyChecksum(source, destination)) return "bad-checksum";
    return new UdpRepr(packet.sourcePort, packet.destinationPort, packet.length - UDP_HEADER_LENGTH);
  }

  bufferLength(): number {
    return UDP_HEADER_LENGTH + this.payloadLength;
  }

  /** Writes the header and checksum; the payload must already be at `bytes[8..]`. */
  emit(packet: UdpPacket, source: number, destination: number): void {
    const b = packet.bytes;
    write16(b, 0, this.sourcePort);
    write16(b, 2, this.destinationPort);
    write16(b, 4, UDP_HEADER_LENGTH + this.payloadLength);
    fillDatagramChecksum(b, 0, UDP_HEADER_LENGTH + this.payloadLength, source, destination);
  }
}
