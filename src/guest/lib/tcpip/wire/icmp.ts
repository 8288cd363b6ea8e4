/**
 * @module tcpip/wire/icmp
 * ICMPv4 messages (RFC 792): a bounds-checked view (at least the 8-byte header) and a
 * representation that holds the messages a host deals with: echo request and reply, and the
 * errors destination unreachable, time exceeded and parameter problem, each with the quoted
 * datagram (its IPv4 header and at least 8 bytes after it: RFC 1122 §3.2.2). Other types parse to
 * "unsupported-type"; the checksum is verified on parse and computed on emit.
 *
 * The `data`/`quoted` bytes of a parsed representation are views into the packet, valid only as
 * long as its buffer is.
 */

import { checksum } from "./checksum.ts";
import { read16, write16, IPV4_HEADER_LENGTH } from "./ipv4.ts";

export const ICMP_HEADER_LENGTH = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;

/** Destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1). */
export const UNREACHABLE = { NET: 0, HOST: 1, PROTOCOL: 2, PORT: 3, FRAGMENTATION_NEEDED: 4, SOURCE_ROUTE_FAILED: 5 } as const;
/** Time exceeded codes. */
export const TIME_EXCEEDED = { TTL: 0, REASSEMBLY: 1 } as const;

export type IcmpError = "truncated" | "bad-checksum" | "unsupported-type" | "bad-quoted-header";

/** A view of one ICMP message. */
export class IcmpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  static check(bytes: Uint8Array): IcmpPacket | "truncated" {
    return bytes.length < ICMP_HEADER_LENGTH ? "truncated" : new IcmpPacket(bytes);
  }

  static unchecked(bytes: Uint8Array): IcmpPacket {
    if (bytes.length < ICMP_HEADER_LENGTH) throw new RangeError("icmp: buffer shorter than the header");
    return new IcmpPacket(bytes);
  }

  get type(): number {
    return this.bytes[0]!;
  }
  get code(): number {
    return this.bytes[1]!;
  }
  get checksum(): number {
    return read16(this.bytes, 2);
  }
  /** Echo: the identifier. */
  get identifier(): number {
    return read16(this.bytes, 4);
  }
  /** Echo: the sequence number. */
  get sequence(): number {
    return read16(this.bytes, 6);
  }
  /** Destination unreachable code 4: the next-hop MTU (RFC 1191 §4). */
  get nextHopMtu(): number {
    return read16(this.bytes, 6);
  }
  /** Parameter problem: the octet the error points at. */
  get pointer(): number {
    return this.bytes[4]!;
  }
  get data(): Uint8Array {
    return this.bytes.subarray(ICMP_HEADER_LENGTH);
  }
  verifyChecksum(): boolean {
    return checksum(this.bytes, 0, this.bytes.length) === 0;
  }
  fillChecksum(): void {
    write16(this.bytes, 2, 0);
    write16(this.bytes, 2, checksum(this.bytes, 0, this.bytes.length));
  }
}

export type IcmpRepr =
  | { readonly kind: "echo-request" | "echo-reply"; readonly identifier: number; readonly sequence: number; readonly data: Uint8Array }
  | { readonly kind: "destination-unreachable"; readonly code: number; readonly nextHopMtu: number; readonly quoted: Uint8Array }
  | { readonly kind: "time-exceeded"; readonly code: number; readonly quoted: Uint8Array }
  | { readonly kind: "parameter-problem"; readonly pointer: number; readonly quoted: Uint8Array };

/** Whether `quoted` starts with an IPv4 header followed by at least 8 bytes of its payload. */
export function quotedHeaderValid(quoted: Uint8Array): boolean {
  if (quoted.length < IPV4_HEADER_LENGTH + 8 || quoted[0]! >>> 4 !== 4) return false;
  const headerLength = (quoted[0]! & 0x0f) * 4;
  return headerLength >= IPV4_HEADER_LENGTH && quoted.length >= headerLength + 8;
}

export const IcmpRepr = {
  /** The message of a checked packet, its checksum verified, or why it is dropped. */
  parse(packet: IcmpPacket): IcmpRepr | IcmpError {
    if (!packet.verifyChecksum()) return "bad-checksum";
    switch (packet.type) {
      case ICMP_ECHO_REQUEST:
      case ICMP_ECHO_REPLY:
        return { kind: packet.type === ICMP_ECHO_REQUEST ? "echo-request" : "echo-reply", identifier: packet.identifier, sequence: packet.sequence, data: packet.data };
      case ICMP_DEST_UNREACHABLE:
      case ICMP_TIME_EXCEEDED:
      case ICMP_PARAMETER_PROBLEM: {
        const quoted = packet.data;
        if (!quotedHeaderValid(quoted)) return "bad-quoted-header";
        if (packet.type === ICMP_DEST_UNREACHABLE) return { kind: "destination-unreachable", code: packet.code, nextHopMtu: packet.code === UNREACHABLE.FRAGMENTATION_NEEDED ? packet.nextHopMtu : 0, quoted };
        if (packet.type === ICMP_TIME_EXCEEDED) return { kind: "time-exceeded", code: packet.code, quoted };
        return { kind: "parameter-problem", pointer: packet.pointer, quoted };
      }
      default:
        return "unsupported-type";
    }
  },

  bufferLength(repr: IcmpRepr): number {
    return ICMP_HEADER_LENGTH + ("data" in repr ? repr.data.length : repr.quoted.length);
  },

  /** Writes the message into a packet of exactly `bufferLength(repr)` bytes, checksum included. */
  emit(repr: IcmpRepr, packet: IcmpPacket): void {
    const b = packet.bytes;
    b.fill(0, 0, ICMP_HEADER_LENGTH);
    switch (repr.kind) {
      case "echo-request":
      case "echo-reply":
        b[0] = repr.kind === "echo-request" ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY;
        write16(b, 4, repr.identifier);
        write16(b, 6, repr.sequence);
        b.set(repr.data, ICMP_HEADER_LENGTH);
        break;
      case "destination-unreachable":
        b[0] = ICMP_DEST_UNREACHABLE;
        b[1] = repr.code;
        write16(b, 6, repr.nextHopMtu);
        b.set(repr.quoted, ICMP_HEADER_LENGTH);
        break;
      case "time-exceeded":
        b[0] = ICMP_TIME_EXCEEDED;
        b[1] = repr.code;
        b.set(repr.quoted, ICMP_HEADER_LENGTH);
        break;
      case "parameter-problem":
        b[0] = ICMP_PARAMETER_PROBLEM;
        b[4] = repr.pointer;
        b.set(repr.quoted, ICMP_HEADER_LENGTH);
        break;
    }
    packet.fillChecksum();
  },
};
