/**
 * tsuki/net-address, the one address parser of the guest libraries (src/guest/lib/net-address):
 * the strict forms it takes and the ones it refuses (the URL Standard's lenient IPv4, zones,
 * brackets, spaces), RFC 5952 output, and differentially against Node: `net.isIPv4` for the
 * dotted quad, and the URL parser's bracketed IPv6 host (WHATWG, whose IPv6 grammar is RFC 4291's)
 * for parsing and serialising, over seeded random strings. The three libraries that use it
 * (tsuki/tcpip, tsuki/dns, the URL parser) keep their own tests.
 */

import assert from "node:assert/strict";
import { isIPv4 } from "node:net";
import { describe, test } from "node:test";
import { formatIPv4, formatIPv6, ipv4FromBytes, ipv4ToBytes, ipv6FromBytes, ipv6ToBytes, isIP, parseIPv4, parseIPv6 } from "../../../../src/guest/lib/net-address/index.ts";
import { parseAddress } from "../../../../src/guest/lib/tcpip/seam/ip.ts";
import { parseIPv4 as dnsParseIPv4, parseIPv6 as dnsParseIPv6 } from "../../../../src/guest/lib/dns/addresses.ts";
import { parseHost } from "../../../../src/guest/web/url/host.ts";
import { prng } from "../../runtime/seeded.ts";

describe("IPv4: the dotted quad only", () => {
  test("addresses, as numbers and octets", () => {
    assert.equal(parseIPv4("0.0.0.0"), 0);
    assert.equal(parseIPv4("10.0.0.2"), 0x0a000002);
    assert.equal(parseIPv4("255.255.255.255"), 0xffffffff);
    assert.equal(parseIPv4("192.0.2.53"), 0xc0000235);
    assert.equal(formatIPv4(0xc0000235), "192.0.2.53");
    assert.equal(formatIPv4(0xffffffff), "255.255.255.255");
    assert.deepEqual([...ipv4ToBytes(0xc0000235)], [192, 0, 2, 53]);
    assert.equal(ipv4FromBytes(Uint8Array.of(255, 255, 255, 255)), 0xffffffff);
  });

  // What the URL Standard's IPv4 parser accepts (WPT url tests) and an address parser must not.
  const REFUSED = [
    "", ".", "1.2.3", "1.2.3.4.", "1.2.3.4.5", ".1.2.3", "1..2.3", "127.1", "0x7f.0.0.1", "0x7f000001", "2130706433",
    "010.0.0.1", "00.0.0.0", "1.2.3.04", "256.0.0.0", "1.2.3.256", "999.1.1.1", "-1.2.3.4", "+1.2.3.4", " 1.2.3.4", "1.2.3.4 ",
    "1.2.3.4\n", "1.2.3.4%", "1.2.3.4/8", "1.2.3.4:80", "１.２.３.４", "1.2.3.a", "1e2.0.0.1", "0.0.0.0.", "::1",
  ];
  for (const text of REFUSED) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      assert.equal(parseIPv4(text), undefined);
      assert.equal(isIP(text) === 4, false);
    });
  }

  test("agrees with Node's net.isIPv4 on 20,000 seeded strings, and round-trips every address it takes", () => {
    const random = prng(0x1a4);
    const pieces = ["0", "1", "9", "10", "99", "100", "199", "200", "249", "250", "255", "256", "300", "01", "00", "1000", "", "a", "0x1", " 1"];
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const count = 1 + Math.floor(random() * 5);
      const text = Array.from({ length: count }, () => pieces[Math.floor(random() * pieces.length)]!).join(".");
      const address = parseIPv4(text);
      assert.equal(address !== undefined, isIPv4(text), JSON.stringify(text));
      if (address !== undefined) {
        valid++;
        assert.equal(formatIPv4(address), text);
      }
    }
    assert.ok(valid > 300, `${valid} valid`);
  });
});

describe("IPv6: RFC 4291 text in, RFC 5952 text out", () => {
  const CASES: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8::0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"],
    // RFC 5952 §4.2.2: one zero group is not compressed; §4.2.3: the first of two equal runs is.
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::ffff:192.0.2.128", "::ffff:c000:280"],
    ["::192.0.2.128", "::c000:280"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ["FFFF:ffff:FFFF:ffff:FFFF:ffff:FFFF:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ];
  for (const [text, canonical] of CASES) {
    test(`${text} is ${canonical}`, () => {
      const groups = parseIPv6(text);
      assert.ok(groups, text);
      assert.equal(formatIPv6(groups), canonical);
      assert.deepEqual(ipv6FromBytes(ipv6ToBytes(groups)), groups);
      assert.equal(isIP(text), 6);
    });
  }

  // The WPT url tests' invalid bracketed hosts, and what an address never contains.
  const REFUSED = [
    "", ":", ":::", "1:::2", "1::2::3", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4::5:6:7:8",
    "12345::", "g::", "::1.2.3", "::1.2.3.4.5", "::1.2.3.04", "::256.0.0.1", "::1.2.3.4:5", "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4",
    "::0x1.2.3.4", "fe80::1%eth0", "[::1]", " ::1", "::1 ", "::-1", "::+1", "1.2.3.4",
  ];
  for (const text of REFUSED) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      assert.equal(parseIPv6(text), undefined);
      assert.equal(isIP(text) === 6, false);
    });
  }

  test("agrees with the URL Standard's IPv6 host parser (Node's URL) on 40,000 seeded strings, parse and serialise", () => {
    const random = prng(0x1b6);
    const alphabet = "0123456789abcdefABCDEF::::....g";
    const pieces = ["0", "1", "ff", "ffff", "0000", "00000", "1.2.3.4", "255.255.255.255", "01.2.3.4", "", "abcd", "1.2.3", "256.1.1.1"];
    let valid = 0;
    for (let i = 0; i < 40_000; i++) {
      let text = "";
      if (i % 2 === 0) {
        const length = Math.floor(random() * 24);
        for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      } else {
        const count = 1 + Math.floor(random() * 10);
        text = Array.from({ length: count }, () => pieces[Math.floor(random() * pieces.length)]!).join(random() < 0.8 ? ":" : "::");
      }
      const groups = parseIPv6(text);
      let node: string | undefined;
      try {
        node = new URL(`http://[${text}]/`).hostname;
      } catch {}
      assert.equal(groups === undefined ? undefined : `[${formatIPv6(groups)}]`, node, JSON.stringify(text));
      if (groups) valid++;
    }
    assert.ok(valid > 300, `${valid} valid`);
  });

  test("RFC 5952 output for 20,000 seeded group lists round-trips, and is what Node's URL writes", () => {
    const random = prng(0x5952);
    for (let i = 0; i < 20_000; i++) {
      const groups = Array.from({ length: 8 }, () => (random() < 0.6 ? 0 : Math.floor(random() * 65536)));
      const text = formatIPv6(groups);
      assert.deepEqual(parseIPv6(text), groups);
      assert.equal(`[${text}]`, new URL(`http://[${groups.map((g) => g.toString(16)).join(":")}]/`).hostname);
    }
  });
});

describe("the libraries use the one parser", () => {
  test("tsuki/tcpip, tsuki/dns and the URL host parser give its answers", () => {
    for (const text of ["10.0.0.1", "010.0.0.1", "1.2.3", "255.255.255.255", "256.0.0.0"]) {
      const address = parseIPv4(text);
      assert.equal(parseAddress(text), address, text);
      assert.deepEqual(dnsParseIPv4(text), address === undefined ? undefined : ipv4ToBytes(address), text);
    }
    for (const text of ["::1", "2001:DB8::1", "1::2::3", "::ffff:1.2.3.4", "fe80::1%eth0"]) {
      const groups = parseIPv6(text);
      assert.deepEqual(dnsParseIPv6(text), groups === undefined ? undefined : ipv6ToBytes(groups), text);
      assert.equal(parseHost(`[${text}]`, false), groups === undefined ? null : `[${formatIPv6(groups)}]`, text);
    }
  });
});
