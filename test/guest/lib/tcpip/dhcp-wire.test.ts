/**
 * The DHCP wire format (tcpip/wire/dhcp): real packets captured on a veth pair between dnsmasq 2.90
 * and busybox udhcpc 1.35 (and tsuki's own client, which dnsmasq answered), parsed field by
 * field; what we emit, byte for byte; every malformed form rejected with its reason; long and
 * overloaded options (RFC 3396, RFC 2131 §4.1); and a seeded fuzz run of 20,000 mutations of the
 * captures through the parser and through a client waiting for an answer: nothing throws.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DhcpClient } from "../../../../src/guest/lib/tcpip/dhcp/client.ts";
import { parseAddress } from "../../../../src/guest/lib/tcpip/seam/ip.ts";
import {
  DhcpPacket,
  type DhcpMessage,
  FIELD,
  MessageType,
  decodeDhcp,
  dhcpBufferLength,
  emitDhcp,
  encodeDhcp,
  isDhcpError,
} from "../../../../src/guest/lib/tcpip/wire/dhcp.ts";
import { prng } from "../../runtime/seeded.ts";

/** A captured payload: its first 44 bytes (through chaddr), sname and file all zero, then from the cookie on, zero-padded to `length`. */
function capture(length: number, head: string, tail: string): Uint8Array {
  const bytes = new Uint8Array(length);
  bytes.set(Buffer.from(head, "hex"), 0);
  bytes.set(Buffer.from(tail, "hex"), FIELD.COOKIE);
  return bytes;
}

const ip = (text: string) => parseAddress(text)!;
const MAC = Uint8Array.from(Buffer.from("525400123456", "hex"));

/** udhcpc ↔ dnsmasq (udhcpc asks for unicast replies), then tsuki's client ↔ dnsmasq (broadcast flag set). */
const CAPTURES = {
  udhcpcDiscover: capture(300, "0101060077ee0c68000000000000000000000000000000000000000052540012345600000000000000000000", "638253633501013902024037070103060c0f1c2a0c097473756b69746573743c0c756468637020312e33352e303d0701525400123456ff"),
  dnsmasqOfferUnicast: capture(308, "0201060077ee0c6800000000000000000a4d006f0a4d00010000000052540012345600000000000000000000", "6382536335010236040a4d00013304000000783a040000003c3b04000000690104ffffff001c040a4d00ff0f0a7473756b692e7465737406080a4d00010a4d000203040a4d0001ff"),
  udhcpcRequest: capture(303, "0101060077ee0c68000300000000000000000000000000000000000052540012345600000000000000000000", "6382536335010332040a4d006f36040a4d00013902024037070103060c0f1c2a0c097473756b69746573743c0c756468637020312e33352e303d0701525400123456ff"),
  dnsmasqAckUnicast: capture(319, "0201060077ee0c6800030000000000000a4d006f0a4d00010000000052540012345600000000000000000000", "6382536335010536040a4d00013304000000783a040000003c3b04000000690104ffffff001c040a4d00ff0f0a7473756b692e746573740c097473756b697465737406080a4d00010a4d000203040a4d0001ff"),
  ourDiscover: capture(300, "0101060042e1706f000080000000000000000000000000000000000052540012345600000000000000000000", "638253633501013d0701525400123456390202400c057473756b6937070103060f333a3bff"),
  dnsmasqOfferBroadcast: capture(308, "0201060042e1706f00008000000000000a4d006f0a4d00010000000052540012345600000000000000000000", "6382536335010236040a4d00013304000000783a040000003c3b04000000690104ffffff001c040a4d00ff0f0a7473756b692e7465737406080a4d00010a4d000203040a4d0001ff"),
  dnsmasqAck: capture(308, "0201060042e1706f00008000000000000a4d006f0a4d00010000000052540012345600000000000000000000", "6382536335010536040a4d00013304000000783a040000003c3b04000000690104ffffff001c040a4d00ff0f0a7473756b692e7465737406080a4d00010a4d000203040a4d0001ff"),
  dnsmasqNak: capture(300, "020106009edbcc88000080000000000000000000000000000000000052540012345600000000000000000000", "6382536335010636040a4d0001380d77726f6e67206e6574776f726bff"),
};

function parsed(bytes: Uint8Array): DhcpMessage {
  const message = decodeDhcp(bytes);
  if (isDhcpError(message)) assert.fail(`rejected: ${message.reason}: ${message.detail}`);
  return message;
}

function rejected(bytes: Uint8Array): { reason: string; detail: string } {
  const result = decodeDhcp(bytes);
  assert.ok(isDhcpError(result), "expected a rejection");
  return result;
}

/** The captured DISCOVER of our client with its options replaced by `options` (hex, End included). */
function withOptions(options: string, length = 300): Uint8Array {
  const bytes = new Uint8Array(Math.max(length, 240 + options.length / 2));
  bytes.set(CAPTURES.ourDiscover.subarray(0, 240));
  bytes.set(Buffer.from(options, "hex"), 240);
  return bytes;
}

describe("DHCP wire format: captured packets", () => {
  test("udhcpc's DHCPDISCOVER: xid, chaddr, client id, host name, requested options, max size", () => {
    const m = parsed(CAPTURES.udhcpcDiscover);
    assert.equal(m.op, 1);
    assert.equal(m.messageType, MessageType.DISCOVER);
    assert.equal(m.xid, 0x77ee0c68);
    assert.equal(m.broadcast, false);
    assert.deepEqual(m.chaddr, MAC);
    assert.equal(m.hostname, "tsukitest");
    assert.deepEqual(m.clientId, Uint8Array.of(1, ...MAC));
    assert.deepEqual(m.parameterRequestList, [1, 3, 6, 12, 15, 28, 42]);
    assert.equal(m.maxMessageSize, 576);
  });

  test("dnsmasq's DHCPOFFER: address, server, lease and timers, mask, router, DNS servers, domain", () => {
    const m = parsed(CAPTURES.dnsmasqOfferUnicast);
    assert.equal(m.op, 2);
    assert.equal(m.messageType, MessageType.OFFER);
    assert.equal(m.yiaddr, ip("10.77.0.111"));
    assert.equal(m.siaddr, ip("10.77.0.1"));
    assert.equal(m.serverId, ip("10.77.0.1"));
    assert.equal(m.leaseTime, 120);
    assert.equal(m.renewalTime, 60);
    assert.equal(m.rebindingTime, 105);
    assert.equal(m.subnetMask, ip("255.255.255.0"));
    assert.deepEqual(m.routers, [ip("10.77.0.1")]);
    assert.deepEqual(m.dnsServers, [ip("10.77.0.1"), ip("10.77.0.2")]);
    assert.equal(m.domainName, "tsuki.test");
  });

  test("udhcpc's DHCPREQUEST in SELECTING carries the requested address and the server id", () => {
    const m = parsed(CAPTURES.udhcpcRequest);
    assert.equal(m.messageType, MessageType.REQUEST);
    assert.equal(m.secs, 3);
    assert.equal(m.ciaddr, 0);
    assert.equal(m.requestedAddress, ip("10.77.0.111"));
    assert.equal(m.serverId, ip("10.77.0.1"));
  });

  test("dnsmasq's DHCPACK echoes the host name it registered", () => {
    const m = parsed(CAPTURES.dnsmasqAckUnicast);
    assert.equal(m.messageType, MessageType.ACK);
    assert.equal(m.hostname, "tsukitest");
    assert.equal(m.leaseTime, 120);
  });

  test("dnsmasq's answers to our broadcast-flagged DISCOVER keep the flag", () => {
    assert.equal(parsed(CAPTURES.dnsmasqOfferBroadcast).broadcast, true);
    assert.equal(parsed(CAPTURES.dnsmasqAck).broadcast, true);
  });

  test("dnsmasq's DHCPNAK carries its reason in option 56", () => {
    const m = parsed(CAPTURES.dnsmasqNak);
    assert.equal(m.messageType, MessageType.NAK);
    assert.equal(m.message, "wrong network");
    assert.equal(m.yiaddr, 0);
    assert.equal(m.serverId, ip("10.77.0.1"));
  });

  test("the view reads the fixed header without parsing options", () => {
    const view = DhcpPacket.check(CAPTURES.dnsmasqAck);
    assert.ok(view instanceof DhcpPacket);
    assert.equal(view.xid, 0x42e1706f);
    assert.equal(view.flags, 0x8000);
    assert.equal(view.hlen, 6);
    assert.deepEqual(view.chaddr, MAC);
    assert.equal(view.options[0], 53);
  });
});

describe("DHCP wire format: emitting", () => {
  test("our DHCPDISCOVER is byte for byte the one dnsmasq answered", () => {
    const bytes = encodeDhcp({
      op: 1,
      messageType: MessageType.DISCOVER,
      xid: 0x42e1706f,
      broadcast: true,
      chaddr: MAC,
      clientId: Uint8Array.of(1, ...MAC),
      maxMessageSize: 576,
      hostname: "tsuki",
      parameterRequestList: [1, 3, 6, 15, 51, 58, 59],
    });
    assert.equal(Buffer.from(bytes).toString("hex"), Buffer.from(CAPTURES.ourDiscover).toString("hex"));
  });

  test("a parsed message emits again to the same message (dnsmasq's ACK, in our option order)", () => {
    for (const bytes of Object.values(CAPTURES)) {
      const m = parsed(bytes);
      assert.deepEqual(parsed(encodeDhcp(m)), m);
    }
  });

  test("messages are padded to the 300-byte BOOTP minimum and end with End", () => {
    const m: DhcpMessage = { op: 1, messageType: MessageType.RELEASE, xid: 1, chaddr: MAC };
    const bytes = encodeDhcp(m);
    assert.equal(bytes.length, 300);
    assert.equal(dhcpBufferLength(m), 300);
    assert.deepEqual([...bytes.subarray(240, 244)], [53, 1, 7, 255]);
    const view = DhcpPacket.unchecked(new Uint8Array(400).fill(9));
    assert.equal(emitDhcp(m, view), 300);
    assert.deepEqual(view.bytes.subarray(0, 300), bytes);
    assert.equal(view.bytes[300], 9);
  });

  test("an option longer than 255 bytes is split and read back whole (RFC 3396)", () => {
    const dnsServers = Array.from({ length: 70 }, (_, i) => ip(`10.0.${i}.53`));
    const bytes = encodeDhcp({ op: 2, messageType: MessageType.ACK, xid: 7, chaddr: MAC, dnsServers });
    assert.equal(bytes.length, 240 + 3 + (2 + 255) + (2 + 25) + 1);
    assert.deepEqual([bytes[243], bytes[244]], [6, 255]);
    assert.deepEqual(parsed(bytes).dnsServers, dnsServers);
  });

  test("a message we could not send correctly is a RangeError at emit time", () => {
    assert.throws(() => encodeDhcp({ op: 1, messageType: 1, xid: 1, chaddr: new Uint8Array(17) }), RangeError);
    assert.throws(() => encodeDhcp({ op: 1, messageType: 1, xid: 1, chaddr: MAC, maxMessageSize: 300 }), RangeError);
    assert.throws(() => encodeDhcp({ op: 1, messageType: 1, xid: 1, chaddr: MAC, clientId: Uint8Array.of(1) }), RangeError);
  });
});

describe("DHCP wire format: what is rejected, with a reason", () => {
  test("shorter than the header and cookie", () => {
    assert.equal(rejected(CAPTURES.dnsmasqAck.subarray(0, 239)).reason, "truncated");
    assert.equal(rejected(new Uint8Array(0)).reason, "truncated");
  });

  test("no magic cookie (plain BOOTP)", () => {
    const bytes = CAPTURES.dnsmasqAck.slice();
    bytes[FIELD.COOKIE + 3] = 0x64;
    assert.equal(rejected(bytes).reason, "bad-cookie");
  });

  test("a hardware address length over 16", () => {
    const bytes = CAPTURES.dnsmasqAck.slice();
    bytes[FIELD.HLEN] = 17;
    assert.equal(rejected(bytes).reason, "bad-hardware");
  });

  test("no message type option, or an unknown one, or a BOOTP op that is neither 1 nor 2", () => {
    assert.equal(rejected(withOptions("0104ffffff00ff")).reason, "no-message-type");
    assert.equal(rejected(withOptions("350109ff")).reason, "bad-message-type");
    assert.equal(rejected(withOptions("35020101ff")).reason, "bad-option");
    const bytes = CAPTURES.dnsmasqAck.slice();
    bytes[FIELD.OP] = 3;
    assert.equal(rejected(bytes).reason, "bad-message-type");
  });

  test("an option running past the end of the packet, or without its length byte", () => {
    assert.match(rejected(withOptions("3501053304000000", 248)).detail, /option 51 .* runs 1 byte past/);
    assert.match(rejected(withOptions("35010533", 244)).detail, /no length byte/);
  });

  test("known options of the wrong length", () => {
    for (const [options, what] of [
      ["350105330300003cff", /lease time/],
      ["35010501030a0000ff", /subnet mask/],
      ["3501050306" + "0a0000010a00ff", /router/],
      ["35010506000c00ff", /domain name server/],
      ["3501053605" + "0a00000100ff", /server identifier/],
      ["350105390100ff", /maximum message size/],
      ["3501050c00ff", /host name/],
      ["3501053700ff", /parameter request list/],
      ["3501053d0101ff", /client identifier/],
    ] as const) {
      const error = rejected(withOptions(options));
      assert.equal(error.reason, "bad-option", options);
      assert.match(error.detail, what);
    }
  });

  test("a bad overload option, or an overloaded field with a broken option", () => {
    assert.match(rejected(withOptions("350105340104ff")).detail, /overload/);
    const bytes = withOptions("35010534010136040a000001ff");
    bytes[FIELD.FILE] = 3;
    bytes[FIELD.FILE + 1] = 200;
    assert.match(rejected(bytes).detail, /overloaded file field/);
  });
});

describe("DHCP wire format: what is accepted", () => {
  test("options continued in file and sname when overloaded, in that order (RFC 2131 §4.1)", () => {
    const bytes = withOptions("35010534010336040a000001ff");
    bytes.set([3, 4, 10, 0, 0, 1, 6, 4, 10, 0, 0, 53, 255], FIELD.FILE);
    bytes.set([6, 4, 10, 0, 0, 54, 255], FIELD.SNAME);
    const m = parsed(bytes);
    assert.deepEqual(m.routers, [ip("10.0.0.1")]);
    assert.deepEqual(m.dnsServers, [ip("10.0.0.53"), ip("10.0.0.54")]);
    assert.equal(m.serverId, ip("10.0.0.1"));
  });

  test("an option repeated is concatenated (RFC 3396 §4)", () => {
    assert.deepEqual(parsed(withOptions("350105060401020304060405060708ff")).dnsServers, [0x01020304, 0x05060708]);
  });

  test("a missing End option, when the options parse to the end of the packet", () => {
    assert.equal(parsed(withOptions("350105", 243)).messageType, MessageType.ACK);
    assert.equal(parsed(withOptions("3501050000", 245)).messageType, MessageType.ACK);
  });

  test("trailing NULs in text options are dropped; unknown options skipped", () => {
    const m = parsed(withOptions("350105" + "0f0474657374" + "00" + "fa03010203" + "0f0100" + "ff"));
    assert.equal(m.domainName, "test");
    const n = parsed(withOptions("350105" + "0f05746573740000ff"));
    assert.equal(n.domainName, "test");
  });

  test("bytes after End are ignored", () => {
    assert.equal(parsed(withOptions("350102ff0102030405")).messageType, MessageType.OFFER);
  });
});

describe("DHCP wire format: fuzz", () => {
  test("20,000 seeded mutations of the captures: the parser and a waiting client never throw", () => {
    const random = prng(2131);
    const seeds = Object.values(CAPTURES);
    const byte = () => Math.floor(random() * 256);
    // A client in SELECTING and one in REQUESTING, with every mutation's xid and chaddr patched to theirs, so most get past the first checks.
    const clients: { client: DhcpClient; xid: number }[] = [];
    for (const state of ["selecting", "requesting"]) {
      let xid = 0;
      let now = 0;
      const client = new DhcpClient({
        mac: MAC,
        random: (b) => b.forEach((_, i) => (b[i] = byte())),
        send: (payload) => (xid = new DataView(payload.buffer, payload.byteOffset).getUint32(4)),
      });
      client.start(now);
      if (state === "requesting") {
        const offer = CAPTURES.dnsmasqOfferBroadcast.slice();
        new DataView(offer.buffer).setUint32(4, xid);
        client.input(++now, offer, ip("10.77.0.1"));
        assert.equal(client.state, "requesting");
      }
      clients.push({ client, xid });
    }
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const seed = seeds[i % seeds.length]!;
      let bytes: Uint8Array = seed.slice();
      const kind = random();
      if (kind < 0.1) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
      else if (kind < 0.15) bytes = Uint8Array.from({ length: Math.floor(random() * 600) }, byte);
      const flips = 1 + Math.floor(random() * 8);
      for (let f = 0; f < flips && bytes.length > 0; f++) {
        // Most mutations land in the options, where the parsing is.
        const at = random() < 0.8 && bytes.length > 240 ? 240 + Math.floor(random() * (bytes.length - 240)) : Math.floor(random() * bytes.length);
        bytes[at] = random() < 0.3 ? [0, 255, 1, 4, 53][Math.floor(random() * 5)]! : byte();
      }
      const result = decodeDhcp(bytes);
      if (!isDhcpError(result)) accepted++;
      const target = clients[i % 2]!;
      if (bytes.length >= 240) {
        new DataView(bytes.buffer, bytes.byteOffset).setUint32(4, target.xid);
        bytes[0] = 2;
        bytes.set(MAC, FIELD.CHADDR);
      }
      target.client.input(i, bytes, ip("10.77.0.1"));
      target.client.poll(i);
    }
    assert.ok(accepted > 1000, `only ${accepted} mutations parsed: the fuzz barely reaches the options`);
  });
});
