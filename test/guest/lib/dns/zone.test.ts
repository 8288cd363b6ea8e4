/**
 * tsuki/dns zone files (RFC 1035 §5): every supported construct, and every error with the file,
 * line and column it names.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatRecord, parseZone, ZoneError } from "../../../../src/guest/lib/dns/index.ts";
import { EXAMPLE_COM } from "./fixtures.ts";

const SOA = "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n";

describe("zone files", () => {
  test("directives, relative names, @, omitted owner/TTL/class, parentheses, comments, escapes, units", () => {
    const zone = parseZone(
      `$ORIGIN Example.COM. ; the apex
$TTL 1h
@ IN SOA ns1 hostmaster ( 2024 ; serial
        2h 1h 2w 5m )
  NS ns1                     ; owner, TTL and class omitted
ns1 300 IN A 192.0.2.1
ns1 IN 301 AAAA 2001:DB8:0:0::1
txt TXT "a \\"quoted\\" ; string" unquoted "\\065\\\\" ""
sp\\032ace A 192.0.2.2
dot\\.ted A 192.0.2.3
$ORIGIN sub
host A 192.0.2.4
abs.example.com. CNAME host
caa CAA 0 issuewild ";"
srv SRV 1 2 3 @
unk TYPE65280 \\# 3 ( 01
  0203 )
mx MX \\# 5 000a 01 61 00
`,
      { file: "z" },
    );
    assert.equal(zone.origin, "example.com.");
    assert.deepEqual(zone.records.map(formatRecord), [
      "example.com.\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024 7200 3600 1209600 300",
      "example.com.\t3600\tIN\tNS\tns1.example.com.",
      "ns1.example.com.\t300\tIN\tA\t192.0.2.1",
      "ns1.example.com.\t301\tIN\tAAAA\t2001:db8::1",
      'txt.example.com.\t3600\tIN\tTXT\t"a \\"quoted\\" ; string" "unquoted" "A\\\\" ""',
      "sp\\032ace.example.com.\t3600\tIN\tA\t192.0.2.2",
      "dot\\.ted.example.com.\t3600\tIN\tA\t192.0.2.3",
      "host.sub.example.com.\t3600\tIN\tA\t192.0.2.4",
      "abs.example.com.\t3600\tIN\tCNAME\thost.sub.example.com.",
      'caa.sub.example.com.\t3600\tIN\tCAA\t0 issuewild ";"',
      "srv.sub.example.com.\t3600\tIN\tSRV\t1 2 3 sub.example.com.",
      "unk.sub.example.com.\t3600\tIN\tTYPE65280\t\\# 3 010203",
      "mx.sub.example.com.\t3600\tIN\tMX\t10 a.",
    ]);
    assert.equal(zone.soa.type, 6);
  });

  test("the test zone parses, identical records are kept once, and the origin option stands in for $ORIGIN", () => {
    const zone = parseZone(`$TTL 60\n${SOA}@ NS ns1\nns1 A 192.0.2.1\nns1 A 192.0.2.1\n`, { file: "z", origin: "example.org" });
    assert.equal(zone.origin, "example.org.");
    assert.equal(zone.records.length, 3);
    assert.ok(parseZone(EXAMPLE_COM, { file: "example.com.zone" }).records.length > 30);
    assert.equal(parseZone(`${SOA}`, { file: "z", origin: "x.", defaultTtl: 5 }).soa.ttl, 5);
  });

  const errors: [string, string, number, number, RegExp][] = [
    ["a syntax error in an address", `$ORIGIN example.com.\n$TTL 60\n${SOA}www  A  192.0.2.300\n`, 4, 9, /"192\.0\.2\.300" is not an IPv4 address/],
    ["a zone without an SOA", `$ORIGIN example.com.\n$TTL 60\n@ NS ns1\n`, 3, 1, /no SOA record/],
    ["two SOA records", `$ORIGIN example.com.\n$TTL 60\n${SOA}${SOA}`, 4, 6, /second SOA record.*line 3/],
    ["an SOA below the apex", `$ORIGIN example.com.\n$TTL 60\n${SOA}sub ${SOA.slice(2)}`, 4, 1, /SOA record at sub\.example\.com\./],
    ["out-of-zone glue", `$ORIGIN example.com.\n$TTL 60\n${SOA}@ NS ns.example.net.\nns.example.net. A 192.0.2.1\n`, 5, 1, /ns\.example\.net\. is outside the zone example\.com\./],
    ["$INCLUDE", `$ORIGIN example.com.\n$INCLUDE other.zone\n`, 2, 1, /\$INCLUDE is not supported/],
    ["an unknown directive", `$GENERATE 1-2 x A 1.2.3.$\n`, 1, 1, /unknown directive \$GENERATE/],
    ["no TTL", `$ORIGIN example.com.\n${SOA}`, 2, 6, /no TTL.*\$TTL 3600/],
    ["no origin", `$TTL 60\n${SOA}`, 2, 1, /\$ORIGIN/],
    ["an unknown type", `$ORIGIN example.com.\n$TTL 60\n${SOA}x IN BOGUS 1\n`, 4, 6, /unknown type "BOGUS"/],
    ["another class", `$ORIGIN example.com.\n$TTL 60\n${SOA}x CH A 192.0.2.1\n`, 4, 3, /only class IN/],
    ["an unclosed parenthesis", `$ORIGIN example.com.\n$TTL 60\n@ SOA ns1 h ( 1 2 3 4 5\n`, 3, 13, /never closed/],
    ["a stray closing parenthesis", `$TTL 60\nx A 1.2.3.4 )\n`, 2, 13, /without an opening/],
    ["an unclosed string", `$ORIGIN example.com.\n$TTL 60\n${SOA}x TXT "abc\n`, 4, 7, /not closed|end of the line/],
    ["a string over 255 octets", `$ORIGIN example.com.\n$TTL 60\n${SOA}x TXT "${"a".repeat(256)}"\n`, 4, 7, /256 octets: at most 255/],
    ["a label over 63 octets", `$ORIGIN example.com.\n$TTL 60\n${SOA}${"a".repeat(64)} A 192.0.2.1\n`, 4, 1, /64 octets: at most 63/],
    ["a name over 255 octets", `$ORIGIN example.com.\n$TTL 60\n${SOA}${"a.".repeat(125)}b A 192.0.2.1\n`, 4, 1, /at most 255/],
    ["a bad \\DDD escape", `$ORIGIN example.com.\n$TTL 60\n${SOA}a\\300b A 192.0.2.1\n`, 4, 1, /bad escape/],
    ["a missing field", `$ORIGIN example.com.\n$TTL 60\n${SOA}x MX 10\n`, 4, 6, /MX needs 2 fields/],
    ["an extra field", `$ORIGIN example.com.\n$TTL 60\n${SOA}x A 192.0.2.1 192.0.2.2\n`, 4, 15, /unexpected "192\.0\.2\.2"/],
    ["a wrong \\# length", `$ORIGIN example.com.\n$TTL 60\n${SOA}x TYPE99 \\# 3 0102\n`, 4, 13, /but 2 octets/],
    ["a type without presentation format", `$ORIGIN example.com.\n$TTL 60\n${SOA}x DS 1 2 3 abcd\n`, 4, 6, /generic form/],
    ["CNAME and other data", `$ORIGIN example.com.\n$TTL 60\n${SOA}x CNAME y\nx A 192.0.2.1\n`, 5, 1, /CNAME and other data/],
    ["a TTL above 2^31-1", `$ORIGIN example.com.\n$TTL 2147483648\n`, 2, 6, /more than 2147483647/],
    ["an owner-less first record", ` A 192.0.2.1\n`, 1, 2, /no owner/],
  ];
  for (const [what, text, line, column, message] of errors) {
    test(`${what} is a ZoneError at line ${line}, column ${column}`, () => {
      assert.throws(
        () => parseZone(text, { file: "zones/example.com.zone" }),
        (error: unknown) => {
          assert.ok(error instanceof ZoneError, `not a ZoneError: ${error}`);
          assert.equal(error.code, "ERR_DNS_ZONE");
          assert.equal(error.file, "zones/example.com.zone");
          assert.match(error.message, message);
          assert.deepEqual([error.line, error.column], [line, column], error.message);
          assert.ok(error.message.startsWith(`zones/example.com.zone:${line}:${column}: `));
          return true;
        },
      );
    });
  }
});
