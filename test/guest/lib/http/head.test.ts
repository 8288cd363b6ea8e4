// The request-head parser (RFC 9112 §2–§5): what it accepts, each malformed case with its status,
// limits, and that feeding the bytes one at a time gives the same answer as all at once.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertLinear } from "../../../growth.ts";
import { type HeadResult, parseHead } from "../../../../src/guest/lib/http/head.ts";

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const LIMIT = 16 * 1024;

function parse(text: string, limit = LIMIT): HeadResult {
  return parseHead(bytes(text), limit);
}

/** Feeds `text` one byte more each time, resuming where the last call stopped, and returns the first final answer. */
function parseDrip(text: string, limit = LIMIT): HeadResult {
  const all = bytes(text);
  let from = 0;
  for (let n = 1; n <= all.length; n++) {
    const result = parseHead(all.subarray(0, n), limit, from);
    if (result.kind !== "incomplete") return result;
    from = result.from;
  }
  return { kind: "incomplete", from };
}

function status(text: string, limit = LIMIT): number | "ok" | "incomplete" {
  const result = parse(text, limit);
  return result.kind === "error" ? result.status : result.kind === "head" ? "ok" : "incomplete";
}

describe("request heads that parse", () => {
  test("a GET with headers: method, target, version, fields lower-cased, values trimmed", () => {
    const text = "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nX-Thing:   v a l  \r\nAccept:\r\n\r\nrest";
    const result = parse(text);
    assert.equal(result.kind, "head");
    if (result.kind !== "head") return;
    assert.deepEqual(result.head, { method: "GET", target: "/a?b=c", minor: 1, fields: [["host", "example.com"], ["x-thing", "v a l"], ["accept", ""]] });
    assert.equal(result.length, text.length - 4);
  });

  test("HTTP/1.0, no fields", () => {
    const result = parse("HEAD / HTTP/1.0\r\n\r\n");
    assert.ok(result.kind === "head" && result.head.minor === 0 && result.head.fields.length === 0);
  });

  test("one empty line before the request line is skipped (§2.2)", () => {
    const result = parse("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.ok(result.kind === "head" && result.length === 29);
  });

  test("absolute-form, asterisk-form and any token as the method", () => {
    assert.equal(status("GET http://x/y HTTP/1.1\r\nHost: x\r\n\r\n"), "ok");
    assert.equal(status("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"), "ok");
    assert.equal(status("M-SEARCH! / HTTP/1.1\r\nHost: x\r\n\r\n"), "ok");
  });

  test("obs-text in a field value is kept as Latin-1", () => {
    const result = parse("GET / HTTP/1.1\r\nX: caf\xe9\r\n\r\n");
    assert.ok(result.kind === "head");
    assert.equal(result.head.fields[0]![1], "caf\xe9");
  });

  test("a value with a long run of inner whitespace parses in linear time (no regular-expression backtracking)", () => {
    const head = (spaces: number) => `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 4 }, (_, i) => `X-${i}: a${" ".repeat(spaces)}b\r\n`).join("")}\r\n`;
    const result = parse(head(3500));
    assert.ok(result.kind === "head" && result.head.fields[1]![1].length === 3502);
    assertLinear((n) => parse(head(n)), 20_000, "a head with runs of inner whitespace");
  });

  test("an incomplete head asks for more; the resume point never skips a split CRLF CRLF", () => {
    const text = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    for (let cut = 0; cut < text.length; cut++) assert.equal(status(text.slice(0, cut)), "incomplete", `cut at ${cut}`);
    assert.deepEqual(parseDrip(text), parse(text));
  });
});

describe("malformed request heads and their status", () => {
  const CASES: [string, string, number][] = [
    ["garbage as the request line", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400],
    ["a lower-case version", "GET / http/1.1\r\n\r\n", 400],
    ["two spaces between method and target", "GET  / HTTP/1.1\r\n\r\n", 400],
    ["a tab as the separator", "GET\t/ HTTP/1.1\r\n\r\n", 400],
    ["a space in the target", "GET /a b HTTP/1.1\r\n\r\n", 400],
    ["a non-ASCII target", "GET /\xe9 HTTP/1.1\r\n\r\n", 400],
    ["a control character in the target", "GET /\x01 HTTP/1.1\r\n\r\n", 400],
    ["no version", "GET /\r\n\r\n", 400],
    ["HTTP/0.9 style", "GET /\r\n", 400],
    ["a method that is not a token", "G(E)T / HTTP/1.1\r\n\r\n", 400],
    ["a trailing space after the version", "GET / HTTP/1.1 \r\n\r\n", 400],
    ["HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 505],
    ["HTTP/0.9 with a version", "GET / HTTP/0.9\r\n\r\n", 505],
    ["HTTP/1.10", "GET / HTTP/1.10\r\n\r\n", 400],
    ["a bare LF ending the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n", 400],
    ["a bare CR in the request line", "GET /\r HTTP/1.1\r\n\r\n", 400],
    ["a bare LF in a header line", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400],
    ["a bare CR in a header value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400],
    ["obs-fold with a space", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400],
    ["obs-fold with a tab", "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", 400],
    ["whitespace before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400],
    ["a tab before the colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400],
    ["no colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", 400],
    ["an empty field name", "GET / HTTP/1.1\r\n: x\r\n\r\n", 400],
    ["a field name with a slash", "GET / HTTP/1.1\r\nX/Y: x\r\n\r\n", 400],
    ["a field name with non-ASCII", "GET / HTTP/1.1\r\nX\xe9: x\r\n\r\n", 400],
    ["NUL in a value", "GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400],
    ["DEL in a value", "GET / HTTP/1.1\r\nX: a\x7fb\r\n\r\n", 400],
    ["a control character in a value", "GET / HTTP/1.1\r\nX: a\x1bb\r\n\r\n", 400],
    ["two empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\n\r\n", 400],
    ["a lone LF before the request line", "\nGET / HTTP/1.1\r\n\r\n", 400],
  ];
  for (const [name, text, expected] of CASES) {
    test(`${name}: ${expected}`, () => {
      assert.equal(status(text), expected);
      const dripped = parseDrip(text);
      assert.ok(dripped.kind === "error" && dripped.status === expected, `one byte at a time: ${JSON.stringify(dripped)}`);
    });
  }

  test("a bad request line is refused before the head is complete", () => {
    assert.equal(status("GET /a b"), 400);
    assert.equal(status("\x16\x03\x01"), 400);
    assert.equal(status("GET / HTTP/1.1\r\n"), "incomplete");
    assert.equal(status("GET / HTTPS"), 400);
    assert.equal(status("GET / HTTP/3"), "incomplete", "HTTP/3.x would be a 505, once complete");
    assert.equal(status("GET / HTTP/1.1\r\nHost: x\r\n"), "incomplete");
  });

  test("limits: a request line over the limit is 414, a head over it is 431, at the limit it parses", () => {
    const line = `GET /${"a".repeat(100)} HTTP/1.1\r\n`;
    assert.equal(status(line.slice(0, 60), 50), 414);
    const head = `GET / HTTP/1.1\r\nHost: x\r\nX: ${"v".repeat(100)}\r\n\r\n`;
    assert.equal(status(head, head.length), "ok");
    assert.equal(status(head, head.length - 1), 431);
    assert.equal(status(head.slice(0, 80), 60), 431);
    assert.equal(parseDrip(head, 60).kind, "error");
  });
});
