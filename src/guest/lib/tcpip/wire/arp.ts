/**
 * @module tcpip/wire/arp
 * ARP packets (RFC 826) for IPv4 over Ethernet: a bounds-checked view of any hardware/protocol
 * sizes, and a representation that holds only the one supported combination (hardware type 1,
 * protocol 0x0800, sizes 6 and 4, operation request or reply). Everything else parses to a reason.
 */

import { ETHERTYPE_IPV4 } from "./ethernet.ts";

export const ARP_HARDWARE_ETHERNET = 1;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
/** The length of an Ethernet/IPv4 ARP packet. */
export const ARP_LENGTH = 28;

export const FIELD = { HTYPE: 0, PTYPE: 2, HLEN: 4, PLEN: 5, OPER: 6, SHA: 8 } as const;

export type ArpError = "truncated" | "unsupported-hardware" | "unsupported-protocol" | "unsupported-operation";

/** A view of one ARP packet; `check` makes sure the addresses its length fields announce are present. */
export class ArpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  static check(bytes: Uint8Array): ArpPacket | ArpError {
    if (bytes.length < 8) return "truncated";
    const packet = new ArpPacket(bytes);
    if (bytes.length < 8 + 2 * (packet.hardwareLength + packet.protocolLength)) return "truncated";
    return packet;
  }

  static unchecked(bytes: Uint8Array): ArpPacket {
    if (bytes.length < ARP_LENGTH) throw new RangeError("arp: buffer shorter than 28 bytes");
    return new ArpPacket(bytes);
  }

  get hardwareType(): number {
    return (this.bytes[0]! << 8) | this.bytes[1]!;
  }
  get protocolType(): number {
    return (this.bytes[2]! << 8) | this.bytes[3]!;
  }
  get hardwareLength(): number {
    return this.bytes[4]!;
  }
  get protocolLength(): number {
    return this.bytes[5]!;
  }
  get operation(): number {
    return (this.bytes[6]! << 8) | this.bytes[7]!;
  }
  get senderHardware(): Uint8Array {
    return this.bytes.subarray(8, 8 + this.hardwareLength);
  }
  get senderProtocol(): Uint8Array {
    const at = 8 + this.hardwareLength;
    return this.bytes.subarray(at, at + this.protocolLength);
  }
  get targetHardware(): Uint8Array {
    const at = 8 + this.hardwareLength + this.protocolLength;
    return this.bytes.subarray(at, at + this.hardwareLength);
  }
  get targetProtocol(): Uint8Array {
    const at = 8 + 2 * this.hardwareLength + this.protocolLength;
    return this.bytes.subarray(at, at + this.protocolLength);
  }
}

function readAddress(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
function writeAddress(bytes: Uint8Array, at: number, address: number): void {
  bytes[at] = address >>> 24;
  bytes[at + 1] = (address >>> 16) & 255;
  bytes[at + 2] = (address >>> 8) & 255;
  bytes[at + 3] = address & 255;
}

/** An Ethernet/IPv4 ARP request or reply. */
export class ArpRepr {
  readonly operation: 1 | 2;
  readonly senderHardware: Uint8Array;
  readonly senderProtocol: number;
  readonly targetHardware: Uint8Array;
  readonly targetProtocol: number;

  constructor(operation: 1 | 2, senderHardware: Uint8Array, senderProtocol: number, targetHardware: Uint8Array, targetProtocol: number) {
    if (senderHardware.length !== 6 || targetHardware.length !== 6) throw new RangeError("arp: a MAC address is 6 bytes");
    this.operation = operation;
    this.senderHardware = senderHardware;
    this.senderProtocol = senderProtocol >>> 0;
    this.targetHardware = targetHardware;
    this.targetProtocol = targetProtocol >>> 0;
  }

  static parse(packet: ArpPacket): ArpRepr | ArpError {
    // RFC 826 "Packet Reception": check the hardware and protocol types we speak, else discard.
    if (packet.hardwareType !== ARP_HARDWARE_ETHERNET || packet.hardwareLength !== 6) return "unsupported-hardware";
    if (packet.protocolType !== ETHERTYPE_IPV4 || packet.protocolLength !== 4) return "unsupported-protocol";
    const op = packet.operation;
    if (op !== ARP_REQUEST && op !== ARP_REPLY) return "unsupported-operation";
    const b = packet.bytes;
    return new ArpRepr(op, b.slice(8, 14), readAddress(b, 14), b.slice(18, 24), readAddress(b, 24));
  }

  bufferLength(): number {
    return ARP_LENGTH;
  }

  emit(packet: ArpPacket): void {
    const b = packet.bytes;
    b[0] = 0;
    b[1] = ARP_HARDWARE_ETHERNET;
    b[2] = ETHERTYPE_IPV4 >>> 8;
    b[3] = ETHERTYPE_IPV4 & 0xff;
    b[4] = 6;
    b[5] = 4;
    b[6] = 0;
    b[7] = this.operation;
    b.set(this.senderHardware, 8);
    writeAddress(b, 14, this.senderProtocol);
    b.set(this.targetHardware, 18);
    writeAddress(b, 24, this.targetProtocol);
  }
}
