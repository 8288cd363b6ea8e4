/**
 * tsuki/dns wire format: messages round-trip; encodings match what dig sends and NSD answers
 * (vectors recorded from dig 9.18 and NSD 4.6.1); hostile names are rejected with a WireError,
 * never anything else.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeMessage, encodeMessage, formatRecord, RRType, WireError, type Message } from "../../../../src/guest/lib/dns/index.ts";
import { fromHex, hex } from "./fixtures.ts";

// `dig @… -p 5353 www.Example.COM A +norec` as sent by dig 9.18 (its cookie option removed),
// and NSD 4.6.1's answer: CNAME and A, the zone's NS, and the addresses of ns1.
const DIG_QUERY = "3b5a 0000 0001 0000 0000 0001 03577777 074578616d706c65 03434f4d 00 0001 0001 00 0029 04d0 00000000 0000";
const NSD_ANSWER =
  "3b5a8400000100020002000303577777074578616d706c6503434f4d0000010001c00c0005000100000e10000603776562c010c02d0001000100000e100004c0000250" +
  "c0100002000100000e100006036e7331c010c0100002000100000e100011036e7332076578616d706c65036e657400c04f0001000100000e100004c0000235c04f001c" +
  "000100000e10001020010db800000000000000000000005300002904d0000000000000";

describe("wire format", () => {
  test("a query from dig decodes, and encodes back to the same octets", () => {
    const bytes = fromHex(DIG_QUERY);
    const message = decodeMessage(bytes);
    assert.deepEqual(message.question, [{ name: "Www.Example.COM.", type: RRType.A, class: 1 }]);
    assert.equal(message.edns?.udpSize, 1232);
    assert.equal(message.rd, false);
    assert.equal(hex(encodeMessage(message)), hex(bytes));
  });

  test("NSD's answer decodes to the records dig prints, and re-encodes to NSD's very octets", () => {
    const message = decodeMessage(fromHex(NSD_ANSWER));
    assert.equal(message.aa, true);
    assert.deepEqual(message.answer.map(formatRecord), ["Www.Example.COM.\t3600\tIN\tCNAME\tweb.Example.COM.", "web.Example.COM.\t3600\tIN\tA\t192.0.2.80"]);
    assert.deepEqual(message.authority.map(formatRecord), ["Example.COM.\t3600\tIN\tNS\tns1.Example.COM.", "Example.COM.\t3600\tIN\tNS\tns2.example.net."]);
    assert.deepEqual(message.additional.map(formatRecord), ["ns1.Example.COM.\t3600\tIN\tA\t192.0.2.53", "ns1.Example.COM.\t3600\tIN\tAAAA\t2001:db8::53"]);
    // Names compress to the question, case-insensitively, so they come out in the question's case, as NSD's did.
    assert.equal(hex(encodeMessage(message)), hex(fromHex(NSD_ANSWER)));
  });

  test("every typed record and an opaque one round-trip, compressed or not", () => {
    const records = [
      { name: "a.example.", type: RRType.A, class: 1, ttl: 60, data: { address: "192.0.2.1" } },
      { name: "a.example.", type: RRType.AAAA, class: 1, ttl: 60, data: { address: "2001:db8::1" } },
      { name: "example.", type: RRType.NS, class: 1, ttl: 60, data: { target: "ns.example." } },
      { name: "example.", type: RRType.SOA, class: 1, ttl: 60, data: { mname: "ns.example.", rname: "h\\.m.example.", serial: 4294967295, refresh: 1, retry: 2, expire: 3, minimum: 4 } },
      { name: "c.example.", type: RRType.CNAME, class: 1, ttl: 60, data: { target: "a.example." } },
      { name: "example.", type: RRType.MX, class: 1, ttl: 60, data: { preference: 10, exchange: "mail.example." } },
      { name: "example.", type: RRType.TXT, class: 1, ttl: 60, data: { strings: [new Uint8Array([0x22, 0x5c, 0]), new Uint8Array(255).fill(0x61), new Uint8Array(0)] } },
      { name: "_s._tcp.example.", type: RRType.SRV, class: 1, ttl: 60, data: { priority: 1, weight: 2, port: 443, target: "a.example." } },
      { name: "example.", type: RRType.CAA, class: 1, ttl: 60, data: { flags: 128, tag: "issue", value: new TextEncoder().encode("ca.example") } },
      { name: "1.2.0.192.in-addr.arpa.", type: RRType.PTR, class: 1, ttl: 60, data: { target: "a.example." } },
      { name: "example.", type: RRType.HINFO, class: 1, ttl: 60, data: { cpu: new TextEncoder().encode("RFC8482"), os: new Uint8Array(0) } },
      { name: "example.", type: 65280, class: 1, ttl: 60, data: { bytes: fromHex("0a0b0c0d") } },
    ];
    const message: Message = { id: 7, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 3, question: [{ name: "example.", type: RRType.ANY, class: 1 }], answer: records, authority: [], additional: [] };
    for (const compress of [true, false]) {
      const decoded = decodeMessage(encodeMessage(message, { compress }));
      assert.deepEqual(decoded.answer.map(formatRecord), records.map(formatRecord));
      assert.equal(decoded.rcode, 3);
    }
    assert.ok(encodeMessage(message).length < encodeMessage(message, { compress: false }).length);
  });

  test("extended rcodes travel in the OPT record", () => {
    const message: Message = { id: 1, qr: true, opcode: 0, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false, rcode: 16, question: [], answer: [], authority: [], additional: [], edns: { udpSize: 1232, version: 0, dnssecOk: true, options: [{ code: 15, data: fromHex("0014") }] } };
    const decoded = decodeMessage(encodeMessage(message));
    assert.equal(decoded.rcode, 16);
    assert.equal(decoded.edns?.dnssecOk, true);
    assert.deepEqual(decoded.edns?.options.map((o) => [o.code, hex(o.data)]), [[15, "0014"]]);
  });

  const header = (qd = 1, an = 0) => `1234 0000 ${qd.toString(16).padStart(4, "0")} ${an.toString(16).padStart(4, "0")} 0000 0000`;
  const bad: [string, string, RegExp][] = [
    ["shorter than a header", "1234 0000 0001", /shorter than its 12-octet header/],
    ["a pointer to itself", `${header()} c00c 0001 0001`, /points to itself/],
    ["a pointer loop", `${header(1, 1)} 00 0001 0001 c01b 0001 0001 00000000 0000 c011`, /does not point backwards/],
    ["a forward pointer", `${header()} c010 0001 0001 00`, /does not point backwards/],
    ["a label past the end", `${header()} 05 616263`, /label runs past the end/],
    ["a label of 64 octets", `${header()} 40 ${"61".repeat(64)} 00 0001 0001`, /reserved type 0x40/],
    ["a name of 256 octets", `${header()} ${"3f".concat("61".repeat(63)).repeat(4)} 00 0001 0001`, /longer than 255/],
    ["a missing terminator", `${header()} 03 616263`, /name runs past the end/],
    ["RDATA past the end", `${header(0, 1)} 00 0001 0001 00000000 0010 c0000201`, /RDATA runs past the end/],
    ["a bad A length", `${header(0, 1)} 00 0001 0001 00000000 0003 c00002`, /not 4/],
    ["more records than sent", `${header(2)} 00 0001 0001`, /runs past the end/],
    ["trailing octets", `${header()} 00 0001 0001 ff`, /1 octets after the last record/],
    ["two OPT records", `1234 0000 0000 0000 0000 0002 00 0029 0200 00000000 0000 00 0029 0200 00000000 0000`, /second OPT/],
    ["an EDNS option past its record", `1234 0000 0000 0000 0000 0001 00 0029 0200 00000000 0004 000f 0002`, /option header|runs past/],
  ];
  for (const [what, bytes, message] of bad) {
    test(`decodeMessage rejects ${what} with a WireError`, () => {
      assert.throws(() => decodeMessage(fromHex(bytes)), (error: unknown) => error instanceof WireError && message.test(error.message));
    });
  }
});
