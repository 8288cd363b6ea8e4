// Conformance of the guest's structuredClone against Node's own (HTML structured clone, V8 serializer).
import assert from "node:assert/strict";
import { test } from "node:test";
import { structuredClone } from "../../../../src/guest/runtime/web/clone.ts";
import { DOMException } from "../../../../src/guest/runtime/web/dom-exception.ts";
import { prng, assertDOMException } from "../seeded.ts";

const nodeClone = globalThis.structuredClone;
const NodeDOMException = globalThis.DOMException;

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrays = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array,
  BigInt64Array, BigUint64Array, ...("Float16Array" in globalThis ? [(globalThis as unknown as { Float16Array: typeof Float32Array }).Float16Array] : []),
];
const intrinsicPrototypes = new Map<unknown, string>([
  [Object.prototype, "Object"], [Array.prototype, "Array"], [Map.prototype, "Map"], [Set.prototype, "Set"],
  [Date.prototype, "Date"], [RegExp.prototype, "RegExp"], [ArrayBuffer.prototype, "ArrayBuffer"], [DataView.prototype, "DataView"],
  [Number.prototype, "Number"], [String.prototype, "String"], [Boolean.prototype, "Boolean"], [BigInt.prototype, "BigInt"],
  [Error.prototype, "Error"], [EvalError.prototype, "EvalError"], [RangeError.prototype, "RangeError"],
  [ReferenceError.prototype, "ReferenceError"], [SyntaxError.prototype, "SyntaxError"], [TypeError.prototype, "TypeError"],
  [URIError.prototype, "URIError"], [null, "null"], ...typedArrays.map((t) => [t.prototype, t.name] as const),
]);

/**
 * A canonical, identity-aware description of a value graph: every object gets an id in visit order,
 * later visits are `{ ref: id }`, so two dumps are equal only if the graphs have the same shape,
 * types, prototypes, property attributes, contents, shared references and cycles.
 */
function dump(root: unknown): unknown {
  const ids = new Map<object, number>();
  const visit = (v: unknown): unknown => {
    if (typeof v === "number") return Object.is(v, -0) ? "-0" : Number.isNaN(v) ? "NaN" : v;
    if (typeof v === "bigint") return `${v}n`;
    if (v === null || (typeof v !== "object" && typeof v !== "function")) return { [typeof v]: v };
    const seen = ids.get(v);
    if (seen !== undefined) return { ref: seen };
    const id = ids.size;
    ids.set(v, id);
    const proto = Object.getPrototypeOf(v);
    const node: Record<string, unknown> = { id, proto: intrinsicPrototypes.get(proto) ?? "other" };
    const typed = ArrayBuffer.isView(v) && !(v instanceof DataView);
    node.props = Reflect.ownKeys(v)
      .filter((key) => !(typed && typeof key === "string" && /^\d+$/.test(key)))
      .map((key) => {
        const d = Object.getOwnPropertyDescriptor(v, key)!;
        return [String(key), d.enumerable, d.configurable, "value" in d ? [d.writable, visit(d.value)] : "accessor"];
      });
    if (v instanceof Map) node.entries = [...v].map(([k, x]) => [visit(k), visit(x)]);
    if (v instanceof Set) node.values = [...v].map(visit);
    if (v instanceof Date) node.time = visit(v.getTime());
    if (v instanceof RegExp) node.regexp = [v.source, v.flags, v.lastIndex];
    if (v instanceof ArrayBuffer) {
      node.buffer = v.detached ? "detached" : [v.byteLength, v.resizable, v.maxByteLength, [...new Uint8Array(v)]];
    }
    if (ArrayBuffer.isView(v)) {
      const view = v as ArrayBufferView & { length?: number };
      node.view = [Object.prototype.toString.call(v), visit(view.buffer), view.byteOffset, view.byteLength, view.length];
    }
    for (const box of [Number, String, Boolean, BigInt]) {
      try {
        node.boxed = visit((box.prototype.valueOf as () => unknown).call(v));
      } catch {}
    }
    if (v instanceof Error) node.error = [v.name, visit(v.message), visit(v.stack)];
    return node;
  };
  return visit(root);
}

/** What a call threw (class, name, and a DOMException's legacy code), or its dump. */
function outcome(fn: () => unknown): unknown {
  try {
    return { value: dump(fn()) };
  } catch (error) {
    const code = error instanceof DOMException || error instanceof NodeDOMException ? error.code : undefined;
    return { threw: (error as Error).constructor.name, name: (error as Error).name, code };
  }
}

function assertClonesLikeNode(value: unknown, message?: string): void {
  assert.deepEqual(dump(structuredClone(value)), dump(nodeClone(value)), message);
}

const assertDataCloneError = (fn: () => unknown, message?: string) => assertDOMException(fn, "DataCloneError", 25, message);

test("structuredClone returns primitives unchanged, bigint and -0 included", () => {
  for (const value of [undefined, null, true, false, 0, -0, NaN, Infinity, 1.5, 10n ** 30n, -1n, "", "a\uD800b😀"]) {
    assert.ok(Object.is(structuredClone(value), value), String(value));
  }
});

test("structuredClone clones primitive wrappers like Node, without their extra properties", () => {
  const str = Object.assign(new String("ab"), { extra: 1 });
  for (const value of [new Number(-0), new Number(NaN), new Boolean(false), str, Object(12n)]) assertClonesLikeNode(value);
});

test("structuredClone clones Dates, invalid ones included", () => {
  for (const value of [new Date(0), new Date(8.64e15), new Date(NaN), Object.assign(new Date(5), { extra: 1 })]) assertClonesLikeNode(value);
});

test("structuredClone clones RegExps with source and flags but not lastIndex or extra properties", () => {
  const sticky = /a(?<x>b)/dgimsuy;
  sticky.lastIndex = 3;
  for (const value of [/x/, sticky, /[\p{L}--[a-z]]/v, new RegExp("/", "g"), Object.assign(/q/, { extra: 1 })]) assertClonesLikeNode(value);
});

test("structuredClone copies ArrayBuffers, resizable ones with their maximum", () => {
  const resizable = new ArrayBuffer(4, { maxByteLength: 16 });
  new Uint8Array(resizable).set([1, 2, 3, 4]);
  for (const value of [new ArrayBuffer(0), new Uint8Array([1, 2, 3]).buffer, resizable]) assertClonesLikeNode(value);
  const copy = structuredClone(resizable);
  copy.resize(16);
  assert.equal(resizable.byteLength, 4);
});

test("structuredClone clones every typed array and DataView with its offset and length", () => {
  const buffer = new ArrayBuffer(64);
  new Uint8Array(buffer).forEach((_, i, a) => (a[i] = i * 7));
  for (const Type of typedArrays) {
    assertClonesLikeNode(new Type(buffer, 8, 2), Type.name);
    assertClonesLikeNode(new Type(0), Type.name);
  }
  assertClonesLikeNode(new DataView(buffer, 3, 9));
  assertClonesLikeNode(new DataView(new ArrayBuffer(0)));
});

test("structuredClone keeps views of one buffer sharing one cloned buffer", () => {
  const buffer = new ArrayBuffer(16);
  const value = { a: new Uint8Array(buffer, 0, 4), b: new Float64Array(buffer, 8, 1), c: new DataView(buffer), buffer };
  assertClonesLikeNode(value);
  const copy = structuredClone(value);
  assert.equal(copy.a.buffer, copy.buffer);
  assert.equal(copy.b.buffer, copy.buffer);
  copy.a[0] = 9;
  assert.equal(new Uint8Array(buffer)[0], 0);
});

test("structuredClone clones Maps and Sets with object keys and members", () => {
  const key = { k: 1 };
  const map = new Map<unknown, unknown>([[key, "v"], ["k", key], [NaN, -0], [1n, new Date(1)]]);
  const set = new Set<unknown>([key, "x", map, -0]);
  assertClonesLikeNode(map);
  assertClonesLikeNode(set);
  assertClonesLikeNode({ map, set });
});

test("structuredClone keeps array length, holes and extra properties", () => {
  const holes = [1, , 3, , ,];
  const extra = Object.assign([1, 2], { x: "y", [Symbol("s")]: 1, "-1": "neg", "4294967295": "big" });
  const sparse: unknown[] = [];
  sparse[1000] = "far";
  for (const value of [[], holes, extra, sparse, new Array(5), [[1, [2]], { a: [] }]]) assertClonesLikeNode(value);
});

test("structuredClone copies own enumerable string keys of objects into a plain Object", () => {
  class Point {
    x = 1;
    #secret = 2;
    get y() {
      return this.#secret;
    }
  }
  const withAccessors = Object.defineProperties({ plain: 1 } as Record<string, unknown>, {
    getter: { get: () => "got", enumerable: true },
    hidden: { value: "no", enumerable: false },
    [Symbol("s")]: { value: "no", enumerable: true },
  });
  const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
  const order = { b: 1, 2: "two", a: 2, 1: "one", [Symbol.iterator]: 0 };
  for (const value of [{}, new Point(), withAccessors, nullProto, order, Object.create({ inherited: 1 })]) assertClonesLikeNode(value);
});

test("structuredClone creates an own __proto__ key instead of setting the prototype", () => {
  const value = JSON.parse('{"__proto__": {"polluted": true}, "toString": 1}') as object;
  assertClonesLikeNode(value);
  assert.equal(Object.getPrototypeOf(structuredClone(value)), Object.prototype);
});

test("structuredClone clones errors like Node: constructor by name, message, stack and cause", () => {
  const renamed = new Error("m");
  renamed.name = "RangeError";
  const custom = new TypeError("m");
  custom.name = "Custom";
  const extra = Object.assign(new Error("m"), { code: "E_X" });
  const noStack = new Error("m");
  noStack.stack = 5 as never;
  const numberMessage = new Error();
  Object.defineProperty(numberMessage, "message", { value: 42, writable: true, configurable: true });
  class MyError extends Error {}
  const cases = [
    new Error("plain"), new EvalError("e"), new RangeError("r"), new ReferenceError("r"), new SyntaxError("s"),
    new TypeError("t"), new URIError("u"), new Error(), renamed, custom, extra, noStack, numberMessage,
    new MyError("sub"), new Error("with cause", { cause: { deep: [1] } }), new Error("undefined cause", { cause: undefined }),
    new AggregateError([new Error("a")], "agg"),
  ];
  for (const value of cases) assertClonesLikeNode(value, value.message);
});

test("structuredClone keeps cycles through an error's cause", () => {
  const error = new Error("cycle");
  error.cause = error;
  assertClonesLikeNode(error);
  const holder: Record<string, unknown> = {};
  holder.error = new Error("c", { cause: holder });
  assertClonesLikeNode(holder);
});

test("structuredClone clones a DOMException as a DOMException with name, message and stack", () => {
  const original = new DOMException("gone", "NotFoundError");
  const copy = structuredClone(original);
  assert.ok(copy instanceof DOMException);
  assert.notEqual(copy, original);
  assert.equal(copy.name, "NotFoundError");
  assert.equal(copy.message, "gone");
  assert.equal(copy.code, 8);
  assert.equal(copy.stack, original.stack);
  const nodeCopy = nodeClone(new NodeDOMException("gone", "NotFoundError"));
  assert.deepEqual([copy.name, copy.message, copy.code], [nodeCopy.name, nodeCopy.message, nodeCopy.code]);
});

test("structuredClone preserves shared references and cycles", () => {
  const shared = { s: 1 };
  const self: Record<string, unknown> = { shared, again: shared };
  self.self = self;
  const array: unknown[] = [shared];
  array.push(array);
  const map = new Map<unknown, unknown>();
  map.set(map, map);
  const set = new Set<unknown>();
  set.add(set);
  for (const value of [self, array, map, set, [shared, shared, self]]) assertClonesLikeNode(value);
  const copy = structuredClone(self);
  assert.equal(copy.self, copy);
  assert.equal(copy.shared, copy.again);
});

test("structuredClone runs getters once, in key order, and skips keys a getter deleted", () => {
  for (const clone of [structuredClone, nodeClone]) {
    const log: string[] = [];
    const value: Record<string, unknown> = {
      get a() {
        log.push("a");
        delete value.b;
        return 1;
      },
      b: 2,
      get c() {
        log.push("c");
        return 3;
      },
    };
    assert.deepEqual(clone(value), { a: 1, c: 3 });
    assert.deepEqual(log, ["a", "c"]);
  }
});

test("structuredClone matches Node on 500 random object graphs with shared references and cycles", () => {
  const random = prng(20);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  for (let round = 0; round < 500; round++) {
    const pool: object[] = [];
    const leaf = (): unknown => {
      if (pool.length > 0 && random() < 0.25) return pick(pool);
      return pick([1, -0, "s", 2n, null, undefined, true, NaN, "é😀"]);
    };
    const make = (depth: number): unknown => {
      if (depth > 3 || random() < 0.3) return leaf();
      const kind = Math.floor(random() * 9);
      let node: object;
      if (kind === 0) node = [];
      else if (kind === 1) node = new Map();
      else if (kind === 2) node = new Set();
      else if (kind === 3) node = new Error(`e${round}`, { cause: leaf() });
      else if (kind === 4) node = new Uint16Array(new ArrayBuffer(8), 2, 2);
      else if (kind === 5) node = new Date(round);
      else if (kind === 6) node = Object.create(null) as object;
      else node = {};
      pool.push(node);
      const children = Math.floor(random() * 4);
      for (let i = 0; i < children; i++) {
        const child = make(depth + 1);
        if (node instanceof Map) node.set(random() < 0.5 ? leaf() : child, child);
        else if (node instanceof Set) node.add(child);
        else if (Array.isArray(node)) node[Math.floor(random() * 5)] = child;
        else if (!(node instanceof Date) && !ArrayBuffer.isView(node)) (node as Record<string, unknown>)[`k${i}`] = child;
      }
      return node;
    };
    const value = make(0);
    assert.deepEqual(dump(structuredClone(value)), dump(nodeClone(value)), `round ${round}`);
  }
});

test("structuredClone throws DataCloneError for functions, symbols and engine-internal objects, as Node does", () => {
  function* generator() {}
  const cases: unknown[] = [
    () => 1, function named() {}, class {}, Symbol("s"), Object(Symbol("s")), new WeakMap(), new WeakSet(), new WeakRef({}),
    new FinalizationRegistry(() => {}), Promise.resolve(), (function () { return arguments; })(), generator(),
    [1][Symbol.iterator](), new Map().entries(), { nested: { fn() {} } }, [Symbol.iterator],
  ];
  for (const value of cases) {
    assertDataCloneError(() => structuredClone(value), String(typeof value));
    assert.throws(() => nodeClone(value), { name: "DataCloneError" });
  }
});

test("structuredClone names the value in its DataCloneError message as V8 does", () => {
  for (const value of [() => 1, Symbol("q"), Object(Symbol("q")), new WeakMap(), Promise.resolve(), [1][Symbol.iterator](), { f: function foo() {} }]) {
    let ours = "";
    let theirs = "";
    try {
      structuredClone(value);
    } catch (error) {
      ours = (error as Error).message;
    }
    try {
      nodeClone(value);
    } catch (error) {
      theirs = (error as Error).message;
    }
    assert.equal(ours, theirs);
  }
});

test("structuredClone throws DataCloneError for detached buffers and their views", () => {
  const buffer = new ArrayBuffer(8);
  const view = new Uint8Array(buffer);
  const dataView = new DataView(buffer);
  buffer.transfer();
  for (const value of [buffer, view, dataView, { view }]) {
    assertDataCloneError(() => structuredClone(value));
    assert.throws(() => nodeClone(value), { name: "DataCloneError" });
  }
});

test("structuredClone throws DataCloneError for views out of bounds of a shrunk resizable buffer", () => {
  const buffer = new ArrayBuffer(8, { maxByteLength: 8 });
  const view = new Uint8Array(buffer, 2, 4);
  const dataView = new DataView(buffer, 2, 4);
  buffer.resize(4);
  for (const value of [view, dataView]) {
    assertDataCloneError(() => structuredClone(value));
    assert.throws(() => nodeClone(value), { name: "DataCloneError" });
  }
});

test("structuredClone refuses SharedArrayBuffer with DataCloneError (deliberately unlike Node, which shares it)", () => {
  const shared = new SharedArrayBuffer(4);
  assertDataCloneError(() => structuredClone(shared));
  assertDataCloneError(() => structuredClone(new Uint8Array(shared)));
});

test("structuredClone makes a length-tracking typed array fixed-length (deliberately unlike Node)", () => {
  const buffer = new ArrayBuffer(4, { maxByteLength: 16 });
  const copy = structuredClone(new Uint8Array(buffer));
  (copy.buffer as ArrayBuffer).resize(8);
  assert.equal(copy.length, 4);
});

test("structuredClone with transfer detaches the buffers and the clone owns their contents", () => {
  for (const clone of [structuredClone, nodeClone]) {
    const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
    const resizable = new ArrayBuffer(2, { maxByteLength: 8 });
    const unreferenced = new ArrayBuffer(2);
    const value = { buffer, view: new Uint16Array(buffer, 2, 1), resizable };
    const copy = clone(value, { transfer: [buffer, resizable, unreferenced] });
    assert.equal(buffer.detached, true);
    assert.equal(resizable.detached, true);
    assert.equal(unreferenced.detached, true);
    assert.deepEqual([...new Uint8Array(copy.buffer)], [1, 2, 3, 4]);
    assert.equal(copy.view.buffer, copy.buffer);
    assert.equal(copy.resizable.resizable, true);
    assert.equal(copy.resizable.maxByteLength, 8);
  }
});

test("structuredClone with a transferred buffer as the value returns the transferred buffer", () => {
  const buffer = new Uint8Array([7]).buffer;
  const copy = structuredClone(buffer, { transfer: [buffer] });
  assert.equal(buffer.detached, true);
  assert.deepEqual([...new Uint8Array(copy)], [7]);
});

test("structuredClone rejects transfer lists with non-ArrayBuffers, SharedArrayBuffers, duplicates or detached buffers", () => {
  const detached = new ArrayBuffer(1);
  detached.transfer();
  const buffer = new ArrayBuffer(1);
  for (const transfer of [[{}], [new Uint8Array(1)], [new SharedArrayBuffer(1)], [buffer, buffer], [detached]]) {
    assertDataCloneError(() => structuredClone(1, { transfer }));
    assert.throws(() => nodeClone(1, { transfer: transfer as ArrayBuffer[] }), { name: "DataCloneError" });
  }
  assert.equal(buffer.detached, false);
});

test("structuredClone leaves transferred buffers attached when the clone fails", () => {
  for (const clone of [structuredClone, nodeClone]) {
    const buffer = new ArrayBuffer(4);
    assert.throws(() => clone({ buffer, fn() {} }, { transfer: [buffer] }), { name: "DataCloneError" });
    assert.equal(buffer.detached, false);
    const thrown = new Error("getter");
    assert.throws(() => clone({ buffer, get bad() { throw thrown; } }, { transfer: [buffer] }), (e) => e === thrown);
    assert.equal(buffer.detached, false);
  }
});

test("structuredClone validates its options like WebIDL, with TypeError", () => {
  for (const options of [5, "x", { transfer: 5 }, { transfer: "ab" }, { transfer: [5] }, { transfer: { length: 1, 0: new ArrayBuffer(1) } }]) {
    assert.deepEqual(outcome(() => structuredClone(1, options as never)), outcome(() => nodeClone(1, options as never)), JSON.stringify(options));
  }
  assert.equal(structuredClone(1, null as never), 1);
  assert.equal(structuredClone(1, { transfer: new Set() }), 1);
});

test("structuredClone called without an argument throws TypeError", () => {
  assert.throws(() => (structuredClone as () => unknown)(), TypeError);
});
