/**
 * The IPv4 layer with hand-built frames: what it accepts (our address, broadcasts, anything while
 * unconfigured), what it drops and counts (bad headers and checksums, other destinations, bad
 * sources, unknown protocols), how it routes (on-link, gateway, broadcast MAC) and fragments.
 */

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Stack } from "../../../../src/guest/lib/tcpip/index.ts";
import { BROADCAST_MAC, EthernetFrame } from "../../../../src/guest/lib/tcpip/wire/ethernet.ts";
import { Ipv4Packet } from "../../../../src/guest/lib/tcpip/wire/ipv4.ts";
import { addr, echoRequest, ipFrame, udp } from "./build.ts";
import { closingHosts, HOST, HOST_MAC, PEER, PEER_MAC } from "./host.ts";
import { arpFrame } from "./build.ts";

const host = closingHosts();

const ping = (to = HOST, options: { destinationMac?: Uint8Array; source?: string } = {}) =>
  ipFrame(options.destinationMac ?? HOST_MAC, PEER_MAC, { source: options.source ?? PEER, destination: to, protocol: 1 }, echoRequest(1, 1, new Uint8Array(8)));

function packet(frame: Uint8Array): Ipv4Packet {
  return Ipv4Packet.check((EthernetFrame.check(frame) as EthernetFrame).payload) as Ipv4Packet;
}

describe("receiving", () => {
  test("a packet to our address is delivered", () => {
    const { stack, net } = host();
    net.inject(ping());
    assert.equal(stack.stats().icmp.echoRepliesOut, 1);
    assert.equal(net.sent.length, 1);
  });

  test("a packet for another address is dropped as not for us", () => {
    const { stack, net } = host();
    net.inject(ping("10.0.0.3"));
    assert.equal(stack.stats().ip.drops["not-for-us"], 1);
    assert.equal(net.sent.length, 0);
  });

  test("a bad header checksum is dropped and counted", () => {
    const { stack, net } = host();
    const frame = ping();
    frame[14 + 8] = 1; // TTL changed, checksum not
    net.inject(frame);
    assert.equal(stack.stats().ip.drops["bad-checksum"], 1);
    assert.equal(net.sent.length, 0);
  });

  test("truncated packets, bad versions, header and total lengths are dropped and counted", () => {
    const { stack, net } = host();
    const frame = ping();
    net.inject(frame.subarray(0, 14 + 19));
    const version = frame.slice();
    version[14] = 0x65;
    net.inject(version);
    const ihl = frame.slice();
    ihl[14] = 0x43;
    net.inject(ihl);
    const total = frame.slice();
    total[16] = 0xff;
    net.inject(total);
    const short = frame.slice();
    short[17] = 8;
    short[16] = 0;
    net.inject(short);
    const drops = stack.stats().ip.drops;
    assert.equal(drops["truncated"], 2);
    assert.equal(drops["bad-version"], 1);
    assert.equal(drops["bad-header-length"], 1);
    assert.equal(drops["bad-total-length"], 1);
    assert.equal(net.sent.length, 0);
  });

  test("Ethernet padding after the packet is ignored", () => {
    const { stack, net } = host();
    const frame = ping();
    const padded = new Uint8Array(frame.length + 10);
    padded.set(frame);
    net.inject(padded);
    assert.equal(stack.stats().icmp.echoRepliesOut, 1);
    assert.equal(packet(net.sent[0]!).totalLength, frame.length - 14);
  });

  test("options in a received header are skipped", () => {
    const { stack, net } = host();
    const frame = ping();
    const withOptions = new Uint8Array(frame.length + 4);
    withOptions.set(frame.subarray(0, 34));
    withOptions.set([1, 1, 1, 0], 34); // NOP NOP NOP EOL
    withOptions.set(frame.subarray(34), 38);
    withOptions[14] = 0x46;
    const total = frame.length - 14 + 4;
    withOptions[16] = total >>> 8;
    withOptions[17] = total & 255;
    const view = Ipv4Packet.check(withOptions.subarray(14)) as Ipv4Packet;
    view.fillChecksum();
    net.inject(withOptions);
    assert.equal(stack.stats().icmp.echoRepliesOut, 1);
  });

  test("broadcast and multicast sources and our own source are dropped", () => {
    const { stack, net } = host();
    net.inject(ping(HOST, { source: "255.255.255.255" }), ping(HOST, { source: "224.0.0.1" }), ping(HOST, { source: HOST }), ping(HOST, { source: "10.0.0.255" }));
    assert.equal(stack.stats().ip.drops["bad-source"], 4);
    assert.equal(net.sent.length, 0);
  });

  test("multicast destinations are dropped (no IGMP)", () => {
    const { stack, net } = host();
    net.inject(ping("224.0.0.1", { destinationMac: new Uint8Array([1, 0, 0x5e, 0, 0, 1]) }), ping("224.0.0.1"));
    assert.equal(stack.stats().link.drops["multicast"], 1);
    assert.equal(stack.stats().ip.drops["multicast"], 1);
  });

  test("a broadcast datagram reaches a UDP socket", async () => {
    const { stack, net } = host();
    const socket = stack.udp(5000);
    net.inject(ipFrame(BROADCAST_MAC, PEER_MAC, { source: PEER, destination: "255.255.255.255", protocol: 17 }, udp(PEER, 1, "255.255.255.255", 5000, new Uint8Array([1]))));
    net.inject(ipFrame(BROADCAST_MAC, PEER_MAC, { source: PEER, destination: "10.0.0.255", protocol: 17 }, udp(PEER, 1, "10.0.0.255", 5000, new Uint8Array([2]))));
    assert.deepEqual((await socket.receive()).data, new Uint8Array([1]));
    assert.deepEqual((await socket.receive()).data, new Uint8Array([2]));
  });

  test("an unknown protocol draws protocol unreachable", () => {
    const { stack, net } = host();
    net.inject(ipFrame(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 99 }, new Uint8Array(12)));
    assert.equal(stack.stats().ip.drops["unknown-protocol"], 1);
    assert.equal(net.sent.length, 1);
    const error = packet(net.sent[0]!);
    assert.equal(error.protocol, 1);
    assert.equal(error.payload[0], 3);
    assert.equal(error.payload[1], 2);
  });
});

describe("sending", () => {
  test("off-subnet packets go to the gateway's MAC, after ARP", () => {
    const { stack, net } = host();
    stack.udp(0).send("x", { address: "192.0.2.1", port: 9 });
    assert.equal(net.sent.length, 1);
    assert.deepEqual(net.sent[0]!.subarray(0, 6), BROADCAST_MAC);
    const gatewayMac = new Uint8Array([2, 0, 0, 0, 0, 0xfe]);
    net.inject(arpFrame(2, gatewayMac, "10.0.0.254", HOST_MAC, HOST, HOST_MAC));
    assert.equal(net.sent.length, 2);
    assert.deepEqual(net.sent[1]!.subarray(0, 6), gatewayMac);
    assert.equal(packet(net.sent[1]!).destination, addr("192.0.2.1"));
  });

  test("sent headers carry TTL 64, no DF, a valid checksum and distinct identifications", () => {
    const { stack, net } = host();
    const socket = stack.udp(0);
    socket.send("a", { address: PEER, port: 9 });
    socket.send("b", { address: PEER, port: 9 });
    const [one, two] = net.sent.map(packet);
    assert.equal(one!.ttl, 64);
    assert.equal(one!.dontFragment, false);
    assert.ok(one!.verifyChecksum());
    assert.notEqual(one!.identification, two!.identification);
  });

  test("the subnet broadcast and 255.255.255.255 go to the broadcast MAC without ARP", () => {
    const { stack, net } = host();
    const socket = stack.udp(0);
    socket.send("a", { address: "10.0.0.255", port: 9 });
    socket.send("b", { address: "255.255.255.255", port: 9 });
    assert.equal(net.sent.length, 2);
    for (const frame of net.sent) {
      assert.deepEqual(frame.subarray(0, 6), BROADCAST_MAC);
      assert.equal(frame[13], 0x00);
    }
  });

  test("a datagram over the MTU leaves in 8-byte-aligned fragments no larger than the MTU", () => {
    const { stack, net } = host({ mtu: 1000 });
    stack.udp(0).send(new Uint8Array(4000), { address: PEER, port: 9 });
    const packets = net.sent.map(packet);
    assert.equal(packets.length, 5);
    for (const p of packets) {
      assert.ok(p.totalLength <= 1000);
      assert.equal(p.fragmentOffset % 8, 0);
      assert.ok(p.verifyChecksum());
    }
    assert.deepEqual(packets.map((p) => p.moreFragments), [true, true, true, true, false]);
    assert.equal(packets.reduce((n, p) => n + p.payload.length, 0), 4008);
  });

  test("sending to ourselves, to multicast, or with no address is refused and counted", () => {
    const { stack, net } = host();
    const socket = stack.udp(0);
    socket.send("a", { address: HOST, port: 9 });
    socket.send("a", { address: "224.0.0.9", port: 9 });
    stack.unconfigure();
    socket.send("a", { address: PEER, port: 9 });
    assert.equal(net.sent.length, 0);
    const drops = stack.stats().ip.drops;
    assert.equal(drops["no-loopback"], 1);
    assert.equal(drops["no-multicast"], 1);
    assert.equal(drops["no-address"], 1);
  });

  test("payloadMtu is the MTU less the header", () => {
    const { stack } = host({ mtu: 1400 });
    assert.equal(stack.layers.ip.payloadMtu(addr(PEER)), 1380);
  });
});

describe("the link", () => {
  test("frames for other MACs, short and oversized frames, VLAN and unknown types are dropped and counted", () => {
    const { stack, net } = host();
    const frame = ping();
    const other = frame.slice();
    other[5] = 9;
    net.inject(other, frame.subarray(0, 13), new Uint8Array(1515).fill(0));
    const vlan = frame.slice();
    vlan[12] = 0x81;
    vlan[13] = 0x00;
    const unknown = frame.slice();
    unknown[12] = 0x88;
    unknown[13] = 0xcc;
    const llc = frame.slice();
    llc[12] = 0x00;
    llc[13] = 0x40;
    net.inject(vlan, unknown, llc);
    const drops = stack.stats().link.drops;
    assert.deepEqual(drops, { "other-destination": 1, truncated: 1, oversized: 1, vlan: 1, "unknown-ethertype": 1, "ieee802.3": 1 });
    assert.equal(net.sent.length, 0);
  });
});
