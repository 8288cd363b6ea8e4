// Message framing (RFC 9112 §6, §9.3) and the request URL (§3.2–§3.3): body length, the refusals
// that stop request smuggling, keep-alive, Expect, Host.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertLinear } from "../../../growth.ts";
import type { ProtocolError } from "../../../../src/guest/lib/http/errors.ts";
import { type Framing, frameRequest } from "../../../../src/guest/lib/http/framing.ts";
import type { RequestHead } from "../../../../src/guest/lib/http/head.ts";
import { requestUrl } from "../../../../src/guest/lib/http/target.ts";

function head(fields: [string, string][], minor = 1, method = "POST", target = "/"): RequestHead {
  return { method, target, minor, fields: fields.map(([n, v]) => [n.toLowerCase(), v]) };
}

const MAX = 1000;
const frame = (fields: [string, string][], minor = 1): Framing | ProtocolError => frameRequest(head(fields, minor), MAX);
const statusOf = (result: Framing | ProtocolError) => (result.kind === "error" ? result.status : "ok");
const bodyOf = (result: Framing | ProtocolError) => (result.kind === "framing" ? result.body : result);

describe("body length", () => {
  test("no Content-Length and no Transfer-Encoding: no body", () => assert.deepEqual(bodyOf(frame([])), { kind: "none" }));
  test("Content-Length: n", () => assert.deepEqual(bodyOf(frame([["Content-Length", "42"]])), { kind: "length", length: 42 }));
  test("Content-Length: 0 is no body", () => assert.deepEqual(bodyOf(frame([["Content-Length", "0"]])), { kind: "none" }));
  test("leading zeros are a number", () => assert.deepEqual(bodyOf(frame([["Content-Length", "007"]])), { kind: "length", length: 7 }));
  test("identical repeated values are one (RFC 9110 §8.6)", () => {
    assert.deepEqual(bodyOf(frame([["Content-Length", "5"], ["Content-Length", "5"]])), { kind: "length", length: 5 });
    assert.deepEqual(bodyOf(frame([["Content-Length", "5, 5"]])), { kind: "length", length: 5 });
  });
  test("Transfer-Encoding: chunked, in any case", () => assert.deepEqual(bodyOf(frame([["Transfer-Encoding", "Chunked"]])), { kind: "chunked" }));
  test("the body limit: exactly at it is fine, over it is 413", () => {
    assert.equal(statusOf(frame([["Content-Length", String(MAX)]])), "ok");
    assert.equal(statusOf(frame([["Content-Length", String(MAX + 1)]])), 413);
    assert.equal(statusOf(frame([["Content-Length", "99999999999999999999999"]])), 413);
  });
});

describe("framing that is refused", () => {
  const CASES: [string, [string, string][], number, number?][] = [
    ["Content-Length and Transfer-Encoding together (§6.3)", [["Content-Length", "5"], ["Transfer-Encoding", "chunked"]], 400],
    ["Transfer-Encoding and Content-Length, the other way round", [["Transfer-Encoding", "chunked"], ["Content-Length", "0"]], 400],
    ["differing Content-Length fields", [["Content-Length", "5"], ["Content-Length", "6"]], 400],
    ["a list of differing Content-Length values", [["Content-Length", "5, 6"]], 400],
    ["textually different equal values", [["Content-Length", "5"], ["Content-Length", "05"]], 400],
    ["a negative Content-Length", [["Content-Length", "-1"]], 400],
    ["a signed Content-Length", [["Content-Length", "+5"]], 400],
    ["a hex Content-Length", [["Content-Length", "0x10"]], 400],
    ["a decimal point", [["Content-Length", "5.0"]], 400],
    ["an empty Content-Length", [["Content-Length", ""]], 400],
    ["digits and a space inside", [["Content-Length", "1 2"]], 400],
    ["chunked not last", [["Transfer-Encoding", "chunked, gzip"]], 400],
    ["chunked twice", [["Transfer-Encoding", "chunked"], ["Transfer-Encoding", "chunked"]], 400],
    ["only gzip", [["Transfer-Encoding", "gzip"]], 400],
    ["identity", [["Transfer-Encoding", "identity"]], 400],
    ["chunked with a parameter", [["Transfer-Encoding", "chunked;q=1"]], 400],
    ["a misspelt chunked", [["Transfer-Encoding", "chunkedx"]], 400],
    ["an empty Transfer-Encoding", [["Transfer-Encoding", ""]], 400],
    ["gzip then chunked: not implemented (§6.1)", [["Transfer-Encoding", "gzip, chunked"]], 501],
    ["Transfer-Encoding in HTTP/1.0 (§6.1)", [["Transfer-Encoding", "chunked"]], 400, 0],
    ["an expectation other than 100-continue", [["Expect", "something"]], 417],
  ];
  for (const [name, fields, status, minor] of CASES) test(`${name}: ${status}`, () => assert.equal(statusOf(frame(fields, minor)), status));
});

describe("list values", () => {
  test("a long run of spaces inside a list value is trimmed in linear time", () => {
    assert.equal((frame([["Connection", `keep-alive${" ".repeat(16000)}x, close`]]) as Framing).keepAlive, false);
    assertLinear((n) => frame([["Connection", `keep-alive${" ".repeat(n)}x, close`]]), 1_000_000, "Connection with a run of spaces");
  });
});

describe("keep-alive and Expect", () => {
  const keepAlive = (fields: [string, string][], minor = 1) => (frame(fields, minor) as Framing).keepAlive;
  test("HTTP/1.1 persists by default", () => assert.equal(keepAlive([]), true));
  test("Connection: close ends it, in any case and in a list", () => {
    assert.equal(keepAlive([["Connection", "close"]]), false);
    assert.equal(keepAlive([["Connection", "Upgrade, CLOSE"]]), false);
  });
  test("HTTP/1.0 closes unless it asks for keep-alive", () => {
    assert.equal(keepAlive([], 0), false);
    assert.equal(keepAlive([["Connection", "Keep-Alive"]], 0), true);
    assert.equal(keepAlive([["Connection", "keep-alive, close"]], 0), false);
  });
  test("Expect: 100-continue with a body; ignored without a body and in HTTP/1.0", () => {
    assert.equal((frame([["Expect", "100-Continue"], ["Content-Length", "3"]]) as Framing).expectContinue, true);
    assert.equal((frame([["Expect", "100-continue"]]) as Framing).expectContinue, false);
    assert.equal((frame([["Expect", "100-continue"], ["Content-Length", "3"]], 0) as Framing).expectContinue, false);
    assert.equal(statusOf(frame([["Expect", "other"]], 0)), "ok");
  });
});

describe("the request URL from its target and Host", () => {
  const url = (target: string, fields: [string, string][], minor = 1, method = "GET") => {
    const result = requestUrl(head(fields, minor, method, target), "http", "10.0.0.1:8080");
    return typeof result === "string" ? result : result.status;
  };
  test("origin-form joins the Host", () => assert.equal(url("/a/../b?c=d%20e", [["Host", "Example.COM:80"]]), "http://example.com/b?c=d%20e"));
  test("an origin-form target that looks scheme-relative stays a path", () => assert.equal(url("//evil.example/x", [["Host", "good.example"]]), "http://good.example//evil.example/x"));
  test("a backslash target stays on the Host", () => assert.equal(url("/\\evil.example/x", [["Host", "good.example"]]), "http://good.example//evil.example/x"));
  test("absolute-form ignores the Host", () => assert.equal(url("http://other.example:8080/p", [["Host", "good.example"]]), "http://other.example:8080/p"));
  test("asterisk-form for OPTIONS", () => {
    assert.equal(url("*", [["Host", "x"]], 1, "OPTIONS"), "http://x/");
    assert.equal(url("*", [["Host", "x"]]), 400);
  });
  test("HTTP/1.1 without Host is a 400; HTTP/1.0 falls back to the listener's address", () => {
    assert.equal(url("/", []), 400);
    assert.equal(url("/", [], 0), "http://10.0.0.1:8080/");
  });
  test("two Host fields, or an invalid one, are a 400", () => {
    assert.equal(url("/", [["Host", "a"], ["Host", "a"]]), 400);
    for (const host of ["", "a b", "a@b", "a/b", "a:b:c", "[::1", "a:8x", "a:99999", "é.example", "a?b", "a#b"]) assert.equal(url("/", [["Host", host]]), 400, host);
  });
  test("IPv6 and IPv4 hosts", () => {
    assert.equal(url("/", [["Host", "[::1]:81"]]), "http://[::1]:81/");
    assert.equal(url("/", [["Host", "127.1"]]), "http://127.0.0.1/");
  });
  test("an absolute-form target of another scheme, or authority-form, is a 400", () => {
    assert.equal(url("ftp://x/", [["Host", "x"]]), 400);
    assert.equal(url("example.com:443", [["Host", "x"]]), 400);
  });
});
