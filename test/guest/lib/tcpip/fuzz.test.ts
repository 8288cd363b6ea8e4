/**
 * Fuzzing tsuki/tcpip's receive side with mutated real frames (frames/, captured from Linux) and
 * mutated DHCP messages, with a seeded PRNG, so every run sees the same inputs: every wire parser
 * (Ethernet, ARP, IPv4, ICMP, UDP, TCP, DHCP), counted by how many inputs reached it, and the whole
 * receive path of a Stack (with reassembly) never throw, every frame the stack
 * sends in answer is well-formed, and what the stack holds (reassembly buffers, ARP queues, UDP
 * queues) stays within its limits. Mutations often re-seal the IPv4 header and transport
 * checksums so that they reach the deeper layers instead of stopping at a checksum.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Stack } from "../../../../src/guest/lib/tcpip/index.ts";
import { ArpPacket, ArpRepr } from "../../../../src/guest/lib/tcpip/wire/arp.ts";
import { checksum, fold, pseudoHeaderSum, sum } from "../../../../src/guest/lib/tcpip/wire/checksum.ts";
import { EthernetFrame, EthernetRepr } from "../../../../src/guest/lib/tcpip/wire/ethernet.ts";
import { IcmpPacket, IcmpRepr } from "../../../../src/guest/lib/tcpip/wire/icmp.ts";
import { Ipv4Packet, Ipv4Repr } from "../../../../src/guest/lib/tcpip/wire/ipv4.ts";
import { UdpPacket, UdpRepr } from "../../../../src/guest/lib/tcpip/wire/udp.ts";
import { TcpPacket, TcpRepr } from "../../../../src/guest/lib/tcpip/wire/tcp.ts";
import { DhcpPacket, encodeDhcp, isDhcpError, parseDhcp, readAllOptions } from "../../../../src/guest/lib/tcpip/wire/dhcp.ts";
import { prng } from "../../runtime/seeded.ts";
import { corpus, GUEST_IP, GUEST_MAC, LINUX_IP } from "./corpus.ts";
import { testNet } from "./link.ts";

const ITERATIONS = 20_000;

/** Recomputes the IPv4 header checksum and the UDP/ICMP/TCP checksum of a frame, where they fit. */
function reseal(frame: Uint8Array): void {
  if (frame.length < 34 || frame[12] !== 0x08 || frame[13] !== 0x00) return;
  const ihl = (frame[14]! & 0x0f) * 4;
  if (ihl < 20 || 14 + ihl > frame.length) return;
  frame[24] = frame[25] = 0;
  const c = checksum(frame, 14, 14 + ihl);
  frame[24] = c >>> 8;
  frame[25] = c & 255;
  const total = (frame[16]! << 8) | frame[17]!;
  const end = Math.min(frame.length, 14 + total);
  const start = 14 + ihl;
  if (end <= start || ((frame[20]! << 8) | frame[21]!) & 0x1fff) return;
  const protocol = frame[23]!;
  const at = protocol === 1 ? start + 2 : protocol === 17 ? start + 6 : protocol === 6 ? start + 16 : -1;
  if (at < 0 || at + 2 > end) return;
  frame[at] = frame[at + 1] = 0;
  const source = ((frame[26]! << 24) | (frame[27]! << 16) | (frame[28]! << 8) | frame[29]!) >>> 0;
  const destination = ((frame[30]! << 24) | (frame[31]! << 16) | (frame[32]! << 8) | frame[33]!) >>> 0;
  const value = protocol === 1 ? checksum(frame, start, end) : fold(sum(frame, start, end, pseudoHeaderSum(source, destination, protocol, end - start)));
  frame[at] = value >>> 8;
  frame[at + 1] = value & 255;
}

function mutate(seed: Uint8Array, random: () => number): Uint8Array {
  let bytes = Array.from(seed);
  const rounds = 1 + Math.floor(random() * 3);
  const pick = (n: number) => Math.floor(random() * n);
  for (let r = 0; r < rounds; r++) {
    const at = pick(bytes.length + 1);
    switch (pick(10)) {
      case 0: // flip a byte anywhere
        if (bytes.length > 0) bytes[at % bytes.length] = pick(256);
        break;
      case 1: // truncate
        bytes = bytes.slice(0, at);
        break;
      case 2: // insert garbage
        bytes.splice(at, 0, ...Array.from({ length: 1 + pick(16) }, () => pick(256)));
        break;
      case 3: // a header byte (Ethernet, IPv4, transport)
        if (bytes.length > 14) bytes[pick(Math.min(bytes.length, 62))] = pick(256);
        break;
      case 4: // IPv4 length fields
        if (bytes.length > 18) {
          bytes[14] = [0x45, 0x46, 0x4f, 0x44, 0x40, 0x55][pick(6)]!;
          const total = [0, 19, 20, 28, bytes.length - 14, bytes.length - 13, 65535, pick(65536)][pick(8)]!;
          bytes[16] = (total >>> 8) & 255;
          bytes[17] = total & 255;
        }
        break;
      case 5: // fragment fields
        if (bytes.length > 21) {
          const flags = pick(4) << 13;
          const offset = [0, 1, 185, 370, 8190, 8191, pick(8192)][pick(7)]!;
          bytes[20] = ((flags | offset) >>> 8) & 255;
          bytes[21] = offset & 255;
          if (random() < 0.5) bytes[19] = pick(4);
        }
        break;
      case 6: // transport length and ports
        if (bytes.length > 42) {
          const field = 34 + pick(8);
          bytes[field] = [0, 1, 8, 53, 67, 68, 80, 255][pick(8)]!;
        }
        break;
      case 7: // protocol
        if (bytes.length > 23) bytes[23] = [1, 6, 17, 0, 2, 41, 255][pick(7)]!;
        break;
      case 8: // ARP fields
        if (bytes.length > 21) bytes[14 + pick(8)] = [0, 1, 2, 4, 6, 8, 255][pick(7)]!;
        break;
      default: // ICMP type and code
        if (bytes.length > 35) {
          bytes[34] = [0, 3, 4, 5, 8, 11, 12, 13][pick(8)]!;
          bytes[35] = pick(16);
        }
    }
  }
  const out = Uint8Array.from(bytes);
  if (random() < 0.7) reseal(out);
  return out;
}

function seeds(): Uint8Array[] {
  return [...corpus().values()];
}

/** DHCP seeds, as the client and dnsmasq send them (DISCOVER, OFFER, ACK with the usual options). */
const DHCP_SEEDS = [
  encodeDhcp({ op: 1, messageType: 1, xid: 0x1234, chaddr: GUEST_MAC, parameterRequestList: [1, 3, 6, 15, 26, 51, 54, 58, 59], maxMessageSize: 1500, hostname: "tsuki" }),
  encodeDhcp({ op: 2, messageType: 2, xid: 0x1234, chaddr: GUEST_MAC, yiaddr: 0x0a090002, siaddr: 0x0a090001, subnetMask: 0xffffff00, routers: [0x0a090001], dnsServers: [0x0a090001, 0x08080808], leaseTime: 3600, serverId: 0x0a090001, renewalTime: 1800, rebindingTime: 3150, domainName: "example.org" }),
  encodeDhcp({ op: 2, messageType: 5, xid: 0x1234, chaddr: GUEST_MAC, yiaddr: 0x0a090002, subnetMask: 0xffffff00, leaseTime: 0xffffffff, serverId: 0x0a090001, message: "ok" }),
];

/** The DHCP parsers on some bytes: a mutated DHCP message, or a UDP payload (most are not DHCP). */
function fuzzDhcp(bytes: Uint8Array, reached: { dhcp: number; dhcpParsed: number }): void {
  const packet = DhcpPacket.check(bytes);
  if (isDhcpError(packet)) return;
  reached.dhcp++;
  readAllOptions(packet);
  if (!isDhcpError(parseDhcp(packet))) reached.dhcpParsed++;
}

/** Flips, truncates, inserts or rewrites an option length of a DHCP message. */
function mutateBytes(seed: Uint8Array, random: () => number): Uint8Array {
  const bytes = Array.from(seed);
  const pick = (n: number) => Math.floor(random() * n);
  for (let r = 1 + pick(3); r > 0; r--) {
    const at = pick(bytes.length);
    const kind = pick(4);
    if (kind === 0) bytes[at] = pick(256);
    else if (kind === 1) bytes.length = at;
    else if (kind === 2) bytes.splice(at, 0, ...Array.from({ length: 1 + pick(8) }, () => pick(256)));
    // An option's length byte, past the 240 bytes of fixed fields and cookie.
    else if (bytes.length > 242) bytes[240 + pick(bytes.length - 240)] = [0, 1, 2, 4, 255][pick(5)]!;
  }
  return Uint8Array.from(bytes);
}

/**
 * The corpus as the guest would receive it: frames the capture's guest sent (to Linux, from
 * 10.9.0.2) are turned around, MACs and IPv4 addresses swapped, so they are for us too.
 */
function inbound(): Uint8Array[] {
  return seeds().map((seed) => {
    const frame = seed.slice();
    if (frame.length < 14 || (frame[0]! & 1) === 1 || frame.subarray(0, 6).every((b, i) => b === GUEST_MAC[i])) return frame;
    const destination = frame.slice(0, 6);
    frame.copyWithin(0, 6, 12);
    frame.set(destination, 6);
    if (frame.length >= 34 && frame[12] === 0x08 && frame[13] === 0x00) {
      const source = frame.slice(26, 30);
      frame.copyWithin(26, 30, 34);
      frame.set(source, 30);
      reseal(frame);
    }
    return frame;
  });
}

describe("fuzz", () => {
  test("no wire parser throws on mutated real frames, and the mutations reach every parser", () => {
    const random = prng(0x7c9);
    const all = seeds();
    // How far each input got: a parser that is never reached is not fuzzed.
    const reached = { ethernet: 0, arp: 0, ipv4: 0, icmp: 0, udp: 0, tcp: 0, tcpParsed: 0, dhcp: 0, dhcpParsed: 0 };
    const tcp = new TcpRepr();
    for (let i = 0; i < ITERATIONS; i++) {
      fuzzDhcp(mutateBytes(DHCP_SEEDS[i % DHCP_SEEDS.length]!, random), reached);
      const bytes = mutate(all[i % all.length]!, random);
      const frame = EthernetFrame.check(bytes);
      if (typeof frame === "string") continue;
      reached.ethernet++;
      EthernetRepr.parse(frame);
      const payload = frame.payload;
      const arp = ArpPacket.check(payload);
      if (typeof arp !== "string") {
        reached.arp++;
        ArpRepr.parse(arp);
        void arp.senderHardware, arp.senderProtocol, arp.targetHardware, arp.targetProtocol;
      }
      const ip = Ipv4Packet.check(payload);
      if (typeof ip === "string") continue;
      reached.ipv4++;
      Ipv4Repr.parse(ip);
      void ip.options, ip.payload, ip.fragmentOffset;
      const inner = ip.payload;
      const icmp = IcmpPacket.check(inner);
      if (typeof icmp !== "string") {
        reached.icmp++;
        IcmpRepr.parse(icmp);
      }
      const udp = UdpPacket.check(inner);
      if (typeof udp !== "string") {
        reached.udp++;
        UdpRepr.parse(udp, ip.source, ip.destination);
        fuzzDhcp(udp.payload, reached);
      }
      const segment = TcpPacket.check(inner);
      if (typeof segment !== "string") {
        reached.tcp++;
        if (tcp.parse(segment, random() < 0.5 ? { source: ip.source, destination: ip.destination } : undefined) === undefined) reached.tcpParsed++;
      }
    }
    // Counted, so that a change that stops inputs early (a stricter check, a broken mutator) shows.
    const floor = { ethernet: ITERATIONS * 0.85, arp: ITERATIONS / 5, ipv4: ITERATIONS / 5, icmp: ITERATIONS / 5, udp: 400, tcp: ITERATIONS / 8, tcpParsed: 600, dhcp: ITERATIONS / 4, dhcpParsed: ITERATIONS / 10 };
    for (const [layer, least] of Object.entries(floor)) assert.ok(reached[layer as keyof typeof reached] >= least, `${layer}: ${JSON.stringify(reached)}`);
  });

  test("a Stack's receive path never throws, answers only well-formed frames and stays bounded", async () => {
    let now = 0;
    const sent: Uint8Array[] = [];
    const net = testNet({ mac: GUEST_MAC, onSend: (frame) => sent.push(frame) });
    const stack = Stack.start(net, { address: `${GUEST_IP}/24`, gateway: LINUX_IP, clock: () => now });
    try {
      const sockets = [stack.udp(5000), stack.udp(53), stack.udp(68)];
      stack.listen(80);
      stack.listen(8080);
      const random = prng(0x5eed);
      const all = inbound();
      const { link, ip, udp } = stack.layers;
      for (let i = 0; i < ITERATIONS; i++) {
        net.inject(mutate(all[i % all.length]!, random));
        now += random() < 0.01 ? 5_000 : 1;
        if (i % 25 === 24) await Promise.resolve();
        if (i % 500 === 0) {
          const reassembly = ip.stats.reassembly;
          assert.ok(reassembly.bytes <= 256 * 1024 && reassembly.active <= 16, JSON.stringify(reassembly));
          assert.ok(link.arp.pendingBytes <= link.arp.maxPendingBytes);
          assert.ok(link.arp.size <= link.arp.maxEntries);
          assert.ok(udp.stats.drops["queue-full"] === undefined || sockets.length === 3);
        }
      }
      await Promise.resolve();
      for (const frame of sent) {
        assert.ok(frame.length >= 14 && frame.length <= 1514, `sent a frame of ${frame.length} bytes`);
        if (frame[12] === 0x08 && frame[13] === 0x00) {
          const packet = Ipv4Packet.check(frame.subarray(14));
          assert.ok(packet instanceof Ipv4Packet, String(packet));
          assert.ok(packet.verifyChecksum());
          assert.equal(packet.ttl, 64);
        }
      }
      const stats = stack.stats();
      if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify(stats, null, 1));
      assert.equal(stats.link.framesIn, ITERATIONS);
      // The mutations reached every layer.
      assert.ok(stats.ip.packetsIn > ITERATIONS / 3, JSON.stringify(stats.ip));
      assert.ok(stats.udp.datagramsIn > 100 && stats.icmp.echoRequestsIn > 100, JSON.stringify({ udp: stats.udp, icmp: stats.icmp }));
      assert.ok(stats.ip.reassembly.fragments > 100);
    } finally {
      stack.close();
    }
  });
});
