// A request's URL from its origin-form target and Host (tsuki/http's requestUrl) against Node's
// WHATWG URL parsing "scheme://host" + target: plain targets take a shortcut that skips the
// parser, and on a seeded corpus of targets mixing every character class that matters (dot
// segments, percent escapes, characters the parser encodes) both ways must agree exactly.
import assert from "node:assert/strict";
import { test } from "node:test";
import { requestUrl } from "../../../../src/guest/lib/http/target.ts";
import { prng } from "../../runtime/seeded.ts";

const head = (target: string, host: string) => ({ method: "GET", target, minor: 1, fields: [["host", host]] as [string, string][] });

function same(target: string, host = "Example.COM:80", scheme = "http"): void {
  let expected: string | null;
  try {
    expected = new URL(`${scheme}://${host}${target}`).href;
  } catch {
    expected = null;
  }
  const actual = requestUrl(head(target, host), scheme, "fallback:1");
  assert.equal(typeof actual === "string" ? actual : null, expected, `${scheme}://${host} + ${JSON.stringify(target)}`);
}

test("fixed targets: plain ones, dot segments plain and escaped, characters the parser encodes", () => {
  for (const target of ["/", "/a/b?c=d&e", "/a//b/", "//evil.example/x", "/a/./b", "/a/../b", "/..", "/a/.", "/%2e%2E/x", "/%2E", "/.%2e/",
    "/a%20b", "/a b", "/a\"b", "/a<b>", "/a`b", "/a{b}", "/a|b", "/a^b", "/a\\b", "/a#frag", "/?q='x'", "/p'q", "/%zz", "/~user/!$&()*+,;=:@",
    "/?a=/./b", "/?a=..", "/é", "/\u0000"]) {
    same(target);
  }
  for (const host of ["example.com", "EXAMPLE.com:8080", "127.0.0.1", "0x7f.1:80", "[::1]:443", "[0:0::1]", "h:", "a.b.c."]) same("/x?y", host);
  same("/x", "example.com:443", "https");
});

test("seeded random targets agree with Node's URL", () => {
  const random = prng(0x75726c);
  const alphabet = ["a", "Z", "0", "/", "/", ".", "..", "%", "%2e", "%2E", "%41", "?", "&", "=", "-", "_", "~", "!", "$", "'", "(", "*", "+", ",", ";", ":", "@", " ", '"', "<", "`", "{", "|", "^", "\\", "#", "é"];
  for (let i = 0; i < 3000; i++) {
    let target = "/";
    const length = Math.floor(random() * 12);
    for (let j = 0; j < length; j++) target += alphabet[Math.floor(random() * alphabet.length)];
    same(target);
  }
});
