/**
 * The Stack end to end: two stacks on an in-memory cable (UDP echo, ping, ARP, fragmentation),
 * and one stack fed real frames captured from Linux (frames/), checking what it answers.
 */

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Authority, decodeMessage, parseZone, serveUdp } from "../../../../src/guest/lib/dns/index.ts";
import { query } from "../dns/fixtures.ts";
import { Stack } from "../../../../src/guest/lib/tcpip/index.ts";
import { parseAddress } from "../../../../src/guest/lib/tcpip/seam/ip.ts";
import { ArpPacket, ArpRepr } from "../../../../src/guest/lib/tcpip/wire/arp.ts";
import { EthernetFrame } from "../../../../src/guest/lib/tcpip/wire/ethernet.ts";
import { IcmpPacket, IcmpRepr } from "../../../../src/guest/lib/tcpip/wire/icmp.ts";
import { Ipv4Packet } from "../../../../src/guest/lib/tcpip/wire/ipv4.ts";
import { frame, GUEST_IP, GUEST_MAC, LINUX_IP, linuxMac } from "./corpus.ts";
import { linkPair, settle, testNet, type TestNet } from "./link.ts";

const stacks: Stack[] = [];
after(() => {
  for (const stack of stacks) stack.close();
});

function pair(options: Parameters<typeof linkPair>[0] = {}) {
  const { a, b } = linkPair(options);
  const left = Stack.start(a, { address: "10.0.0.1/24" });
  const right = Stack.start(b, { address: "10.0.0.2/24", gateway: "10.0.0.1" });
  stacks.push(left, right);
  return { left, right, a, b };
}

/** A stack at 10.9.0.2 with the capture's guest MAC, on a device the test drives. */
function guest(): { stack: Stack; net: TestNet } {
  const net = testNet({ mac: GUEST_MAC });
  const stack = Stack.start(net, { address: `${GUEST_IP}/24`, gateway: LINUX_IP });
  stacks.push(stack);
  return { stack, net };
}

function ip(bytes: Uint8Array): Ipv4Packet {
  const packet = Ipv4Packet.check((EthernetFrame.check(bytes) as EthernetFrame).payload);
  assert.ok(packet instanceof Ipv4Packet, String(packet));
  assert.ok(packet.verifyChecksum());
  return packet;
}

function icmp(bytes: Uint8Array): IcmpRepr {
  const repr = IcmpRepr.parse(IcmpPacket.check(ip(bytes).payload) as IcmpPacket);
  assert.ok(typeof repr === "object", String(repr));
  return repr;
}

/** Teaches the guest stack Linux's MAC (Linux's ARP request does). */
function learnLinux(net: TestNet): void {
  net.inject(frame("linux-arp-request"));
  net.sent.length = 0;
}

describe("two stacks on a cable", () => {
  test("a UDP datagram goes out after ARP resolves and the echo comes back", async () => {
    const { left, right } = pair();
    const server = left.udp(7);
    const client = right.udp(0);
    assert.ok(client.address.port >= 49152);
    void (async () => {
      for await (const datagram of server) server.send(datagram.data, datagram.from);
    })();
    client.send("hello", { address: "10.0.0.1", port: 7 });
    const reply = await client.receive();
    assert.equal(new TextDecoder().decode(reply.data), "hello");
    assert.deepEqual(reply.from, { address: "10.0.0.1", port: 7, family: "IPv4" });
    assert.equal(server.address.address, "10.0.0.1");
    const stats = right.stats();
    assert.equal(stats.udp.datagramsOut, 1);
    assert.equal(stats.udp.datagramsIn, 1);
    assert.ok(stats.arp.requestsOut >= 1);
    assert.ok(stats.arp.repliesIn >= 1);
  });

  test("ping resolves with the round-trip time", async () => {
    const { right } = pair();
    const rtt = await right.ping("10.0.0.1");
    assert.ok(rtt >= 0 && rtt < 1000);
    assert.equal(right.stats().icmp.echoRepliesIn, 1);
  });

  test("a 20,000-byte ping is fragmented, reassembled and answered in fragments", async () => {
    const capture: { from: "a" | "b"; frame: Uint8Array }[] = [];
    const { left, right } = pair({ capture });
    await right.ping("10.0.0.1", { size: 20_000 });
    assert.ok(capture.every((c) => c.frame.length <= 1514));
    assert.ok(right.stats().ip.fragmentsOut >= 14);
    assert.ok(left.stats().ip.fragmentsOut >= 14);
    assert.equal(left.stats().ip.reassembly.reassembled, 1);
    assert.equal(right.stats().ip.reassembly.reassembled, 1);
  });

  test("a UDP datagram larger than the MTU arrives whole", async () => {
    const { left, right } = pair({ mtu: 576 });
    const server = left.udp(9000);
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 255);
    right.udp(0).send(data, { address: "10.0.0.1", port: 9000 });
    const got = await server.receive();
    assert.deepEqual(got.data, data);
  });

  test("a ping to an address nobody has times out", async () => {
    const { right } = pair();
    await assert.rejects(right.ping("10.0.0.99", { timeout: 50 }), { code: "ETIMEDOUT" });
  });

  test("a ping off the subnet without a gateway has no route", async () => {
    const { left } = pair();
    await assert.rejects(left.ping("192.168.1.1"), { code: "EHOSTUNREACH" });
  });

  test("a datagram to a closed port draws ICMP port unreachable", async () => {
    const { left, right } = pair();
    right.udp(0).send("anyone?", { address: "10.0.0.1", port: 9 });
    await settle(20);
    assert.equal(left.stats().icmp.errorsOut, 1);
    assert.equal(right.stats().icmp.errorsIn, 1);
  });

  test("TCP connects, echoes and closes through the façade", async () => {
    const { left, right } = pair();
    const listener = left.listen(8080);
    void (async () => {
      for await (const connection of listener) {
        for await (const chunk of connection) await connection.write(chunk);
        await connection.end();
      }
    })();
    const connection = await right.connect("10.0.0.1", 8080);
    await connection.write("hello tcp");
    assert.equal(new TextDecoder().decode((await connection.read())!), "hello tcp");
    connection.close();
    assert.equal(right.stats().tcp.activeOpens, 1);
  });

  test("tsuki/dns's serveUdp answers on a stack socket unchanged", async () => {
    const { left, right } = pair();
    const zone = parseZone("$ORIGIN example.com.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 10.0.0.1\nwww A 10.0.0.80\n", { file: "example.com.zone" });
    // It runs until the socket closes (EBADF when the stack closes after the tests).
    serveUdp(left.udp(53), new Authority([zone])).catch(() => {});
    const client = right.udp(0);
    client.send(query("www.example.com.", 1, { id: 7 }), { address: "10.0.0.1", port: 53 });
    const answer = decodeMessage((await client.receive()).data);
    assert.equal(answer.id, 7);
    assert.equal(answer.answer.length, 1);
  });

  test("address, gateway and close", () => {
    const { left, right, b } = pair();
    assert.equal(left.address, "10.0.0.1");
    assert.equal(right.gateway, "10.0.0.1");
    assert.equal(right.prefixLength, 24);
    right.close();
    assert.equal(right.closed, true);
    b.inject(new Uint8Array(60));
    assert.equal(right.stats().link.framesIn, 0);
  });
});

describe("one stack and Linux's frames", () => {
  test("starting announces the address with a gratuitous ARP", () => {
    const { net } = guest();
    assert.deepEqual(net.sent[0], frame("guest-arp-announcement"));
  });

  test("Linux's ARP request is answered with the reply Linux accepted", () => {
    const { net } = guest();
    net.sent.length = 0;
    net.inject(frame("linux-arp-request"));
    assert.equal(net.sent.length, 1);
    assert.deepEqual(net.sent[0], frame("guest-arp-reply"));
  });

  test("Linux's UDP datagram reaches a socket", async () => {
    const { stack, net } = guest();
    const socket = stack.udp(5000);
    net.inject(frame("linux-udp"));
    const datagram = await socket.receive();
    assert.equal(new TextDecoder().decode(datagram.data), "hello from linux");
    assert.deepEqual(datagram.from, { address: LINUX_IP, port: 40000, family: "IPv4" });
  });

  test("Linux's echo request is answered from our address with its data", () => {
    const { net } = guest();
    learnLinux(net);
    net.inject(frame("linux-icmp-echo-request"));
    assert.equal(net.sent.length, 1);
    const reply = icmp(net.sent[0]!);
    assert.ok(reply.kind === "echo-reply");
    assert.equal(reply.identifier, 0x4242);
    assert.equal(reply.sequence, 1);
    assert.deepEqual(reply.data, Uint8Array.from({ length: 56 }, (_, i) => i));
    const packet = ip(net.sent[0]!);
    assert.equal(packet.source, parseAddress(GUEST_IP));
    assert.equal(packet.destination, parseAddress(LINUX_IP));
    assert.equal(packet.ttl, 64);
    assert.deepEqual((EthernetFrame.check(net.sent[0]!) as EthernetFrame).destination, linuxMac());
  });

  test("Linux's fragmented echo request is reassembled and answered in fragments", () => {
    const { stack, net } = guest();
    learnLinux(net);
    net.inject(frame("linux-icmp-echo-request-fragment1"), frame("linux-icmp-echo-request-fragment2"), frame("linux-icmp-echo-request-fragment0"));
    assert.equal(net.sent.length, 3);
    const packets = net.sent.map(ip);
    assert.deepEqual(packets.map((p) => p.fragmentOffset), [0, 1480, 2960]);
    assert.deepEqual(packets.map((p) => p.moreFragments), [true, true, false]);
    const whole = new Uint8Array(3008);
    for (const p of packets) whole.set(p.payload, p.fragmentOffset);
    const reply = IcmpRepr.parse(IcmpPacket.check(whole) as IcmpPacket);
    assert.ok(typeof reply === "object" && reply.kind === "echo-reply");
    assert.equal(reply.sequence, 2);
    assert.deepEqual(reply.data, Uint8Array.from({ length: 3000 }, (_, i) => i & 255));
    assert.equal(stack.stats().ip.reassembly.reassembled, 1);
  });

  test("Linux's datagram to a closed port draws port unreachable quoting it", () => {
    const { stack, net } = guest();
    learnLinux(net);
    const datagram = frame("linux-udp");
    net.inject(datagram);
    assert.equal(net.sent.length, 1);
    const error = icmp(net.sent[0]!);
    assert.ok(error.kind === "destination-unreachable");
    assert.equal(error.code, 3);
    assert.deepEqual(error.quoted, datagram.subarray(14));
    assert.equal(stack.stats().udp.drops["no-socket"], 1);
  });

  test("Linux's port unreachable reaches nobody's transport harmlessly", () => {
    const { stack, net } = guest();
    net.inject(frame("linux-icmp-port-unreachable"));
    assert.equal(stack.stats().icmp.errorsIn, 1);
  });

  test("Linux's IPv6 frame is dropped and counted", () => {
    const { stack, net } = guest();
    net.inject(frame("linux-ipv6"));
    assert.equal(stack.stats().link.drops["multicast"], 1);
    const unicast = frame("linux-ipv6");
    unicast.set(GUEST_MAC, 0);
    net.inject(unicast);
    assert.equal(stack.stats().link.drops["ipv6"], 1);
  });

  test("Linux's ARP reply fills the cache and releases the waiting packet", async () => {
    const { stack, net } = guest();
    net.sent.length = 0;
    stack.udp(5555).send("anyone there?", { address: LINUX_IP, port: 9 });
    assert.equal(net.sent.length, 1);
    const request = ArpRepr.parse(ArpPacket.check((EthernetFrame.check(net.sent[0]!) as EthernetFrame).payload) as ArpPacket);
    assert.ok(request instanceof ArpRepr);
    assert.deepEqual(net.sent[0], frame("guest-arp-request"));
    net.inject(frame("linux-arp-reply"));
    assert.equal(net.sent.length, 2);
    // The datagram Linux answered in the capture, identification aside.
    const sent = net.sent[1]!.slice();
    const captured = frame("guest-udp");
    for (const at of [18, 19, 24, 25]) sent[at] = captured[at] = 0;
    assert.deepEqual(sent, captured);
  });

  test("stats are a plain copy", () => {
    const { stack, net } = guest();
    net.inject(frame("linux-arp-request"));
    const stats = stack.stats();
    assert.equal(stats.link.framesIn, 1);
    stats.link.framesIn = 99;
    assert.equal(stack.stats().link.framesIn, 1);
    assert.doesNotThrow(() => JSON.stringify(stats));
  });
});
