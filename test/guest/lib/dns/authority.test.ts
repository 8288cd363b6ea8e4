/**
 * tsuki/dns authoritative answers, in-process: each rule of the issue with the answer NSD 4.6.1
 * gives for the same zone (recorded with dig against NSD), and the bad input list: truncated and
 * oversized packets, compression loops, 256-octet names, labels past the end, unknown classes
 * and types, QDCOUNT 0 or 2, other opcodes, responses, AXFR rules.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Authority, decodeMessage, formatRecord, type Message, parseZone, RRClass, RRType, Rcode } from "../../../../src/guest/lib/dns/index.ts";
import { authority, EXAMPLE_COM, fromHex, hex, query, type QueryOptions, TCP, UDP, zones } from "./fixtures.ts";

const server = authority();

function ask(name: string, type: number, options: QueryOptions & { tcp?: boolean } = {}): Message {
  const answers = server.answer(query(name, type, options), options.tcp ? TCP : UDP);
  assert.equal(answers.length, 1);
  return decodeMessage(answers[0]!);
}

const lines = (rrs: readonly { name: string }[]) => rrs.map((rr) => formatRecord(rr as never).toLowerCase()).sort();
const flags = (m: Message) => ["qr", "aa", "tc", "rd"].filter((f) => m[f as "qr"]).join(" ");

describe("authoritative answers (as NSD 4.6.1)", () => {
  test("an exact answer echoes the question's case; the zone's NS go in authority and their addresses in additional", () => {
    const m = ask("Www.Example.COM.", RRType.A);
    assert.equal(m.question[0]!.name, "Www.Example.COM.");
    assert.equal(flags(m), "qr aa");
    assert.deepEqual(lines(m.answer), ["web.example.com.\t3600\tin\ta\t192.0.2.80", "www.example.com.\t3600\tin\tcname\tweb.example.com."]);
    assert.deepEqual(lines(m.authority), ["example.com.\t3600\tin\tns\tns1.example.com.", "example.com.\t3600\tin\tns\tns2.example.net."]);
    assert.deepEqual(lines(m.additional), ["ns1.example.com.\t3600\tin\ta\t192.0.2.53", "ns1.example.com.\t3600\tin\taaaa\t2001:db8::53"]);
    assert.equal(m.edns?.udpSize, 1232);
    assert.equal(m.answer[0]!.name, "Www.Example.COM.");
  });

  test("NXDOMAIN and NODATA carry the SOA with TTL min(TTL, MINIMUM) (RFC 2308)", () => {
    for (const [name, type, rcode] of [["nothere.example.com.", RRType.A, Rcode.NXDOMAIN], ["web.example.com.", RRType.MX, Rcode.NOERROR], ["example.com.", 999, Rcode.NOERROR]] as const) {
      const m = ask(name, type);
      assert.equal(m.rcode, rcode);
      assert.equal(flags(m), "qr aa");
      assert.equal(m.answer.length, 0);
      assert.deepEqual(lines(m.authority), ["example.com.\t300\tin\tsoa\tns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"]);
    }
  });

  test("wildcards (RFC 4592): synthesised at the query name; an empty non-terminal blocks them and is NODATA", () => {
    assert.deepEqual(lines(ask("x.wild.example.com.", RRType.A).answer), ["x.wild.example.com.\t3600\tin\ta\t192.0.2.99"]);
    assert.equal(ask("y.z.wild.example.com.", RRType.MX).authority[0]!.type, RRType.SOA);
    assert.deepEqual(lines(ask("q.ent.example.com.", RRType.A).answer), ["q.ent.example.com.\t3600\tin\ta\t192.0.2.8"]);
    const ent = ask("b.ent.example.com.", RRType.A);
    assert.equal(ent.rcode, Rcode.NOERROR);
    assert.equal(ent.answer.length, 0);
    assert.equal(ask("x.b.ent.example.com.", RRType.A).rcode, Rcode.NXDOMAIN);
  });

  test("a delegation is a referral: NS in authority, in-zone glue in additional, AA clear; DS is the parent's", () => {
    for (const name of ["foo.sub.example.com.", "sub.example.com.", "ns.sub.example.com."]) {
      const m = ask(name, RRType.A);
      assert.equal(flags(m), "qr");
      assert.deepEqual(lines(m.authority), ["sub.example.com.\t3600\tin\tns\tns.other.net.", "sub.example.com.\t3600\tin\tns\tns.sub.example.com."]);
      assert.deepEqual(lines(m.additional), ["ns.sub.example.com.\t3600\tin\ta\t192.0.2.200"]);
    }
    const ds = ask("sub.example.com.", RRType.DS);
    assert.equal(flags(ds), "qr aa");
    assert.equal(ds.authority[0]!.type, RRType.SOA);
  });

  test("CNAMEs are chased inside the zone and into other zones served here; loops end; a dangling one is NXDOMAIN", () => {
    assert.equal(ask("chain.example.com.", RRType.A).answer.length, 3);
    const ext = ask("alias-ext.example.com.", RRType.A);
    assert.deepEqual(lines(ext.answer), ["alias-ext.example.com.\t3600\tin\tcname\thost.example.net.", "host.example.net.\t300\tin\ta\t198.51.100.1"]);
    assert.deepEqual(lines(ext.authority), ["example.net.\t300\tin\tns\tns1.example.com."]);
    const out = ask("alias-out.example.com.", RRType.A);
    assert.deepEqual([out.answer.length, out.authority.length, flags(out)], [1, 0, "qr aa"]);
    assert.deepEqual(ask("loop1.example.com.", RRType.A).answer.length, 2);
    const dangling = ask("dangling.example.com.", RRType.A);
    assert.deepEqual([dangling.rcode, dangling.answer.length, dangling.authority[0]!.type], [Rcode.NXDOMAIN, 1, RRType.SOA]);
    assert.equal(ask("alias-ext.example.com.", RRType.MX).authority[0]!.name, "example.net.");
  });

  test("ANY gets one RRset (RFC 8482 §4.1), preferring A, AAAA, SOA, MX and PTR as NSD does", () => {
    assert.deepEqual(ask("example.com.", RRType.ANY).answer.map((rr) => rr.type), [RRType.SOA]);
    assert.deepEqual(ask("order.example.com.", RRType.ANY).answer.map((rr) => rr.type), [RRType.A]);
    assert.deepEqual(ask("order3.example.com.", RRType.ANY).answer.map((rr) => rr.type), [RRType.MX]);
    const www = ask("www.example.com.", RRType.ANY);
    assert.deepEqual([www.answer.map((rr) => rr.type), www.authority.length, www.additional.length], [[RRType.CNAME], 0, 0]);
    assert.equal(ask("big.example.com.", RRType.ANY, { tcp: true }).answer.length, 5);
  });

  test("additional addresses for MX, SRV and NS targets in the zone, A before AAAA", () => {
    assert.deepEqual(ask("example.com.", RRType.MX).additional.map((rr) => `${rr.name} ${rr.type}`), ["mail.example.com. 1", "ns1.example.com. 1", "ns1.example.com. 28"]);
    assert.deepEqual(ask("_sip._tcp.example.com.", RRType.SRV).additional.map((rr) => rr.name)[0], "sip.example.com.");
    assert.equal(ask("mx2.example.com.", RRType.MX).additional.length, 3);
    const ns = ask("example.com.", RRType.NS);
    assert.deepEqual([ns.answer.length, ns.authority.length, ns.additional.length], [2, 0, 2]);
  });

  test("names outside every zone are REFUSED with EDE 20; so is CH (EDE 21) and another class (without the question)", () => {
    const out = ask("example.org.", RRType.A);
    assert.deepEqual([out.rcode, flags(out), out.question.length, hex(out.edns!.options[0]!.data)], [Rcode.REFUSED, "qr", 1, "0014"]);
    const ch = ask("example.com.", RRType.SOA, { class: RRClass.CH });
    assert.deepEqual([ch.rcode, ch.question.length, hex(ch.edns!.options[0]!.data)], [Rcode.REFUSED, 1, "0015"]);
    const five = ask("example.com.", RRType.SOA, { class: 5 });
    assert.deepEqual([five.rcode, five.question.length], [Rcode.REFUSED, 0]);
    const any = ask("www.example.com.", RRType.A, { class: RRClass.ANY });
    assert.deepEqual([any.rcode, flags(any), any.answer.length, any.authority.length], [Rcode.NOERROR, "qr", 2, 0]);
  });

  test("EDNS: the payload size is honoured up to 1232, TC is set when the answer does not fit, 512 without EDNS", () => {
    const noEdns = ask("big.example.com.", RRType.TXT, { edns: false });
    assert.deepEqual([noEdns.tc, noEdns.aa, noEdns.answer.length, noEdns.additional.length, noEdns.edns], [true, true, 0, 0, undefined]);
    const small = ask("big.example.com.", RRType.TXT, { edns: { udpSize: 600 } });
    assert.deepEqual([small.tc, small.answer.length, small.edns?.udpSize], [true, 0, 1232]);
    const fits = ask("big.example.com.", RRType.TXT, { edns: { udpSize: 700 } });
    assert.deepEqual([fits.tc, fits.answer.length, fits.authority.length], [false, 5, 0]);
    const full = ask("big.example.com.", RRType.TXT, { edns: { udpSize: 4096 } });
    assert.deepEqual([full.tc, full.answer.length, full.authority.length, full.additional.length], [false, 5, 2, 2]);
    const tcp = ask("big.example.com.", RRType.TXT, { edns: false, tcp: true });
    assert.deepEqual([tcp.tc, tcp.answer.length], [false, 5]);
    assert.equal(ask("example.com.", RRType.SOA, { edns: { dnssecOk: true } }).edns?.dnssecOk, true);
    const badvers = ask("example.com.", RRType.SOA, { edns: { version: 1 } });
    assert.deepEqual([badvers.rcode, badvers.edns?.version, badvers.question.length, badvers.answer.length], [Rcode.BADVERS, 0, 1, 0]);
  });

  test("RD is copied, and a cached answer is patched with each query's ID, RD and case", () => {
    const fresh = authority();
    for (const [id, name, rd] of [[1, "WEB.example.com.", true], [2, "web.EXAMPLE.com.", false], [3, "Web.Example.Com.", true]] as const) {
      const m = decodeMessage(fresh.answer(query(name, RRType.A, { id, rd }), UDP)[0]!);
      assert.deepEqual([m.id, m.rd, m.question[0]!.name, m.answer[0]!.name], [id, rd, name, name]);
    }
    assert.equal(fresh.stats.cacheHits, 2);
  });

  test("AXFR over TCP to allowed addresses only; NOTIMP over UDP", () => {
    const answers = server.answer(query("example.com.", RRType.AXFR, { edns: false }), TCP);
    const records = answers.flatMap((a) => decodeMessage(a).answer);
    assert.equal(records[0]!.type, RRType.SOA);
    assert.equal(records.at(-1)!.type, RRType.SOA);
    assert.equal(records.length, parseZone(EXAMPLE_COM, { file: "z" }).records.length + 1);
    const refused = decodeMessage(server.answer(query("example.com.", RRType.AXFR), { tcp: true, remote: { address: "192.0.2.99", port: 1 } })[0]!);
    assert.equal(refused.rcode, Rcode.REFUSED);
    assert.equal(decodeMessage(server.answer(query("example.com.", RRType.AXFR), UDP)[0]!).rcode, Rcode.NOTIMP);
    const nobody = new Authority(zones());
    assert.equal(decodeMessage(nobody.answer(query("example.com.", RRType.AXFR), TCP)[0]!).rcode, Rcode.REFUSED);
  });

  test("several zones at once, but not two with the same origin", () => {
    assert.throws(() => new Authority([...zones(), ...zones()]), /two zones have the origin example\.com\./);
  });
});

describe("bad input: never throws, FORMERR when the header is readable, else dropped; all counted", () => {
  const header = (o: { flags?: string; qd?: number; an?: number; ar?: number } = {}) => `1234${o.flags ?? "0000"}${(o.qd ?? 1).toString(16).padStart(4, "0")}${(o.an ?? 0).toString(16).padStart(4, "0")}0000${(o.ar ?? 0).toString(16).padStart(4, "0")}`;
  const q = "076578616d706c6503636f6d0000060001";
  const cases: [string, string, string | null][] = [
    ["an empty packet", "", null],
    ["a truncated header", "12340000000100", null],
    ["a response (QR set)", `${header({ flags: "8000" })}${q}`, null],
    ["a truncated question", `${header()}${q.slice(0, 14)}`, "123480010000000000000000"],
    ["a compression loop in the question", `${header()}c00c00010001`, "123480010000000000000000"],
    ["a forward pointer", `${header()}c01400010001`, "123480010000000000000000"],
    ["a 256-octet name", `${header()}${("3f" + "61".repeat(63)).repeat(4)}0000010001`, "123480010000000000000000"],
    ["a label count past the end", `${header()}3f6161`, "123480010000000000000000"],
    ["a label of a reserved type", `${header()}4000010001`, "123480010000000000000000"],
    ["QDCOUNT 0", header({ qd: 0 }), "123480010000000000000000"],
    ["QDCOUNT 2", `${header({ qd: 2 })}${q}${q}`, "123480010000000000000000"],
    ["QDCOUNT 2, RD set (cleared, as NSD)", `${header({ flags: "0100", qd: 2 })}${q}${q}`, "123480010000000000000000"],
    ["a record in the answer section", `${header({ flags: "0100", an: 1 })}${q}`, "123481010000000000000000"],
    ["an OPT record with a bad option length", `${header({ ar: 1 })}${q}0000290200000000000005000a00050102`, "123480010000000000000000"],
    ["two OPT records", `${header({ ar: 2 })}${q}00002902000000000000000000290200000000000000`, "123480010000000000000000"],
    ["a response code in a query", `${header({ flags: "0005" })}${q}`, "123480010000000000000000"],
    ["opcode IQUERY", `${header({ flags: "0800" })}${q}`, "123488040000000000000000"],
    ["opcode UPDATE", `${header({ flags: "2800" })}${q}`, "1234a8040000000000000000"],
    ["opcode NOTIFY for a zone served", `${header({ flags: "2000" })}${q}`, "1234a0050000000000000000"],
  ];
  for (const [what, bytes, expected] of cases) {
    test(`${what} → ${expected === null ? "dropped" : expected.slice(4, 8)}`, () => {
      const fresh = authority();
      const answers = fresh.answer(fromHex(bytes), UDP);
      assert.deepEqual(answers.map(hex), expected === null ? [] : [expected]);
      assert.equal(fresh.stats.queries, 1);
      assert.equal(fresh.stats.errors, 0);
      if (expected === null) assert.equal(fresh.stats.dropped, 1);
      else if (expected.slice(7, 8) === "1") assert.equal(fresh.stats.formerr, 1);
    });
  }

  test("an oversized packet (64 KiB of garbage after a question) is answered, the rest ignored and counted", () => {
    const fresh = authority();
    const bytes = fromHex(`${header()}${q}${"ab".repeat(65000)}`);
    const m = decodeMessage(fresh.answer(bytes, TCP)[0]!);
    assert.equal(m.answer[0]!.type, RRType.SOA);
    assert.equal(fresh.stats.trailing, 1);
  });

  test("unknown types get NODATA; an unknown type's records are served as RFC 3597 data", () => {
    assert.equal(ask("example.com.", 65000).authority[0]!.type, RRType.SOA);
    assert.equal(formatRecord(ask("unk.example.com.", 65280).answer[0]!), "unk.example.com.\t3600\tIN\tTYPE65280\t\\# 4 0A0B0C0D");
  });

  test("a query with only an OPT record (QDCOUNT 0) is answered NOERROR with our OPT, as NSD", () => {
    const m = decodeMessage(server.answer(fromHex(`${header({ qd: 0, ar: 1 })}00002904d0000000000000`), UDP)[0]!);
    assert.deepEqual([m.rcode, m.question.length, m.edns?.udpSize], [0, 0, 1232]);
  });
});
