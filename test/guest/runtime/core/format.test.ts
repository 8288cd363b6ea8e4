// Conformance of the guest's format/inspect against Node's util.format/util.inspect (v24).
import assert from "node:assert/strict";
import { test } from "node:test";
import util from "node:util";
import { format, formatWithOptions, inspect, type InspectOptions } from "../../../../src/guest/runtime/core/format.ts";
import { prng } from "../seeded.ts";

const OPTION_SETS: (InspectOptions | undefined)[] = [
  undefined, { depth: 0 }, { depth: null }, { compact: false }, { compact: true, breakLength: 40 }, { breakLength: Infinity },
  { sorted: true }, { maxArrayLength: 3, maxStringLength: 5 }, { compact: 1, breakLength: 60 },
];

/** Asserts that our inspect prints `value` exactly as Node's util.inspect does, under every option set. */
function assertInspectsLikeNode(value: unknown, optionSets = OPTION_SETS): void {
  for (const options of optionSets) {
    assert.equal(inspect(value, options), util.inspect(value, options), `options ${JSON.stringify(options)}`);
  }
}

class Foo {
  x = 1;
  y = "two";
}
class Sub extends Foo {}
class Tagged {
  get [Symbol.toStringTag]() {
    return "Tag";
  }
}

test("inspect prints primitives as Node does: -0, bigint, symbols, undefined and null", () => {
  for (const value of [0, -0, 1.5, NaN, -Infinity, 1e21, 2n ** 70n, -1n, true, undefined, null, Symbol("s"), Symbol(), Symbol.iterator]) {
    assertInspectsLikeNode(value);
  }
});

test("inspect quotes strings with single quotes, or double quotes or backticks when the text needs them", () => {
  for (const value of ["", "plain", "it's", `it's "quoted"`, "all ' \" `", "all ' \" ${x}", 'only "double"', "`tick`"]) {
    assertInspectsLikeNode(value);
    assertInspectsLikeNode({ key: value });
  }
});

test("inspect escapes control characters, C1 controls, backslashes and lone surrogates", () => {
  for (const value of ["a\nb\tc\rd\be\ff\v", "\x00\x01\x1b\x7f\x80\x9f", "back\\slash", "lone \uD800 and \uDFFF", "pair 😀 \uD83D", "x".repeat(200) + "\x00'"]) {
    assertInspectsLikeNode(value);
  }
});

test("inspect splits long multi-line strings into concatenated lines", () => {
  assertInspectsLikeNode("line one\nline two\n" + "x".repeat(90) + "\nend");
  assertInspectsLikeNode({ text: "short\n".repeat(20) });
});

test("inspect truncates strings longer than maxStringLength", () => {
  assertInspectsLikeNode("y".repeat(10_050), [undefined, { maxStringLength: 10 }, { maxStringLength: null }]);
});

test("inspect prints arrays: short ones on one line, holes as empty items, extra keys after the elements", () => {
  const sparse: unknown[] = [1, , 3];
  sparse[10] = 5;
  const values = [[], [1, 2, 3], [, ,], new Array(5), sparse, Object.assign([1, 2], { extra: true, [Symbol("s")]: 1 }), [undefined, null, NaN]];
  for (const value of values) assertInspectsLikeNode(value);
});

test("inspect groups arrays of more than six short entries in aligned columns", () => {
  const values = [
    [1, 2, 3, 4, 5, 6, 7], Array.from({ length: 26 }, (_, i) => i), Array.from({ length: 30 }, (_, i) => "x".repeat(i % 7)),
    [1.5, 22.25, 333.125, 4, 5, 6, 7, 8, 9, 10, 11, 12], ["中文", "日本語", "한국어", "a", "b", "c", "d"],
    ["apple", "banana", "cherry", "date", "elderberry", "fig", "grape", "honeydew"], Array.from({ length: 10 }, (_, i) => ({ i })),
    Array.from({ length: 40 }, (_, i) => BigInt(i) ** 5n),
  ];
  for (const value of values) assertInspectsLikeNode(value);
});

test("inspect prints arrays and typed arrays of a million elements as Node does", () => {
  const array = new Array(1_000_000).fill(0);
  const bytes = new Uint8Array(1_000_000);
  assert.equal(inspect(array), util.inspect(array));
  assert.equal(inspect(bytes), util.inspect(bytes));
  assert.equal(inspect(Object.assign(new Uint8Array(4), { [Symbol("s")]: 1 })), util.inspect(Object.assign(new Uint8Array(4), { [Symbol("s")]: 1 })));
});

test("inspect does not list the extra string keys of arrays longer than 65536 elements (deliberately unlike Node)", () => {
  const array = Object.assign(new Array(70_000).fill(0), { extra: 1, [Symbol.for("s")]: 2 });
  assert.ok(!inspect(array).includes("extra"));
  assert.ok(inspect(array).includes("Symbol(s): 2"));
  assert.ok(inspect(Object.assign(new Array(65_536).fill(0), { extra: 1 })).includes("extra: 1"));
});

test("inspect shows at most maxArrayLength items then '... n more items'", () => {
  assertInspectsLikeNode(Array.from({ length: 120 }, (_, i) => i * 1000));
  assertInspectsLikeNode(new Set(Array.from({ length: 102 }, (_, i) => i)));
  assertInspectsLikeNode(new Map(Array.from({ length: 101 }, (_, i) => [i, i])));
});

test("inspect prints object keys bare when they are identifiers and quoted otherwise", () => {
  assertInspectsLikeNode({ a: 1, "b-c": 2, 3: 3, valid_id: 4, "": 5, "it's": 6, "a\nb": 7, ünïcode: 8, $dollar: 9 });
  assertInspectsLikeNode(JSON.parse('{"__proto__": 1}'));
});

test("inspect prints symbol keys, getters and setters", () => {
  const value = {
    [Symbol("k")]: 1,
    [Symbol("new\nline")]: 2,
    get a() {
      return 1;
    },
    set b(_: unknown) {},
    get c() {
      return { deep: true };
    },
    set c(_: unknown) {},
    get d() {
      const error = new Error("nope");
      error.stack = "Error: nope\n    at get d (file:///app.js:1:1)";
      throw error;
    },
  };
  assertInspectsLikeNode(value, [undefined, { getters: true }, { getters: "get" }, { getters: "set" }]);
});

test("inspect names class instances and null-prototype objects", () => {
  const values = [
    new Foo(), new Sub(), new (class {})(), Object.create(null), Object.assign(Object.create(null), { a: 1 }), new Tagged(),
    { [Symbol.toStringTag]: "Own", a: 1 }, Object.create(Object.create(null)), Object.create(Foo.prototype),
  ];
  for (const value of values) assertInspectsLikeNode(value);
});

test("inspect replaces what lies beyond depth with [Object] and [Array]", () => {
  assertInspectsLikeNode({ a: { b: { c: { d: 1 } } }, list: [[[[1]]]], m: new Map([[1, { x: { y: {} } }]]) });
});

test("inspect marks cycles with <ref *n> and [Circular *n]", () => {
  const a: Record<string, unknown> = { name: "a" };
  const b: Record<string, unknown> = { name: "b", a };
  a.self = a;
  a.b = b;
  b.b = b;
  const list: unknown[] = [1];
  list.push(list);
  const map = new Map<unknown, unknown>();
  map.set("self", map);
  assertInspectsLikeNode(a);
  assertInspectsLikeNode(list);
  assertInspectsLikeNode(map);
});

test("inspect prints Map, Set and their subclasses with sizes", () => {
  class MyMap<K, V> extends Map<K, V> {}
  const values = [new Map<string, unknown>([["a", 1], ["b", { c: 2 }]]), new Set([1, "two", [3]]), new Map(), new Set(), new MyMap<number, number>([[1, 2]]), new Map([[{ k: 1 }, new Set([1])]])];
  for (const value of values) assertInspectsLikeNode(value);
});

test("inspect prints typed arrays, ArrayBuffer and DataView", () => {
  const values = [
    new Uint8Array([1, 2, 3]), new Float64Array([1.5, -0]), new BigInt64Array([1n, -2n]), new Uint8Array(0), new Uint8Array(150),
    Object.assign(new Int16Array(2), { extra: 1 }), new Uint8Array([1, 2]).buffer, new ArrayBuffer(0), new ArrayBuffer(120),
    new DataView(new ArrayBuffer(3), 1), new SharedArrayBuffer(2),
  ];
  for (const value of values) assertInspectsLikeNode(value);
  const detached = new ArrayBuffer(2);
  detached.transfer();
  assertInspectsLikeNode(detached);
});

test("inspect prints Dates, invalid Dates and RegExps, with extra keys", () => {
  for (const value of [new Date(0), new Date(NaN), Object.assign(new Date(1e12), { note: 1 }), /ab+c/gi, /[\p{L}]/v, Object.assign(/x/, { flag: 1 })]) {
    assertInspectsLikeNode(value);
  }
});

test("inspect prints errors as their stack, with cause, extra keys and a corrected name", () => {
  class MyError extends Error {}
  const renamed = new Error("x");
  renamed.name = "Custom";
  const noStack = new Error("no stack");
  noStack.stack = undefined;
  const objectStack = new Error("object stack");
  (objectStack as { stack: unknown }).stack = { weird: true };
  const deep = (n: number): Error => (n === 0 ? new Error("deep") : deep(n - 1));
  const values = [
    new Error("boom"), new TypeError("bad", { cause: new Error("inner") }), Object.assign(new RangeError("r"), { code: "E_R", extra: { a: 1 } }),
    new MyError("mine"), renamed, noStack, objectStack, new Error("outer", { cause: deep(3) }), new Error("cause is data", { cause: { a: 1 } }),
    new AggregateError([new Error("a1"), new TypeError("a2")], "many"), new Error("multi\n    at fake line"),
    Object.setPrototypeOf(new Error("null proto"), null), { nested: new Error("indented") }, [new Error("in array")],
  ];
  for (const value of values) assertInspectsLikeNode(value, [undefined, { depth: 0 }, { compact: false }]);
});

test("inspect prints functions and classes by kind and name", () => {
  const values = [
    function foo() {}, () => {}, async function af() {}, function* gf() {}, async function* agf() {}, async () => {},
    class A {}, class B extends Foo {}, class {}, Math.max, Object.assign(function withProps() {}, { p: 1 }), Object.setPrototypeOf(function np() {}, null),
    { fn: function named() {}, arrow: () => 1, cls: class Q {} },
  ];
  for (const value of values) assertInspectsLikeNode(value);
});

test("inspect prints boxed primitives as [Type: value]", () => {
  for (const value of [new Number(3), new Number(-0), new String("abc"), new Boolean(false), Object(1n), Object(Symbol("s")), Object.assign(new String("ab"), { p: 1 })]) {
    assertInspectsLikeNode(value);
  }
});

test("inspect prints WeakMap and WeakSet as <items unknown> and arguments objects as [Arguments]", () => {
  for (const value of [new WeakMap(), new WeakSet(), (function (..._: unknown[]) { return arguments; })(1, "a")]) assertInspectsLikeNode(value);
});

test("inspect prints a Promise as Promise { <unknown> } (deliberately unlike Node, whose state it cannot read)", () => {
  // Node's test runner enables async hooks, which tag every promise with symbol keys: drop them.
  const bare = <T extends object>(promise: T): T => {
    for (const symbol of Object.getOwnPropertySymbols(promise)) delete (promise as Record<symbol, unknown>)[symbol];
    return promise;
  };
  assert.equal(inspect(bare(Promise.resolve(1))), "Promise { <unknown> }");
  assert.equal(inspect(Object.assign(bare(Promise.resolve()), { tag: 1 })), "Promise { <unknown>, tag: 1 }");
});

test("inspect lets objects format themselves with Symbol.for('nodejs.util.inspect.custom')", () => {
  const custom = Symbol.for("nodejs.util.inspect.custom");
  const values = [
    { [custom]: (depth: number, options: InspectOptions) => `Custom<${depth},${options.breakLength}>` },
    { inner: { [custom]: () => ({ replaced: [1, 2] }) } },
    { inner: { [custom]: () => "line1\nline2" } },
    { self: { [custom]() { return this; }, a: 1 } },
  ];
  for (const value of values) assertInspectsLikeNode(value, [undefined, { depth: 0 }, { customInspect: false }]);
});

test("inspect breaks objects onto several lines when they do not fit in breakLength", () => {
  const values = [
    { long1: "a".repeat(30), long2: "b".repeat(30), long3: "c".repeat(30) },
    Object.fromEntries(Array.from({ length: 26 }, (_, i) => [String.fromCharCode(97 + i), i])),
    { data: [1, 2, 3], meta: { count: 3, tags: ["x", "y"], nested: { deeper: { deepest: "value" } } } },
    [{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: "x".repeat(70) }],
  ];
  for (const value of values) assertInspectsLikeNode(value);
});

test("inspect matches Node on 500 random nested values", () => {
  const random = prng(30);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const randomString = () => {
    let s = "";
    const length = Math.floor(random() * 12);
    for (let i = 0; i < length; i++) s += pick(["a", "Z", "_", " ", "'", '"', "`", "\n", "\\", "é", "中", "😀", "-", "1", "\x01"]);
    return s;
  };
  const primitive = () => pick([
    () => Math.floor(random() * 2000) - 1000, () => random() * 100, () => pick([-0, NaN, Infinity, 1e-7]),
    () => BigInt(Math.floor(random() * 1e6)), randomString, () => pick([true, false, null, undefined]),
  ])();
  for (let round = 0; round < 500; round++) {
    const pool: object[] = [];
    const make = (depth: number): unknown => {
      if (depth > 4 || random() < 0.35) return pool.length > 0 && random() < 0.05 ? pick(pool) : primitive();
      const kind = Math.floor(random() * 8);
      const size = Math.floor(random() * (random() < 0.2 ? 30 : 5));
      let node: object;
      if (kind <= 1) node = Array.from({ length: size }, () => make(depth + 1));
      else if (kind === 2) node = new Map(Array.from({ length: size }, () => [make(depth + 2), make(depth + 1)]));
      else if (kind === 3) node = new Set(Array.from({ length: size }, () => make(depth + 1)));
      else if (kind === 4) node = new Float32Array(size).map(() => Math.floor(random() * 100) / 4);
      else if (kind === 5) node = Object.assign(new Foo(), { z: make(depth + 1) });
      else node = Object.fromEntries(Array.from({ length: size }, () => [pick(["a", "key", "b-c", "0", "12", "_x", randomString()]), make(depth + 1)]));
      pool.push(node);
      return node;
    };
    const value = make(0);
    for (const options of [undefined, { depth: 4 }, { compact: false }, { breakLength: 40 }]) {
      assert.equal(inspect(value, options), util.inspect(value, options), `round ${round} options ${JSON.stringify(options)}`);
    }
  }
});

test("format substitutes %s %d %i %f %j %o %O %c and %% as Node does", () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const cases: unknown[][] = [
    ["%s", "str"], ["%s", 42], ["%s", -0], ["%s", 1n], ["%s", Symbol("s")], ["%s", null], ["%s", undefined], ["%s", { a: { b: 1 } }],
    ["%s", [1, [2, [3]]]], ["%s", new Error("e")], ["%s", { toString() { return "custom"; } }],
    ["%s", new (class X { toString() { return "X!"; } })()], ["%s", new Date(0)], ["%s", () => 1], ["%s", new Map([[1, 2]])],
    ["%s", Object.create(null)], ["%s", { [Symbol.toPrimitive]: () => "prim" }],
    ["%d", "42"], ["%d", 1.5], ["%d", 1n], ["%d", Symbol()], ["%d", {}], ["%d", "0x10"], ["%d", -0],
    ["%i", "42.9"], ["%i", 1n], ["%i", "abc"], ["%i", Symbol()], ["%i", -0.5], ["%f", "1.5e3"], ["%f", Symbol()], ["%f", "x"],
    ["%j", { a: [1] }], ["%j", undefined], ["%j", circular], ["%o", [1, { a: 2 }]], ["%o", { a: { b: { c: { d: { e: { f: 1 } } } } } }],
    ["%o", function foo() {}], ["%O", { a: { b: { c: { d: 1 } } } }], ["%c styled", "color: red"],
  ];
  for (const args of cases) assert.equal(format(...args), util.format(...args), util.inspect(args));
});

test("format leaves unmatched placeholders and lone percent signs as written", () => {
  const cases: unknown[][] = [
    ["100%%"], ["100%%", 1], ["%s %s", "only"], ["%x %s", "a"], ["%", 1], ["a%", 1], ["%s"], ["%%s", 1], ["%%%s", 1], ["%s%", "a"], ["%d%d", 1],
  ];
  for (const args of cases) assert.equal(format(...args), util.format(...args), util.inspect(args));
});

test("format appends extra arguments with spaces, strings bare and the rest inspected", () => {
  const cases: unknown[][] = [
    ["%s:%s", "a", "b", "c", { d: 1 }], [1, "a", { b: 2 }], [{ a: 1 }, "text"], ["no placeholders", 1, "two", [3]], [],
    [Symbol("first")], [null, undefined], ["%s", "a\nb"], ["é%s", "x"], ["a", "b"], [new Error("first")],
  ];
  for (const args of cases) assert.equal(format(...args), util.format(...args), util.inspect(args));
});

test("formatWithOptions passes its options to inspect", () => {
  const value = { a: { b: { c: { d: 1 } } } };
  assert.equal(formatWithOptions({ depth: 0 }, "%O and", value, value), util.formatWithOptions({ depth: 0 }, "%O and", value, value));
  assert.throws(() => formatWithOptions(null as never, "x"), TypeError);
});
