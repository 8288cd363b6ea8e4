// The guest's URL against Node's own (WHATWG URL Standard) on a corpus of URLs: fixed edge cases,
// relative references against bases, seeded random URLs, other schemes, IDNA hosts, the setters.
// The WPT data suites run inside a unikernel in test/guest/web/url/wpt.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertLinear } from "../../../growth.ts";
import { URL } from "../../../../src/guest/web/url/url.ts";
import { prng } from "../../runtime/seeded.ts";

const NodeURL = globalThis.URL;
const PARTS = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"] as const;

type Outcome = { fails: true } | Record<(typeof PARTS)[number], string>;

function outcome(make: () => { [K in (typeof PARTS)[number]]: string }): Outcome {
  let url;
  try {
    url = make();
  } catch {
    return { fails: true };
  }
  return Object.fromEntries(PARTS.map((p) => [p, url[p]])) as Outcome;
}

/** Both parse `input` alike. */
function same(input: string, base?: string): void {
  const expected = outcome(() => new NodeURL(input, base));
  const actual = outcome(() => new URL(input, base));
  assert.deepEqual(actual, expected, `new URL(${JSON.stringify(input)}${base === undefined ? "" : `, ${JSON.stringify(base)}`})`);
}

const ABSOLUTE = [
  "http://example.com",
  "http://example.com/",
  "HTTP://EXAMPLE.COM/A/B?C=D#E",
  "https://example.com:443/x",
  "https://example.com:0443/x",
  "http://example.com:80/",
  "http://example.com:8080/",
  "http://example.com:/",
  "http://example.com:65535/",
  "http://example.com:65536/",
  "http://example.com:8a/",
  "ws://example.com:80/",
  "wss://example.com:443/",
  "http://user:pass@example.com/",
  "http://user@example.com/",
  "http://:pass@example.com/",
  "http://@example.com/",
  "http://a:b@c:d@example.com/",
  "http://us er:p@ss:w@example.com/",
  "http://u@/",
  "http://",
  "http:///example.com/",
  "http:example.com/a",
  "http:\\\\example.com\\a\\b",
  "  http://example.com/ \t",
  "ht\ntp://exa\tmple.com/a\nb",
  "http://example.com/a/./b/../c",
  "http://example.com/a/%2e/b/%2E%2e/c",
  "http://example.com/a/.%2E/b",
  "http://example.com/..",
  "http://example.com/a/..",
  "http://example.com/a/.",
  "http://example.com/a/b/../../../..",
  "http://example.com/a b/c\"d/<e>/f^g/h`i/{j}/k|l",
  "http://example.com/%zz/%2/%41",
  "http://example.com/é/ü?ä=ö#ß",
  "http://example.com/\u{1F600}?\u{1F600}#\u{1F600}",
  "http://example.com/\ud800",
  "http://example.com/?a=b c&d='e'\"f\"<g>#h i`j<k>",
  "http://example.com/?#",
  "http://example.com/?",
  "http://example.com/#",
  "http://example.com/a?b?c#d#e",
  "http://example.com/a#b?c",
  "http://EXAMPLE.com.",
  "http://ex%41mple.com/",
  "http://ex%2Fmple.com/",
  "http://exa mple.com/",
  "http://exa<mple.com/",
  "http://exa^mple.com/",
  "http://exa|mple.com/",
  "http://exa%mple.com/",
  "http://exa\u0000mple.com/",
  "http://ex_ample.com/",
  "http://ex-ample.com/",
  "http://ex~ample.com/",
  "http://ex!$&'()*+,;=ample.com/",
  "http://127.0.0.1/",
  "http://127.1/",
  "http://0x7f.1/",
  "http://0x7F000001/",
  "http://2130706433/",
  "http://017700000001/",
  "http://0177.0.0.1/",
  "http://1.2.3.4.5/",
  "http://1.2.3.256/",
  "http://256.1.1.1/",
  "http://1.2.3.4./",
  "http://1.2.3.09/",
  "http://0x/",
  "http://0x.0x.0/",
  "http://4294967295/",
  "http://4294967296/",
  "http://1.2.3/",
  "http://foo.1/",
  "http://foo.0x1/",
  "http://1.foo/",
  "http://[::1]/",
  "http://[::1]:8080/",
  "http://[::]/",
  "http://[0:0:0:0:0:0:0:1]/",
  "http://[1:0:0:2:0:0:0:3]/",
  "http://[1:0:0:2:0:0:3:0]/",
  "http://[1:2:3:4:5:6:7:8]/",
  "http://[1:2:3:4:5:6:7:8:9]/",
  "http://[::ffff:1.2.3.4]/",
  "http://[::1.2.3.4]/",
  "http://[::1.2.3.256]/",
  "http://[::1.2.3]/",
  "http://[::01.2.3.4]/",
  "http://[1::2::3]/",
  "http://[:1]/",
  "http://[1:]/",
  "http://[ABCD:EF01::]/",
  "http://[::1/",
  "http://[::1]x/",
  "http://[example.com]/",
  "https://example.com:443",
  "http://example.com\\path\\to?q\\#f\\",
  "http://example.com/a%2fb",
  "example.com",
  "",
  "/just/a/path",
];

const RELATIVE: [string, string][] = [
  ["/a/b", "http://example.com/x/y"],
  ["a/b", "http://example.com/x/y"],
  ["../a", "http://example.com/x/y/z"],
  ["../../../../a", "http://example.com/x/y/z"],
  ["./a", "http://example.com/x/y"],
  [".", "http://example.com/x/y"],
  ["..", "http://example.com/x/y"],
  ["", "http://example.com/x/y?q#f"],
  ["?z", "http://example.com/x/y?q#f"],
  ["#g", "http://example.com/x/y?q#f"],
  ["//other.com/p", "http://example.com/x/y"],
  ["\\\\other.com\\p", "http://example.com/x/y"],
  ["/\\other.com/p", "http://example.com/x/y"],
  ["\\a", "http://example.com/x/y"],
  ["http:a", "http://example.com/x/y"],
  ["http:/a", "http://example.com/x/y"],
  ["http://a", "http://example.com/x/y"],
  ["https:a", "http://example.com/x/y"],
  ["a", "https://user:pw@example.com:8443/x/y?q"],
  ["//u@h:1/p", "https://example.com/"],
  ["a", "mailto:x"],
  ["a", "not a url"],
  ["\t/a\n", "http://example.com/"],
];

describe("URL parsing matches Node's", () => {
  for (const input of ABSOLUTE) test(JSON.stringify(input), () => same(input));
  for (const [input, base] of RELATIVE) test(`${JSON.stringify(input)} against ${JSON.stringify(base)}`, () => same(input, base));

  test("a long run of inner spaces and controls is handled in linear time", () => {
    same(`http://example.com/a${" \u0001".repeat(20_000)}b${" ".repeat(20_000)}`);
    assertLinear((n) => new URL(`http://example.com/a${" \u0001".repeat(n)}b${" ".repeat(n)}`), 20_000, "a URL with runs of spaces and controls");
  });

  test("2,000 seeded random URLs", () => {
    const random = prng(0x75726c);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const text = (alphabet: string, max: number) => Array.from({ length: Math.floor(random() * max) }, () => pick([...alphabet])).join("");
    const WILD = "aZ09-._~!$&'()*+,;=:@/?#[]%2e%2E%41 \"<>\\^`{|}\t\né\u{1F600}\ud800\u0000\u007f";
    for (let i = 0; i < 2000; i++) {
      const scheme = pick(["http", "https", "ws", "wss", "ftp", "HTTP"]);
      const userinfo = random() < 0.2 ? `${text(WILD.replace(/[/?#\\]/g, ""), 6)}@` : "";
      const host = pick(["example.com", "EXAMPLE.com", "127.0.0.1", "0x7f.1", "[::1]", "[1:0:0:0::2]", "a.b.c", "1.2.3.4.5", text("abc.0x19", 8) || "h"]);
      const port = random() < 0.3 ? `:${pick(["80", "443", "8080", "", "65536", "0", "x"])}` : "";
      const path = Array.from({ length: Math.floor(random() * 5) }, () => pick(["/", "\\", "/.", "/..", "/%2e", "/.%2E"]) + text(WILD.replace(/[?#]/g, ""), 5)).join("");
      const query = random() < 0.4 ? `?${text(WILD.replace(/#/g, ""), 8)}` : "";
      const fragment = random() < 0.3 ? `#${text(WILD, 8)}` : "";
      const input = `${scheme}://${userinfo}${host}${port}${path}${query}${fragment}`;
      same(input);
      if (random() < 0.3) same(`${path}${query}${fragment}`, `${scheme}://${host}/base/dir/file?old#frag`);
    }
  });
});

describe("URLs of other schemes parse as Node's do", () => {
  const CASES: [string, string?][] = [
    ["file:///etc/passwd"], ["file://host/share/x"], ["file:///C:/a/../b"], ["file:C|/x"], ["/a", "file:///C:/b/c"], ["..", "file:///C:/"],
    ["mailto:someone@example.com"], ["javascript:alert(1)"], ["foo://example.com/a/./b"], ["foo://[::1]:99/x"], ["mailto:x", "http://example.com/"],
    ["data:text/plain,hi there#frag"], ["blob:https://example.com/uuid"], ["web+demo:/.//not-a-host/"], ["sc://ñ/x"], ["sc:\\x"], ["#x", "sc:opaque"],
  ];
  for (const [input, base] of CASES) test(`${JSON.stringify(input)}${base === undefined ? "" : ` against ${JSON.stringify(base)}`}`, () => same(input, base));
});

describe("IDNA hosts become Punycode as in Node (UTS #46, nontransitional)", () => {
  const HOSTS = ["bücher.example", "faß.de", "ÖBB.at", "xn--nxasmq6b.com", "例え.テスト", "ｆｕｌｌｗｉｄｔｈ.com", "a\u200Cb.com", "\u0627\u0644\u0639\u0631\u0628\u064A\u0629.com", "1\u0627.com", "\u00AD.com", "x\uFF0Ey.com", "%F0%9F%92%A9.com", "xn--ls8h.la"];
  for (const host of HOSTS) test(host, () => same(`http://${JSON.parse(`"${host}"`)}/`));
});

describe("URL setters match Node's", () => {
  const SETTERS: [(typeof PARTS)[number], string[]][] = [
    ["protocol", ["https", "https:", "HTTP:", "ws:x", "ftp", "file", "", "1http"]],
    ["username", ["bob", "b o@b:", "", "é"]],
    ["password", ["s3cr:et", "", "p@ss/"]],
    ["host", ["other.com", "other.com:81", "other.com:80", "[::1]:9000", "bad host", "x:99999", "x:12ab", "x:", "", "a/b", "x.com?q"]],
    ["hostname", ["other.com", "OTHER.com", "other.com:81", "[::2]", "0x7f.1", "bad host", ""]],
    ["port", ["81", "80", "443", "", "99999", "12ab", "ab", "0"]],
    ["pathname", ["/x/y", "x", "/a/../b", "/a b/%2e", "/q?#", "\\a\\b", ""]],
    ["search", ["?a=b", "a=b c", "", "?", "#x", "?é"]],
    ["hash", ["#x", "x y", "", "#", "é`"]],
  ];
  for (const [part, values] of SETTERS) {
    for (const value of values) {
      test(`${part} = ${JSON.stringify(value)}`, () => {
        const base = "http://user:pw@example.com:8080/a/b?q=1#f";
        const expected = new NodeURL(base);
        const actual = new URL(base);
        (expected as unknown as Record<string, string>)[part] = value;
        (actual as unknown as Record<string, string>)[part] = value;
        assert.deepEqual(outcome(() => actual), outcome(() => expected));
      });
    }
  }

  test("href = an invalid URL throws a TypeError and keeps the URL", () => {
    const url = new URL("http://example.com/");
    assert.throws(() => (url.href = "nope"), TypeError);
    assert.equal(url.href, "http://example.com/");
  });
});

describe("URL and its searchParams", () => {
  test("searchParams reads the query and writes changes back", () => {
    const url = new URL("http://example.com/?a=1&b=2&a=3");
    assert.deepEqual(url.searchParams.getAll("a"), ["1", "3"]);
    url.searchParams.append("c", "x y");
    assert.equal(url.href, "http://example.com/?a=1&b=2&a=3&c=x+y");
    url.searchParams.delete("a");
    assert.equal(url.search, "?b=2&c=x+y");
    url.searchParams.delete("b");
    url.searchParams.delete("c");
    assert.equal(url.href, "http://example.com/");
  });

  test("setting search replaces searchParams' list; the object stays the same", () => {
    const url = new URL("http://example.com/?a=1");
    const params = url.searchParams;
    url.search = "?z=9";
    assert.equal(url.searchParams, params);
    assert.equal(params.get("z"), "9");
    assert.equal(params.get("a"), null);
    url.href = "http://example.com/?k=v";
    assert.equal(params.get("k"), "v");
  });

  test("canParse and parse, toString and toJSON", () => {
    assert.equal(URL.canParse("http://x/"), true);
    assert.equal(URL.canParse("/a", "http://x/"), true);
    assert.equal(URL.canParse("/a"), false);
    assert.equal(URL.parse("nope"), null);
    assert.equal(URL.parse("b", "http://x/a/")?.href, "http://x/a/b");
    const url = new URL("http://x/y");
    assert.equal(String(url), "http://x/y");
    assert.equal(JSON.stringify({ url }), '{"url":"http://x/y"}');
    assert.equal(new URL(url).href, "http://x/y");
    assert.equal(new URL("z", new URL("http://x/y/")).href, "http://x/y/z");
  });

  test("a failure is a TypeError with code ERR_INVALID_URL, like Node's", () => {
    assert.throws(() => new URL("http://[::1"), (error: TypeError & { code?: string }) => error instanceof TypeError && error.code === "ERR_INVALID_URL");
  });

  test("a non-ASCII host becomes Punycode", () => {
    assert.equal(new URL("http://bücher.example/").hostname, "xn--bcher-kva.example");
  });
});
