/**
 * ARP: the cache's lifetimes, rate limit and bounded queue (arp-cache.ts, with explicit times), and
 * the interface's answers and learning (RFC 826 "Packet Reception", RFC 5227 announcements).
 */

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { ArpCache } from "../../../../src/guest/lib/tcpip/arp-cache.ts";
import { Stack } from "../../../../src/guest/lib/tcpip/index.ts";
import { ArpPacket, ArpRepr } from "../../../../src/guest/lib/tcpip/wire/arp.ts";
import { EthernetFrame } from "../../../../src/guest/lib/tcpip/wire/ethernet.ts";
import { addr, arpFrame } from "./build.ts";
import { testMac, testNet, type TestNet } from "./link.ts";

const MAC = testMac(1);
const PEER = testMac(2);
const OTHER = testMac(3);

describe("the ARP cache", () => {
  test("an entry lives 60 s", () => {
    const cache = new ArpCache();
    cache.insert(1, MAC, 0);
    assert.deepEqual(cache.lookup(1, 59_999), MAC);
    assert.equal(cache.lookup(1, 60_000), undefined);
    assert.equal(cache.size, 0);
  });

  test("confirming an entry extends its life", () => {
    const cache = new ArpCache();
    cache.insert(1, MAC, 0);
    cache.insert(1, PEER, 50_000);
    assert.deepEqual(cache.lookup(1, 100_000), PEER);
  });

  test("requests for one address go out at most once a second", () => {
    const cache = new ArpCache();
    assert.equal(cache.mayRequest(1, 0), true);
    assert.equal(cache.mayRequest(1, 999), false);
    assert.equal(cache.mayRequest(2, 999), true);
    assert.equal(cache.mayRequest(1, 1000), true);
    assert.equal(cache.stats.rateLimited, 1);
  });

  test("waiting packets are released when the address resolves", () => {
    const cache = new ArpCache();
    assert.equal(cache.enqueue(1, new Uint8Array([1]), 0), true);
    assert.equal(cache.enqueue(1, new Uint8Array([2]), 10), false);
    assert.deepEqual(cache.insert(1, MAC, 20), [new Uint8Array([1]), new Uint8Array([2])]);
    assert.equal(cache.pendingBytes, 0);
  });

  test("the queue per address keeps the latest 64 packets", () => {
    const cache = new ArpCache();
    for (let i = 0; i < 100; i++) cache.enqueue(1, new Uint8Array([i]), 0);
    const released = cache.insert(1, MAC, 0)!;
    assert.equal(released.length, 64);
    assert.equal(released[0]![0], 36);
    assert.equal(cache.stats.drops["pending-queue-full"], 36);
  });

  test("queues are bounded in addresses and bytes", () => {
    const cache = new ArpCache();
    for (let i = 0; i < 100; i++) cache.enqueue(i, new Uint8Array(100), 0);
    assert.equal(cache.stats.drops["pending-addresses-full"], 68);
    const big = new ArpCache();
    for (let i = 0; i < 400; i++) big.enqueue(i % 8, new Uint8Array(1500), 0);
    assert.ok(big.pendingBytes <= 256 * 1024);
  });

  test("an unresolved address is retried 3 times, then its packets are dropped", () => {
    const cache = new ArpCache();
    cache.enqueue(1, new Uint8Array(10), 0);
    const requested: number[] = [];
    for (let now = 0; now <= 5000; now += 250) cache.poll(now, (address) => requested.push(address));
    assert.equal(requested.length, 2, "the first request went out on enqueue; two retries");
    assert.equal(cache.stats.drops["unresolved"], 1);
    assert.equal(cache.stats.pending, 0);
    assert.equal(cache.pendingBytes, 0);
  });

  test("an entry in use in its last 5 s is marked for re-confirmation, once a second", () => {
    const cache = new ArpCache();
    cache.insert(1, MAC, 0);
    cache.lookup(1, 54_999);
    assert.equal(cache.refreshDue, -1);
    cache.lookup(1, 55_000);
    assert.equal(cache.refreshDue, 1);
    cache.lookup(1, 55_500);
    assert.equal(cache.refreshDue, -1);
    cache.lookup(1, 56_000);
    assert.equal(cache.refreshDue, 1);
  });

  test("a full cache evicts the least recently confirmed entry", () => {
    const cache = new ArpCache({ maxEntries: 4 });
    for (let i = 0; i < 6; i++) cache.insert(i, MAC, i);
    assert.equal(cache.size, 4);
    assert.equal(cache.has(0), false);
    assert.equal(cache.has(5), true);
    assert.equal(cache.stats.evictions, 2);
  });
});

const stacks: Stack[] = [];
after(() => stacks.forEach((s) => s.close()));

function host(options: { address?: string } = { address: "10.0.0.1/24" }): { stack: Stack; net: TestNet } {
  const net = testNet({ mac: MAC });
  const stack = Stack.start(net, options);
  stacks.push(stack);
  net.sent.length = 0;
  return { stack, net };
}

function arpOf(frame: Uint8Array): ArpRepr {
  const repr = ArpRepr.parse(ArpPacket.check((EthernetFrame.check(frame) as EthernetFrame).payload) as ArpPacket);
  assert.ok(repr instanceof ArpRepr, String(repr));
  return repr;
}

describe("the interface's ARP", () => {
  test("a request for our address is answered to the asker and teaches us its MAC", () => {
    const { stack, net } = host();
    net.inject(arpFrame(1, PEER, "10.0.0.2", new Uint8Array(6), "10.0.0.1"));
    assert.equal(net.sent.length, 1);
    const reply = arpOf(net.sent[0]!);
    assert.equal(reply.operation, 2);
    assert.deepEqual(reply.senderHardware, MAC);
    assert.equal(reply.senderProtocol, addr("10.0.0.1"));
    assert.deepEqual(reply.targetHardware, PEER);
    assert.deepEqual(net.sent[0]!.subarray(0, 6), PEER);
    assert.deepEqual(stack.layers.link.arp.lookup(addr("10.0.0.2"), 0), PEER);
  });

  test("a request for another address is not answered and teaches nothing new", () => {
    const { stack, net } = host();
    net.inject(arpFrame(1, PEER, "10.0.0.2", new Uint8Array(6), "10.0.0.3"));
    assert.equal(net.sent.length, 0);
    assert.equal(stack.layers.link.arp.has(addr("10.0.0.2")), false);
    assert.equal(stack.stats().arp.drops["not-for-us"], 1);
  });

  test("a gratuitous ARP updates a known entry (merge)", () => {
    const { stack, net } = host();
    net.inject(arpFrame(1, PEER, "10.0.0.2", new Uint8Array(6), "10.0.0.1"));
    net.inject(arpFrame(1, OTHER, "10.0.0.2", new Uint8Array(6), "10.0.0.2"));
    assert.deepEqual(stack.layers.link.arp.lookup(addr("10.0.0.2"), 0), OTHER);
  });

  test("senders off our subnet are not learned", () => {
    const { stack, net } = host();
    net.inject(arpFrame(1, PEER, "192.168.0.2", new Uint8Array(6), "10.0.0.1"));
    assert.equal(stack.layers.link.arp.has(addr("192.168.0.2")), false);
  });

  test("someone else claiming our address is counted as a conflict", () => {
    const { stack, net } = host();
    net.inject(arpFrame(1, PEER, "10.0.0.1", new Uint8Array(6), "10.0.0.1"));
    assert.equal(stack.stats().arp.conflicts, 1);
    assert.equal(net.sent.length, 0);
  });

  test("a multicast sender MAC is refused", () => {
    const { stack, net } = host();
    const group = new Uint8Array([1, 0, 0x5e, 0, 0, 1]);
    net.inject(arpFrame(1, group, "10.0.0.2", new Uint8Array(6), "10.0.0.1"));
    assert.equal(net.sent.length, 0);
    assert.equal(stack.stats().arp.drops["bad-sender-mac"], 1);
  });

  test("an unconfigured stack answers no ARP and announces nothing", () => {
    const net = testNet({ mac: MAC });
    const stack = Stack.start(net);
    stacks.push(stack);
    assert.equal(net.sent.length, 0);
    net.inject(arpFrame(1, PEER, "10.0.0.2", new Uint8Array(6), "10.0.0.1"));
    assert.equal(net.sent.length, 0);
  });

  test("configuring an address announces it; a new address announces again", () => {
    const { stack, net } = host({});
    stack.configure({ address: addr("10.0.0.7"), prefixLength: 24 });
    stack.configure({ address: addr("10.0.0.7"), prefixLength: 24 });
    stack.configure({ address: addr("10.0.0.8"), prefixLength: 24, gateway: addr("10.0.0.1") });
    assert.equal(net.sent.length, 2);
    const announcement = arpOf(net.sent[1]!);
    assert.equal(announcement.senderProtocol, addr("10.0.0.8"));
    assert.equal(announcement.targetProtocol, addr("10.0.0.8"));
    assert.equal(stack.address, "10.0.0.8");
    assert.equal(stack.gateway, "10.0.0.1");
    stack.unconfigure();
    assert.equal(stack.address, undefined);
  });

  test("start refuses a gateway off the subnet and an address without a prefix", () => {
    assert.throws(() => Stack.start(testNet(), { address: "10.0.0.2/24", gateway: "10.0.1.1" }), RangeError);
    assert.throws(() => Stack.start(testNet(), { address: "10.0.0.2" }), /10\.0\.0\.2\/24/);
  });

  test("a /32 lease with a gateway outside it reaches the gateway on-link (as DHCP may configure)", () => {
    const { stack, net } = host({});
    stack.configure({ address: addr("10.0.0.7"), prefixLength: 32, gateway: addr("10.0.0.1") });
    net.sent.length = 0;
    stack.udp(0).send("x", { address: "192.0.2.1", port: 9 });
    const request = arpOf(net.sent[0]!);
    assert.equal(request.targetProtocol, addr("10.0.0.1"));
    net.inject(arpFrame(2, PEER, "10.0.0.1", MAC, "10.0.0.7", MAC));
    assert.equal(net.sent.length, 2);
    assert.deepEqual(net.sent[1]!.subarray(0, 6), PEER);
  });

  test("a busy entry is re-confirmed by a unicast request before it expires, without a stall", () => {
    let now = 0;
    const net = testNet({ mac: MAC });
    const stack = Stack.start(net, { address: "10.0.0.1/24", clock: () => now });
    stacks.push(stack);
    net.inject(arpFrame(1, PEER, "10.0.0.2", new Uint8Array(6), "10.0.0.1"));
    const socket = stack.udp(0);
    net.sent.length = 0;
    now = 56_000;
    socket.send("a", { address: "10.0.0.2", port: 9 });
    assert.equal(net.sent.length, 2);
    const request = arpOf(net.sent[0]!);
    assert.equal(request.operation, 1);
    assert.deepEqual(net.sent[0]!.subarray(0, 6), PEER, "unicast to the known MAC");
    assert.deepEqual(net.sent[1]!.subarray(0, 6), PEER, "the datagram was not held back");
    net.inject(arpFrame(2, PEER, "10.0.0.2", MAC, "10.0.0.1", MAC));
    now = 100_000;
    net.sent.length = 0;
    socket.send("b", { address: "10.0.0.2", port: 9 });
    assert.equal(net.sent.length, 1, "the reply extended the entry");
  });

  test("an MTU larger than the device's is refused", () => {
    assert.throws(() => Stack.start(testNet({ mtu: 1500 }), { mtu: 9000 }), RangeError);
  });

  test("bad ARP packets are dropped and counted", () => {
    const { stack, net } = host();
    const frame = arpFrame(1, PEER, "10.0.0.2", new Uint8Array(6), "10.0.0.1");
    net.inject(frame.subarray(0, 30));
    const other = frame.slice();
    other[14 + 7] = 9;
    net.inject(other);
    const drops = stack.stats().arp.drops;
    assert.equal(drops["truncated"], 1);
    assert.equal(drops["unsupported-operation"], 1);
    assert.equal(net.sent.length, 0);
  });
});
