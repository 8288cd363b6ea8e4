/**
 * ICMP: echo replies, the errors a host sends and the ones it must not (RFC 1122 §3.2.2), the rate
 * limit, and received errors handed to the transport of the quoted protocol.
 */

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Stack } from "../../../../src/guest/lib/tcpip/index.ts";
import type { Transport } from "../../../../src/guest/lib/tcpip/seam/ip.ts";
import { BROADCAST_MAC, EthernetFrame } from "../../../../src/guest/lib/tcpip/wire/ethernet.ts";
import { IcmpPacket, IcmpRepr } from "../../../../src/guest/lib/tcpip/wire/icmp.ts";
import { Ipv4Packet } from "../../../../src/guest/lib/tcpip/wire/ipv4.ts";
import { addr, echoRequest, fragments, icmpMessage, ipFrame, ipv4, udp } from "./build.ts";
import { closingHosts, HOST, HOST_MAC, PEER, PEER_MAC } from "./host.ts";

const host = closingHosts();

function icmpOf(frame: Uint8Array): { ip: Ipv4Packet; icmp: IcmpRepr } {
  const ip = Ipv4Packet.check((EthernetFrame.check(frame) as EthernetFrame).payload) as Ipv4Packet;
  const icmp = IcmpRepr.parse(IcmpPacket.check(ip.payload) as IcmpPacket);
  assert.ok(typeof icmp === "object", String(icmp));
  return { ip, icmp };
}

const toClosedPort = (options: { mac?: Uint8Array; destination?: string; source?: string; port?: number } = {}) => {
  const destination = options.destination ?? HOST;
  const source = options.source ?? PEER;
  return ipFrame(options.mac ?? HOST_MAC, PEER_MAC, { source, destination, protocol: 17 }, udp(source, 1234, destination, options.port ?? 9, new TextEncoder().encode("hello?")));
};

describe("echo", () => {
  test("a request with no data is answered", () => {
    const { net } = host();
    net.inject(ipFrame(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 1 }, echoRequest(9, 10, new Uint8Array(0))));
    const { icmp } = icmpOf(net.sent[0]!);
    assert.ok(icmp.kind === "echo-reply" && icmp.identifier === 9 && icmp.sequence === 10 && icmp.data.length === 0);
  });

  test("a request to a broadcast address is ignored", () => {
    const { stack, net } = host();
    net.inject(ipFrame(BROADCAST_MAC, PEER_MAC, { source: PEER, destination: "10.0.0.255", protocol: 1 }, echoRequest(1, 1, new Uint8Array(8))));
    assert.equal(net.sent.length, 0);
    assert.equal(stack.stats().icmp.drops["broadcast-echo"], 1);
  });

  test("a request with a bad checksum is dropped", () => {
    const { stack, net } = host();
    const message = echoRequest(1, 1, new Uint8Array(8));
    message[9] = 1;
    net.inject(ipFrame(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 1 }, message));
    assert.equal(net.sent.length, 0);
    assert.equal(stack.stats().icmp.drops["bad-checksum"], 1);
  });

  test("a 65,507-byte request in 45 fragments is answered in full", () => {
    const { net } = host();
    const data = Uint8Array.from({ length: 65_499 }, (_, i) => i & 255);
    net.inject(...fragments(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 1, identification: 77 }, echoRequest(3, 4, data), 1480));
    assert.equal(net.sent.length, 45);
    const whole = new Uint8Array(65_507);
    for (const frame of net.sent) {
      const ip = Ipv4Packet.check(frame.subarray(14)) as Ipv4Packet;
      whole.set(ip.payload, ip.fragmentOffset);
    }
    const reply = IcmpRepr.parse(IcmpPacket.check(whole) as IcmpPacket);
    assert.ok(typeof reply === "object" && reply.kind === "echo-reply");
    assert.deepEqual(reply.data, data);
  });
});

describe("errors we send", () => {
  test("port unreachable quotes the header and the datagram", () => {
    const { net } = host();
    const frame = toClosedPort();
    net.inject(frame);
    const { ip, icmp } = icmpOf(net.sent[0]!);
    assert.equal(ip.destination, addr(PEER));
    assert.equal(ip.source, addr(HOST));
    assert.ok(icmp.kind === "destination-unreachable" && icmp.code === 3);
    assert.deepEqual(icmp.quoted, frame.subarray(14));
  });

  test("an error quotes at most what fits in 576 bytes", () => {
    const { net } = host();
    const frame = ipFrame(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 17 }, udp(PEER, 1, HOST, 9, new Uint8Array(1000)));
    net.inject(frame);
    const { ip } = icmpOf(net.sent[0]!);
    assert.equal(ip.totalLength, 576);
  });

  test("no error about a datagram sent to a broadcast address or as a link broadcast", () => {
    const { net } = host();
    net.inject(toClosedPort({ mac: BROADCAST_MAC }), toClosedPort({ destination: "255.255.255.255" }), toClosedPort({ destination: "10.0.0.255" }));
    assert.equal(net.sent.length, 0);
  });

  test("no error to a source that is not one host", () => {
    const { net } = host();
    net.inject(toClosedPort({ source: "0.0.0.0" }), toClosedPort({ source: "127.0.0.1" }), toClosedPort({ source: "240.0.0.1" }));
    assert.equal(net.sent.length, 0);
  });

  test("a fragmented datagram to a closed port draws one error, quoting its first fragment", () => {
    const { net } = host();
    const pieces = fragments(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 17, identification: 5 }, udp(PEER, 1, HOST, 9, new Uint8Array(3000)), 1480);
    net.inject(pieces[2]!, pieces[1]!, pieces[0]!);
    assert.equal(net.sent.length, 1);
    const { icmp } = icmpOf(net.sent[0]!);
    assert.ok(icmp.kind === "destination-unreachable");
    assert.deepEqual(icmp.quoted.subarray(0, 20), pieces[0]!.subarray(14, 34));
  });

  test("errors are limited to a burst of 10, then 10 a second", () => {
    let now = 0;
    const { stack, net } = host({ clock: () => now });
    for (let i = 0; i < 50; i++) net.inject(toClosedPort());
    assert.equal(net.sent.length, 10);
    assert.equal(stack.stats().icmp.rateLimited, 40);
    now = 500;
    for (let i = 0; i < 50; i++) net.inject(toClosedPort());
    assert.equal(net.sent.length, 15);
  });

  test("an incomplete datagram draws time exceeded (reassembly) after 30 s", () => {
    let now = 0;
    const { stack, net } = host({ clock: () => now });
    const pieces = fragments(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 17, identification: 6 }, udp(PEER, 1, HOST, 9, new Uint8Array(3000)), 1480);
    net.inject(pieces[0]!);
    now = 30_000;
    stack.layers.ip.poll(now);
    assert.equal(net.sent.length, 1);
    const { icmp } = icmpOf(net.sent[0]!);
    assert.ok(icmp.kind === "time-exceeded" && icmp.code === 1);
  });

  test("no error about an ICMP error", () => {
    let now = 0;
    const { stack, net } = host({ clock: () => now });
    // The first fragment of an ICMP error whose reassembly times out.
    const quoted = ipv4({ source: HOST, destination: PEER, protocol: 17 }, udp(HOST, 9, PEER, 1, new Uint8Array(8)));
    const error = icmpMessage(3, 3, 0, new Uint8Array([...quoted, ...new Uint8Array(2000)]));
    const pieces = fragments(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 1, identification: 8 }, error, 1480);
    net.inject(pieces[0]!);
    now = 30_000;
    stack.layers.ip.poll(now);
    assert.equal(net.sent.length, 0);
  });
});

describe("errors we receive", () => {
  function quoting(protocol: number, source = HOST) {
    const original = ipv4({ source, destination: PEER, protocol }, new Uint8Array([0, 80, 0x30, 0x39, 1, 2, 3, 4]));
    return ipFrame(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 1 }, icmpMessage(3, 1, 0, original));
  }

  test("destination unreachable reaches the transport of the quoted protocol", () => {
    const { stack, net } = host();
    const seen: unknown[] = [];
    const fake: Transport = { input() {}, poll: () => Infinity, icmpError: (_now, type, code, source, destination, q) => void seen.push({ type, code, source, destination, q: [...q] }) };
    stack.layers.ip.register(99, fake);
    net.inject(quoting(99));
    assert.deepEqual(seen, [{ type: 3, code: 1, source: addr(HOST), destination: addr(PEER), q: [0, 80, 0x30, 0x39, 1, 2, 3, 4] }]);
    assert.equal(net.sent.length, 0);
  });

  test("an error about a packet we did not send is dropped", () => {
    const { stack, net } = host();
    const seen: unknown[] = [];
    stack.layers.ip.register(99, { input() {}, poll: () => Infinity, icmpError: () => void seen.push(1) });
    net.inject(quoting(99, "10.0.0.3"));
    assert.equal(seen.length, 0);
    assert.equal(stack.stats().icmp.drops["error-not-ours"], 1);
  });

  test("an error quoting less than a header and 8 bytes is dropped", () => {
    const { stack, net } = host();
    const original = ipv4({ source: HOST, destination: PEER, protocol: 6 }, new Uint8Array(8)).subarray(0, 24);
    net.inject(ipFrame(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 1 }, icmpMessage(3, 1, 0, original)));
    assert.equal(stack.stats().icmp.drops["bad-quoted-header"], 1);
  });
});
