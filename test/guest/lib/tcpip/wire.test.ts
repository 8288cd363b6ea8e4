/**
 * tsuki/tcpip's wire layer against real frames captured from Linux (frames/): each view reads the
 * fields Linux wrote, each representation parses them and emits the same bytes back, and bad
 * lengths, versions and checksums parse to a reason instead of throwing.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ARP_REPLY, ARP_REQUEST, ArpPacket, ArpRepr } from "../../../../src/guest/lib/tcpip/wire/arp.ts";
import { checksum, fold, pseudoHeaderSum, sum } from "../../../../src/guest/lib/tcpip/wire/checksum.ts";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, EthernetFrame, EthernetRepr, formatMac, parseMac } from "../../../../src/guest/lib/tcpip/wire/ethernet.ts";
import { IcmpPacket, IcmpRepr } from "../../../../src/guest/lib/tcpip/wire/icmp.ts";
import { Ipv4Packet, Ipv4Repr, validateHeader } from "../../../../src/guest/lib/tcpip/wire/ipv4.ts";
import { UdpPacket, UdpRepr } from "../../../../src/guest/lib/tcpip/wire/udp.ts";
import { parseAddress } from "../../../../src/guest/lib/tcpip/seam/ip.ts";
import { frame, GUEST_MAC, linuxMac } from "./corpus.ts";

const LINUX = parseAddress("10.9.0.1")!;
const GUEST = parseAddress("10.9.0.2")!;

function ethernet(bytes: Uint8Array): EthernetFrame {
  const view = EthernetFrame.check(bytes);
  assert.ok(view instanceof EthernetFrame, String(view));
  return view;
}
function ipv4(bytes: Uint8Array): Ipv4Packet {
  const view = Ipv4Packet.check(ethernet(bytes).payload);
  assert.ok(view instanceof Ipv4Packet, String(view));
  return view;
}

describe("checksum", () => {
  test("the RFC 1071 §3 example sums to 0xddf2", () => {
    const bytes = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    assert.equal(fold(sum(bytes, 0, 8)), ~0xddf2 & 0xffff);
  });
  test("an odd length pads the last byte with zero", () => {
    assert.equal(checksum(new Uint8Array([1, 2, 3]), 0, 3), checksum(new Uint8Array([1, 2, 3, 0]), 0, 4));
  });
  test("pieces summed separately fold to the checksum of the whole", () => {
    const bytes = Uint8Array.from({ length: 1001 }, (_, i) => (i * 37) & 255);
    assert.equal(fold(sum(bytes, 500, 1001, sum(bytes, 0, 500))), checksum(bytes, 0, 1001));
    assert.equal(typeof pseudoHeaderSum(0xffffffff, 0xffffffff, 17, 65535), "number");
  });
});

describe("ethernet", () => {
  test("a captured frame's header reads back and re-emits the same bytes", () => {
    const bytes = frame("linux-udp");
    const view = ethernet(bytes);
    assert.deepEqual(view.destination, GUEST_MAC);
    assert.deepEqual(view.source, linuxMac());
    assert.equal(view.ethertype, ETHERTYPE_IPV4);
    assert.equal(view.isBroadcast, false);
    const repr = EthernetRepr.parse(view);
    assert.ok(repr instanceof EthernetRepr);
    const out = new Uint8Array(repr.bufferLength());
    repr.emit(EthernetFrame.unchecked(out));
    assert.deepEqual(out, bytes.subarray(0, 14));
  });
  test("broadcast and multicast destinations are recognised", () => {
    assert.equal(ethernet(frame("linux-arp-request")).isBroadcast, true);
    const v6 = ethernet(frame("linux-ipv6"));
    assert.equal(v6.isMulticast, true);
    assert.equal(v6.isBroadcast, false);
    assert.equal(v6.ethertype, ETHERTYPE_IPV6);
  });
  test("a frame shorter than 14 bytes is truncated", () => {
    assert.equal(EthernetFrame.check(new Uint8Array(13)), "truncated");
  });
  test("an 802.3 length field is not supported", () => {
    const bytes = frame("linux-udp");
    bytes[12] = 0x05;
    bytes[13] = 0xdc;
    assert.equal(EthernetRepr.parse(ethernet(bytes)), "unsupported-type");
  });
  test("MACs format and parse", () => {
    assert.equal(formatMac(GUEST_MAC), "02:00:00:00:00:02");
    assert.deepEqual(parseMac("02:00:00:00:00:02"), GUEST_MAC);
    assert.equal(parseMac("02:00:00:00:00"), undefined);
  });
});

describe("arp", () => {
  test("Linux's request parses and re-emits byte for byte", () => {
    const bytes = frame("linux-arp-request");
    assert.equal(ethernet(bytes).ethertype, ETHERTYPE_ARP);
    const packet = ArpPacket.check(ethernet(bytes).payload);
    assert.ok(packet instanceof ArpPacket);
    const repr = ArpRepr.parse(packet);
    assert.ok(repr instanceof ArpRepr);
    assert.equal(repr.operation, ARP_REQUEST);
    assert.deepEqual(repr.senderHardware, linuxMac());
    assert.equal(repr.senderProtocol, LINUX);
    assert.equal(repr.targetProtocol, GUEST);
    const out = new Uint8Array(repr.bufferLength());
    repr.emit(ArpPacket.unchecked(out));
    assert.deepEqual(out, ethernet(bytes).payload.subarray(0, 28));
  });
  test("Linux's reply parses", () => {
    const repr = ArpRepr.parse(ArpPacket.check(ethernet(frame("linux-arp-reply")).payload) as ArpPacket);
    assert.ok(repr instanceof ArpRepr);
    assert.equal(repr.operation, ARP_REPLY);
    assert.equal(repr.senderProtocol, LINUX);
    assert.deepEqual(repr.targetHardware, GUEST_MAC);
  });
  test("short packets, other hardware, protocols and operations parse to a reason", () => {
    const payload = ethernet(frame("linux-arp-request")).payload.slice(0, 28);
    assert.equal(ArpPacket.check(payload.subarray(0, 7)), "truncated");
    assert.equal(ArpPacket.check(payload.subarray(0, 27)), "truncated");
    const other = (at: number, value: number) => {
      const copy = payload.slice();
      copy[at] = value;
      const packet = ArpPacket.check(copy);
      return typeof packet === "string" ? packet : ArpRepr.parse(packet);
    };
    assert.equal(other(1, 6), "unsupported-hardware");
    assert.equal(other(2, 0x86), "unsupported-protocol");
    assert.equal(other(7, 3), "unsupported-operation");
    // A larger hardware length announces addresses past the end: truncated, never read beyond.
    assert.equal(other(4, 16), "truncated");
  });
});

describe("ipv4", () => {
  test("a captured packet's header reads back and re-emits the same bytes", () => {
    const bytes = frame("linux-udp");
    const packet = ipv4(bytes);
    assert.equal(packet.version, 4);
    assert.equal(packet.headerLength, 20);
    assert.equal(packet.totalLength, 44);
    assert.equal(packet.dontFragment, true);
    assert.equal(packet.ttl, 64);
    assert.equal(packet.protocol, 17);
    assert.equal(packet.source, LINUX);
    assert.equal(packet.destination, GUEST);
    assert.equal(packet.verifyChecksum(), true);
    const repr = Ipv4Repr.parse(packet);
    assert.ok(repr instanceof Ipv4Repr);
    assert.equal(repr.payloadLength, 24);
    const out = new Uint8Array(20);
    repr.emit(Ipv4Packet.unchecked(out));
    assert.deepEqual(out, packet.bytes.subarray(0, 20));
  });
  test("fragment fields of a captured fragmented ping", () => {
    const first = ipv4(frame("linux-icmp-echo-request-fragment0"));
    assert.equal(first.moreFragments, true);
    assert.equal(first.fragmentOffset, 0);
    const last = ipv4(frame("linux-icmp-echo-request-fragment2"));
    assert.equal(last.moreFragments, false);
    assert.equal(last.fragmentOffset, 2960);
    assert.equal(last.identification, first.identification);
  });
  test("Ethernet padding after the total length is not payload", () => {
    const bytes = frame("linux-tcp-rst");
    const packet = ipv4(bytes);
    assert.ok(packet.bytes.length >= packet.totalLength);
    assert.equal(packet.payload.length, packet.totalLength - packet.headerLength);
  });
  test("bad versions, header lengths, total lengths and checksums parse to a reason", () => {
    const base = ethernet(frame("linux-udp")).payload.slice();
    const mutate = (at: number, value: number) => {
      const copy = base.slice();
      copy[at] = value;
      const packet = Ipv4Packet.check(copy);
      return typeof packet === "string" ? packet : Ipv4Repr.parse(packet);
    };
    assert.equal(Ipv4Packet.check(base.subarray(0, 19)), "truncated");
    assert.equal(mutate(0, 0x65), "bad-version");
    assert.equal(mutate(0, 0x44), "bad-header-length");
    assert.equal(mutate(0, 0x4f), "bad-header-length");
    assert.equal(mutate(3, 10), "bad-total-length");
    assert.equal(mutate(2, 0xff), "truncated");
    assert.equal(mutate(8, 63), "bad-checksum");
    assert.equal(validateHeader(base, 0, base.length), 44);
  });
  test("a representation refuses impossible values", () => {
    assert.throws(() => new Ipv4Repr({ source: 1, destination: 2, protocol: 256, payloadLength: 0 }), RangeError);
    assert.throws(() => new Ipv4Repr({ source: 1, destination: 2, protocol: 6, payloadLength: 65516 }), RangeError);
    assert.throws(() => new Ipv4Repr({ source: 1, destination: 2, protocol: 6, payloadLength: 8, fragmentOffset: 4 }), RangeError);
  });
});

describe("icmp", () => {
  test("Linux's echo request parses and re-emits byte for byte", () => {
    const ip = ipv4(frame("linux-icmp-echo-request"));
    const packet = IcmpPacket.check(ip.payload);
    assert.ok(packet instanceof IcmpPacket);
    const repr = IcmpRepr.parse(packet);
    assert.ok(typeof repr === "object" && repr.kind === "echo-request");
    assert.equal(repr.identifier, 0x4242);
    assert.equal(repr.sequence, 1);
    assert.equal(repr.data.length, 56);
    const out = new Uint8Array(IcmpRepr.bufferLength(repr));
    IcmpRepr.emit(repr, IcmpPacket.unchecked(out));
    assert.deepEqual(out, ip.payload);
  });
  test("Linux's port unreachable quotes our datagram", () => {
    const ip = ipv4(frame("linux-icmp-port-unreachable"));
    const repr = IcmpRepr.parse(IcmpPacket.check(ip.payload) as IcmpPacket);
    assert.ok(typeof repr === "object" && repr.kind === "destination-unreachable");
    assert.equal(repr.code, 3);
    const quoted = Ipv4Packet.check(repr.quoted);
    assert.ok(quoted instanceof Ipv4Packet);
    assert.equal(quoted.source, GUEST);
    assert.equal(quoted.protocol, 17);
    const out = new Uint8Array(IcmpRepr.bufferLength(repr));
    IcmpRepr.emit(repr, IcmpPacket.unchecked(out));
    assert.deepEqual(out, ip.payload);
  });
  test("a bad checksum, a short message, an unknown type and a short quote parse to a reason", () => {
    const payload = ipv4(frame("linux-icmp-echo-request")).payload.slice();
    assert.equal(IcmpPacket.check(payload.subarray(0, 7)), "truncated");
    payload[10] = payload[10]! ^ 1;
    assert.equal(IcmpRepr.parse(IcmpPacket.check(payload) as IcmpPacket), "bad-checksum");
    const unknown = new Uint8Array(8);
    unknown[0] = 42;
    IcmpPacket.unchecked(unknown).fillChecksum();
    assert.equal(IcmpRepr.parse(IcmpPacket.check(unknown) as IcmpPacket), "unsupported-type");
    const error = ipv4(frame("linux-icmp-port-unreachable")).payload.slice(0, 8 + 20 + 4);
    IcmpPacket.unchecked(error).fillChecksum();
    assert.equal(IcmpRepr.parse(IcmpPacket.check(error) as IcmpPacket), "bad-quoted-header");
  });
});

describe("udp", () => {
  test("Linux's datagram parses, verifies and re-emits byte for byte", () => {
    const ip = ipv4(frame("linux-udp"));
    const packet = UdpPacket.check(ip.payload);
    assert.ok(packet instanceof UdpPacket);
    const repr = UdpRepr.parse(packet, ip.source, ip.destination);
    assert.ok(repr instanceof UdpRepr);
    assert.equal(repr.sourcePort, 40000);
    assert.equal(repr.destinationPort, 5000);
    assert.equal(new TextDecoder().decode(packet.payload), "hello from linux");
    const out = ip.payload.slice();
    out.fill(0, 0, 8);
    repr.emit(UdpPacket.unchecked(out), ip.source, ip.destination);
    assert.deepEqual(out, ip.payload);
  });
  test("a wrong checksum or address fails; a zero checksum means none", () => {
    const ip = ipv4(frame("linux-udp"));
    const payload = ip.payload.slice();
    assert.equal(UdpRepr.parse(UdpPacket.check(payload) as UdpPacket, ip.source, ip.destination + 1), "bad-checksum");
    payload[6] = payload[7] = 0;
    assert.ok(UdpRepr.parse(UdpPacket.check(payload) as UdpPacket, ip.source, ip.destination + 1) instanceof UdpRepr);
  });
  test("bad lengths parse to a reason", () => {
    const payload = ipv4(frame("linux-udp")).payload.slice();
    assert.equal(UdpPacket.check(payload.subarray(0, 7)), "truncated");
    const short = payload.slice();
    short[5] = 7;
    assert.equal(UdpPacket.check(short), "bad-length");
    const long = payload.slice();
    long[5] = 200;
    assert.equal(UdpPacket.check(long), "truncated");
  });
  test("a computed checksum of zero is sent as 0xffff", () => {
    // Find a payload whose checksum comes out 0 by adjusting two bytes.
    const bytes = new Uint8Array(10);
    const repr = new UdpRepr(1, 2, 2);
    repr.emit(UdpPacket.unchecked(bytes), 0, 0);
    const value = (bytes[6]! << 8) | bytes[7]!;
    bytes[8] = value >>> 8;
    bytes[9] = value & 0xff;
    repr.emit(UdpPacket.unchecked(bytes), 0, 0);
    assert.equal((bytes[6]! << 8) | bytes[7]!, 0xffff);
    assert.ok((UdpPacket.check(bytes) as UdpPacket).verifyChecksum(0, 0));
  });
});
