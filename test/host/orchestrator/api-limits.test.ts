/**
 * The checks that keep what a client sends from failing inside tsukid, without a daemon: a
 * malformed percent-encoding in a path and JSON nested deeper than the limit are refused with
 * ERR_REQUEST_MALFORMED, the nesting counted without recursion however deep it goes.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_JSON_DEPTH, checkJsonDepth, decodeSegment } from "../../../src/host/orchestrator/request-checks.ts";

const code = (c: string, message?: RegExp) => (e: { code: string; message: string }) => {
  assert.equal(e.code, c, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

describe("request checks", () => {
  test("a malformed percent-encoding is ERR_REQUEST_MALFORMED naming the segment; a good one is decoded", () => {
    assert.equal(decodeSegment("a%2Fb%20c"), "a/b c");
    assert.throws(() => decodeSegment("web%zz"), code("ERR_REQUEST_MALFORMED", /the path segment "web%zz" is not valid percent-encoding/));
    assert.throws(() => decodeSegment("%E0%A4%A"), code("ERR_REQUEST_MALFORMED"));
  });

  test("nesting is counted without recursion: the limit passes, one more level does not, even a million deep", () => {
    const nest = (levels: number) => {
      let v: unknown = 1;
      for (let i = 1; i < levels; i++) v = i % 2 ? [v] : { a: v };
      return { args: v };
    };
    checkJsonDepth(nest(MAX_JSON_DEPTH));
    assert.throws(() => checkJsonDepth(nest(MAX_JSON_DEPTH + 1)), code("ERR_REQUEST_MALFORMED", /nests objects and arrays 33 or more levels deep \(at args/));
    const deep = JSON.parse(`{"name":"x","args":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`);
    assert.throws(() => checkJsonDepth(deep), code("ERR_REQUEST_MALFORMED", /at args\[0\]\[0\]/));
    checkJsonDepth({ wide: Array.from({ length: 100_000 }, () => ({ a: [1] })) });
  });
});
