/**
 * UDP: checksums, bad datagrams, sockets with the SDK's Udp shape (ports, queue bound, errors,
 * close) and the raw binding DHCP uses before an address exists.
 */

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Stack } from "../../../../src/guest/lib/tcpip/index.ts";
import { BROADCAST_MAC, EthernetFrame } from "../../../../src/guest/lib/tcpip/wire/ethernet.ts";
import { Ipv4Packet } from "../../../../src/guest/lib/tcpip/wire/ipv4.ts";
import { UdpPacket, UdpRepr } from "../../../../src/guest/lib/tcpip/wire/udp.ts";
import { addr, ipFrame, udp } from "./build.ts";
import { closingHosts, HOST, HOST_MAC, PEER, PEER_MAC } from "./host.ts";
import { testNet } from "./link.ts";

const host = closingHosts();

const datagram = (port: number, data: Uint8Array, options: { to?: string; mac?: Uint8Array } = {}) =>
  ipFrame(options.mac ?? HOST_MAC, PEER_MAC, { source: PEER, destination: options.to ?? HOST, protocol: 17 }, udp(PEER, 4000, options.to ?? HOST, port, data));

describe("receiving", () => {
  test("a datagram without a checksum (0) is accepted", async () => {
    const { stack, net } = host();
    const socket = stack.udp(5000);
    const frame = datagram(5000, new Uint8Array([1, 2, 3]));
    frame[14 + 20 + 6] = frame[14 + 20 + 7] = 0;
    net.inject(frame);
    assert.deepEqual((await socket.receive()).data, new Uint8Array([1, 2, 3]));
  });

  test("a bad checksum, a short datagram and a bad length are dropped and counted", () => {
    const { stack, net } = host();
    stack.udp(5000);
    const frame = datagram(5000, new Uint8Array([1, 2, 3]));
    const corrupt = frame.slice();
    corrupt[frame.length - 1] = corrupt[frame.length - 1]! ^ 0xff;
    const short = ipFrame(HOST_MAC, PEER_MAC, { source: PEER, destination: HOST, protocol: 17 }, new Uint8Array(7));
    const badLength = frame.slice();
    badLength[14 + 20 + 5] = 4;
    const longLength = frame.slice();
    longLength[14 + 20 + 5] = 200;
    net.inject(corrupt, short, badLength, longLength);
    const drops = stack.stats().udp.drops;
    assert.equal(drops["bad-checksum"], 1);
    assert.equal(drops["truncated"], 2);
    assert.equal(drops["bad-length"], 1);
    assert.equal(net.sent.length, 0);
  });

  test("the data is a copy that outlives the frame", async () => {
    const { stack, net } = host();
    const socket = stack.udp(5000);
    const frame = datagram(5000, new Uint8Array([7, 7]));
    net.inject(frame);
    frame.fill(0);
    assert.deepEqual((await socket.receive()).data, new Uint8Array([7, 7]));
  });

  test("unread datagrams are bounded: past 128 the new ones are dropped", async () => {
    const { stack, net } = host();
    const socket = stack.udp(5000);
    for (let i = 0; i < 200; i++) net.inject(datagram(5000, new Uint8Array([i])));
    assert.equal(stack.stats().udp.drops["queue-full"], 72);
    assert.deepEqual((await socket.receive()).data, new Uint8Array([0]));
  });

  test("async iteration yields datagrams and ends at close", async () => {
    const { stack, net } = host();
    const socket = stack.udp(5000);
    net.inject(datagram(5000, new Uint8Array([1])), datagram(5000, new Uint8Array([2])));
    const seen: number[] = [];
    for await (const d of socket) {
      seen.push(d.data[0]!);
      if (seen.length === 2) setImmediate(() => socket.close());
    }
    assert.deepEqual(seen, [1, 2]);
  });
});

describe("sockets", () => {
  test("a port in use is refused with EADDRINUSE; closing frees it", () => {
    const { stack } = host();
    const socket = stack.udp(5000);
    assert.throws(() => stack.udp(5000), { code: "EADDRINUSE" });
    socket.close();
    assert.doesNotThrow(() => stack.udp(5000));
  });

  test("port 0 picks distinct ephemeral ports in 49152…65535", () => {
    const { stack } = host();
    const ports = new Set<number>();
    for (let i = 0; i < 100; i++) ports.add(stack.udp(0).address.port);
    assert.equal(ports.size, 100);
    for (const port of ports) assert.ok(port >= 49152 && port <= 65535);
  });

  test("send checks its destination and size", () => {
    const { stack } = host();
    const socket = stack.udp(0);
    assert.throws(() => socket.send("x"), { code: "EDESTADDRREQ" });
    assert.throws(() => socket.send("x", { address: "10.0.0", port: 1 }), TypeError);
    assert.throws(() => socket.send("x", { address: PEER, port: 0 }), TypeError);
    assert.throws(() => socket.send(new Uint8Array(65508), { address: PEER, port: 1 }), RangeError);
  });

  test("a socket with a peer sends to it by default", () => {
    const { stack, net } = host();
    const socket = stack.udp(0, { peer: { address: PEER, port: 53 } });
    assert.deepEqual(socket.peer, { address: PEER, port: 53, family: "IPv4" });
    socket.send("q");
    const packet = UdpPacket.check((Ipv4Packet.check(net.sent[0]!.subarray(14)) as Ipv4Packet).payload) as UdpPacket;
    assert.equal(packet.destinationPort, 53);
    assert.ok(UdpRepr.parse(packet, addr(HOST), addr(PEER)) instanceof UdpRepr);
  });

  test("after close, receive rejects with EBADF and send throws", async () => {
    const { stack } = host();
    const socket = stack.udp(5000);
    const pending = socket.receive();
    socket.close();
    await assert.rejects(pending, { code: "EBADF" });
    await assert.rejects(socket.receive(), { code: "EBADF" });
    assert.throws(() => socket.send("x", { address: PEER, port: 1 }), { code: "EBADF" });
  });

  test("closing the stack closes its sockets", async () => {
    const { stack } = host();
    const socket = stack.udp(5000);
    const pending = socket.receive();
    stack.close();
    await assert.rejects(pending, { code: "EBADF" });
  });
});

describe("raw binding (DHCP)", () => {
  const stacks: Stack[] = [];
  after(() => stacks.forEach((s) => s.close()));
  function unconfigured() {
    const net = testNet({ mac: HOST_MAC });
    const stack = Stack.start(net);
    stacks.push(stack);
    return { stack, net };
  }

  test("unconfigured, it receives a datagram to any address, and sends from 0.0.0.0 to broadcast", () => {
    const { stack, net } = unconfigured();
    const seen: unknown[] = [];
    const raw = stack.layers.udp.bindRaw(68, (_now, source, sourcePort, destination, payload) => seen.push([source, sourcePort, destination, [...payload]]));
    assert.equal(raw.send(new Uint8Array([1, 2]), 0xffffffff, 67, 0), true);
    const sent = EthernetFrame.check(net.sent[0]!) as EthernetFrame;
    assert.deepEqual(sent.destination, BROADCAST_MAC);
    const ip = Ipv4Packet.check(sent.payload) as Ipv4Packet;
    assert.equal(ip.source, 0);
    assert.equal(ip.destination, 0xffffffff);
    const packet = UdpPacket.check(ip.payload) as UdpPacket;
    assert.ok(UdpRepr.parse(packet, 0, 0xffffffff) instanceof UdpRepr);
    assert.equal(packet.sourcePort, 68);
    // An offer unicast to the address being offered, and one broadcast.
    net.inject(ipFrame(HOST_MAC, PEER_MAC, { source: "10.0.0.254", destination: "10.0.0.50", protocol: 17 }, udp("10.0.0.254", 67, "10.0.0.50", 68, new Uint8Array([9]))));
    net.inject(ipFrame(BROADCAST_MAC, PEER_MAC, { source: "10.0.0.254", destination: "255.255.255.255", protocol: 17 }, udp("10.0.0.254", 67, "255.255.255.255", 68, new Uint8Array([8]))));
    assert.deepEqual(seen, [
      [addr("10.0.0.254"), 67, addr("10.0.0.50"), [9]],
      [addr("10.0.0.254"), 67, 0xffffffff, [8]],
    ]);
  });

  test("configured, it sees datagrams to our address and broadcasts, and unicasts from our address", () => {
    const { stack, net } = host();
    const seen: number[] = [];
    const raw = stack.layers.udp.bindRaw(68, (_now, _s, _sp, destination) => seen.push(destination));
    net.inject(datagram(68, new Uint8Array([1])), datagram(68, new Uint8Array([1]), { to: "255.255.255.255", mac: BROADCAST_MAC }));
    assert.deepEqual(seen, [addr(HOST), 0xffffffff]);
    assert.equal(raw.send(new Uint8Array([1]), addr(PEER), 67), true);
    assert.equal((Ipv4Packet.check(net.sent[0]!.subarray(14)) as Ipv4Packet).source, addr(HOST));
  });

  test("a raw port is exclusive with sockets, and close releases it", () => {
    const { stack } = host();
    const raw = stack.layers.udp.bindRaw(68, () => {});
    assert.throws(() => stack.udp(68), { code: "EADDRINUSE" });
    assert.throws(() => stack.layers.udp.bindRaw(68, () => {}), { code: "EADDRINUSE" });
    raw.close();
    assert.equal(raw.send(new Uint8Array(1), addr(PEER), 67), false);
    assert.doesNotThrow(() => stack.udp(68));
  });

  test("an unconfigured stack sends no unicast and no port unreachable", () => {
    const { stack, net } = unconfigured();
    const raw = stack.layers.udp.bindRaw(68, () => {});
    assert.equal(raw.send(new Uint8Array(1), addr(PEER), 67), false);
    net.inject(datagram(5000, new Uint8Array([1])));
    assert.equal(net.sent.length, 0);
  });
});
