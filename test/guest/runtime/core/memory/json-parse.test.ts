/**
 * The guest runtime's JSON.parse for texts whose result could outgrow the budget
 * (src/guest/runtime/core/memory/json-parse.ts), compared with V8's JSON.parse on the same texts: the same
 * values, the same errors, the same reviver calls with the same source-text context.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseInGuest } from "../../../../../src/guest/runtime/core/memory/json-parse.ts";

const VALID = [
  "0", "-0", "1.5e3", "-12.25E-2", "1e400", "123456789012345678901234567890", '"a"', '""', "true", "false", "null",
  ' \t\n\r[ 1 , "two" , [ ] , { } , null ] ', '{"a":1,"b":[true,false],"c":{"d":"e"}}', '{"a":1,"a":2}',
  '"\\u0041\\n\\t\\"\\\\\\/\\b\\f\\r"', '"\\ud83d\\ude00 and a lone \\ud800"', '"é and 😀 raw"', '{"__proto__":{"x":1}}',
  '{"constructor":1,"toString":2,"0":3,"1e3":4}', "[[[[[[[[[[1]]]]]]]]]]",
];

const INVALID = [
  "", " ", "[1,]", '{"a" 1}', '{"a":1,}', "[1 2]", "01", "[01]", "1.", "1.x", "1e", "1e+", "-", "-a", "+1", ".5", "tru", "nul", "trux", "[tru]", '{"a":tru',
  '"abc', '"a\\x"', '"\\', '"\\u', '"\\u1', '"\\u12"', '"\u0001"', '"a\nb"', "{a:1}", "[1]]", "'a'", "NaN", " NaN", "Infinity", "undefined", "[object Object]",
  "[", "{", '{"a"', "[1", '{"a":1', "[1,\n2,\n]", "x".repeat(60), `["${"x".repeat(50)}",]`, `[${"1,".repeat(20)}x${",1".repeat(20)}]`,
];

test("the same values as V8's JSON.parse, with every key an own data property (__proto__ too)", () => {
  for (const text of VALID) assert.deepStrictEqual(parseInGuest(text), JSON.parse(text), text);
  const proto = parseInGuest('{"__proto__":{"x":1}}') as object;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyNames(proto), ["__proto__"]);
});

test("a SyntaxError wherever V8 throws one, with V8's message", () => {
  for (const text of INVALID) {
    let expected: Error | undefined;
    try {
      JSON.parse(text);
    } catch (error) {
      expected = error as Error;
    }
    assert.ok(expected instanceof SyntaxError, `V8 accepts ${JSON.stringify(text)}`);
    assert.throws(() => parseInGuest(text), (error: Error) => error instanceof SyntaxError && error.message === expected.message, `${JSON.stringify(text)}: V8 says ${expected.message}`);
  }
});

test("the reviver sees the same keys, values, holders and source-text context, in the same order, and its results are kept", () => {
  const text = '{"a":[1.50,"x",true,null,{"b":-0}],"c":{},"d":2}';
  const calls = (parse: (t: string, r: (this: unknown, k: string, v: unknown, c: unknown) => unknown) => unknown) => {
    const seen: unknown[] = [];
    const result = parse(text, function (key, value, context) {
      seen.push([key, JSON.stringify(value), JSON.stringify(context), Array.isArray(this)]);
      if (key === "0" && Array.isArray(this)) this[1] = "changed"; // the changed value loses its source
      if (key === "d") return undefined;
      return typeof value === "number" ? value * 2 : value;
    });
    return { seen, result };
  };
  assert.deepStrictEqual(calls((t, r) => parseInGuest(t, r)), calls((t, r) => JSON.parse(t, r as never)));
});

test("deep nesting is bounded by memory, not by the call stack", () => {
  const depth = 200_000;
  let value = parseInGuest("[".repeat(depth) + "]".repeat(depth)) as unknown[];
  let levels = 1;
  while (value.length === 1) (value = value[0] as unknown[]), levels++;
  assert.equal(levels, depth);
});
