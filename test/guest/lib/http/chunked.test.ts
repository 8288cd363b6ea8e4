// The chunked transfer coding decoder (RFC 9112 §7.1): data, extensions, trailers, limits, errors,
// and that any split of the input gives the same result.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ChunkedDecoder } from "../../../../src/guest/lib/http/chunked.ts";
import { prng } from "../../runtime/seeded.ts";

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (parts: Uint8Array[]) => parts.map((p) => String.fromCharCode(...p)).join("");

/** Decodes `input` cut into pieces at `cuts`; returns the body and the bytes left over, or the error status. */
function decode(input: string, cuts: number[] = [], max = 1000, maxTrailer = 100): { body: string; rest: string } | number | "incomplete" {
  const decoder = new ChunkedDecoder(max, maxTrailer);
  const all = bytes(input);
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < all.length).sort((a, b) => a - b), all.length];
  let body = "";
  let pending = new Uint8Array(0);
  for (let i = 1; i < bounds.length; i++) {
    const piece = new Uint8Array([...pending, ...all.subarray(bounds[i - 1], bounds[i])]);
    const progress = decoder.push(piece);
    if (progress.kind === "error") return progress.status;
    body += text(progress.data);
    pending = piece.subarray(progress.consumed);
    if (progress.done) return { body, rest: String.fromCharCode(...pending, ...all.subarray(bounds[i])) };
  }
  return "incomplete";
}

describe("chunked bodies that decode", () => {
  test("chunks, the last chunk, and what follows left for the next request", () => {
    assert.deepEqual(decode("5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\nGET /"), { body: "hello, world", rest: "GET /" });
  });
  test("hex sizes in either case, with leading zeros", () => assert.deepEqual(decode("0A\r\n0123456789\r\na\r\nabcdefghij\r\n000\r\n\r\n"), { body: "0123456789abcdefghij", rest: "" }));
  test("chunk extensions are parsed and ignored (§7.1.1)", () => {
    for (const ext of [";a", ";a=b", ";a=\"quoted ; \\\" value\"", " ; a = b ;c", ";a=b;c=\"\""]) assert.deepEqual(decode(`3${ext}\r\nabc\r\n0${ext}\r\n\r\n`), { body: "abc", rest: "" }, ext);
  });
  test("trailer fields are read and dropped (§7.1.2)", () => assert.deepEqual(decode("1\r\nx\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\nnext"), { body: "x", rest: "next" }));
  test("an empty body", () => assert.deepEqual(decode("0\r\n\r\n"), { body: "", rest: "" }));
  test("a body exactly at the limit", () => assert.deepEqual(decode(`3\r\nabc\r\n0\r\n\r\n`, [], 3), { body: "abc", rest: "" }));
  test("every way of cutting the input in two, and 500 seeded random cuttings, decode alike", () => {
    const input = "4;x=y\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\nNEXT";
    const whole = decode(input);
    assert.deepEqual(whole, { body: "Wikipedia in\r\n\r\nchunks.", rest: "NEXT" });
    for (let i = 1; i < input.length; i++) assert.deepEqual(decode(input, [i]), whole, `cut at ${i}`);
    const random = prng(0xc4);
    for (let n = 0; n < 500; n++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 10) }, () => Math.floor(random() * input.length));
      assert.deepEqual(decode(input, cuts), whole, `cuts ${cuts}`);
    }
  });
  test("an unfinished body asks for more", () => assert.equal(decode("5\r\nhel"), "incomplete"));
});

describe("chunked bodies that are refused", () => {
  const CASES: [string, string, number][] = [
    ["a size that is not hex", "g\r\nx\r\n0\r\n\r\n", 400],
    ["an empty size", "\r\nx\r\n0\r\n\r\n", 400],
    ["a negative size", "-1\r\nx\r\n0\r\n\r\n", 400],
    ["a 0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", 400],
    ["a space inside the size", "1 0\r\n", 400],
    ["whitespace after the size", "5 \r\nhello\r\n0\r\n\r\n", 400],
    ["a size that overflows", "ffffffffffffffffffff\r\n", 413],
    ["a size over the body limit", "3e9\r\n", 413],
    ["sizes that add up past the limit", "1f4\r\n" + "x".repeat(500) + "\r\n1f5\r\n", 413],
    ["a bare LF after the size", "5\nhello\r\n0\r\n\r\n", 400],
    ["a bare CR in the size line", "5\r;a\r\nhello\r\n0\r\n\r\n", 400],
    ["data longer than its size", "3\r\nhello\r\n0\r\n\r\n", 400],
    ["data not followed by CRLF", "5\r\nhelloXY0\r\n\r\n", 400],
    ["data followed by a bare LF", "5\r\nhello\n0\r\n\r\n", 400],
    ["an extension without a name", "5;\r\nhello\r\n0\r\n\r\n", 400],
    ["an extension name that is not a token", "5;a b\r\nhello\r\n0\r\n\r\n", 400],
    ["an extension with an empty value", "5;a=\r\nhello\r\n0\r\n\r\n", 400],
    ["an unterminated quoted extension", "5;a=\"x\r\nhello\r\n0\r\n\r\n", 400],
    ["a control character in an extension", "5;a=\x01\r\nhello\r\n0\r\n\r\n", 400],
    ["a trailer with obs-fold", "0\r\nX: a\r\n b\r\n\r\n", 400],
    ["a trailer without a colon", "0\r\nX a\r\n\r\n", 400],
    ["a trailer with a bare LF", "0\r\nX: a\n\r\n", 400],
    ["a trailer section over its limit", "0\r\n" + "X: aaaaaaaaa\r\n".repeat(10) + "\r\n", 431],
    ["a very long size line", "5;" + "a".repeat(5000) + "\r\n", 400],
  ];
  for (const [name, input, status] of CASES) {
    test(`${name}: ${status}`, () => {
      assert.equal(decode(input), status);
      assert.equal(decode(input, Array.from({ length: input.length }, (_, i) => i)), status, "one byte at a time");
    });
  }
});
