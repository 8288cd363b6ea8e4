/**
 * Builders of frames for tsuki/tcpip's tests, on the wire layer (itself checked byte for byte
 * against frames Linux sent and accepted, in wire.test.ts). Addresses are dotted quads.
 */

import { parseAddress } from "../../../../src/guest/lib/tcpip/seam/ip.ts";
import { ArpPacket, ArpRepr } from "../../../../src/guest/lib/tcpip/wire/arp.ts";
import { checksum } from "../../../../src/guest/lib/tcpip/wire/checksum.ts";
import { BROADCAST_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetFrame, EthernetRepr } from "../../../../src/guest/lib/tcpip/wire/ethernet.ts";
import { Ipv4Packet, Ipv4Repr, type Ipv4Fields } from "../../../../src/guest/lib/tcpip/wire/ipv4.ts";
import { UdpPacket, UdpRepr } from "../../../../src/guest/lib/tcpip/wire/udp.ts";

export const addr = (text: string): number => {
  const value = parseAddress(text);
  if (value === undefined) throw new TypeError(text);
  return value;
};

export function ethernet(destination: Uint8Array, source: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(14 + payload.length);
  new EthernetRepr(destination, source, type).emit(EthernetFrame.unchecked(bytes));
  bytes.set(payload, 14);
  return bytes;
}

export interface PacketFields extends Omit<Ipv4Fields, "source" | "destination" | "payloadLength"> {
  source: string;
  destination: string;
}

/** An IPv4 packet carrying `payload` (whatever its fragment fields say). */
export function ipv4(fields: PacketFields, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(20 + payload.length);
  new Ipv4Repr({ ...fields, source: addr(fields.source), destination: addr(fields.destination), payloadLength: payload.length }).emit(Ipv4Packet.unchecked(bytes));
  bytes.set(payload, 20);
  return bytes;
}

export function udp(source: string, sourcePort: number, destination: string, destinationPort: number, data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(8 + data.length);
  bytes.set(data, 8);
  new UdpRepr(sourcePort, destinationPort, data.length).emit(UdpPacket.unchecked(bytes), addr(source), addr(destination));
  return bytes;
}

export function icmpMessage(type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(8 + data.length);
  bytes[0] = type;
  bytes[1] = code;
  bytes[4] = rest >>> 24;
  bytes[5] = (rest >>> 16) & 255;
  bytes[6] = (rest >>> 8) & 255;
  bytes[7] = rest & 255;
  bytes.set(data, 8);
  const sum = checksum(bytes, 0, bytes.length);
  bytes[2] = sum >>> 8;
  bytes[3] = sum & 255;
  return bytes;
}

export function echoRequest(identifier: number, sequence: number, data: Uint8Array): Uint8Array {
  return icmpMessage(8, 0, (identifier << 16) | sequence, data);
}

/** An Ethernet frame to `mac` carrying an IPv4 packet. */
export function ipFrame(to: Uint8Array, from: Uint8Array, fields: PacketFields, payload: Uint8Array): Uint8Array {
  return ethernet(to, from, ETHERTYPE_IPV4, ipv4(fields, payload));
}

export function arpFrame(operation: 1 | 2, senderMac: Uint8Array, sender: string, targetMac: Uint8Array, target: string, to: Uint8Array = BROADCAST_MAC): Uint8Array {
  const payload = new Uint8Array(28);
  new ArpRepr(operation, senderMac, addr(sender), targetMac, addr(target)).emit(ArpPacket.unchecked(payload));
  return ethernet(to, senderMac, ETHERTYPE_ARP, payload);
}

/** Splits an IPv4 payload into fragments of `size` bytes (a multiple of 8) as frames. */
export function fragments(to: Uint8Array, from: Uint8Array, fields: PacketFields, payload: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += size) {
    const piece = payload.subarray(offset, Math.min(payload.length, offset + size));
    out.push(ipFrame(to, from, { ...fields, fragmentOffset: offset, moreFragments: offset + size < payload.length }, piece));
  }
  return out;
}
