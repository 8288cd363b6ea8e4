/**
 * The WebAssembly rewriter of the guest runtime (src/guest/runtime/core/memory/wasm-binary.ts), run in Node's
 * own realm against V8's validator: a module's own memories become imports that V8 accepts, with
 * the same limits, data and indices, and what comes out never defines a memory.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { moveMemoriesToImports } from "../../../../../src/guest/runtime/core/memory/wasm-binary.ts";
import { codeModule, memory64Module, memoryModule, wasm } from "../../../../memory/wasm-modules.ts";

/** The ids of a module's sections, in order. */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  for (let at = 8; at < bytes.length; ) {
    ids.push(bytes[at++]!);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++]!;
      size += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    at += size;
  }
  return ids;
}

function rewrite(bytes: Uint8Array) {
  const r = moveMemoriesToImports(bytes);
  assert.equal(r.kind, "rewritten");
  if (r.kind !== "rewritten") throw new Error("unreachable");
  return r;
}

test("a module's own memory becomes an import of tsuki:memory that V8 accepts, and no memory section is left", () => {
  const r = rewrite(memoryModule({ min: 2, max: 5 }));
  assert.ok(wasm.validate(r.bytes));
  assert.ok(!sectionIds(r.bytes).includes(5));
  assert.equal(r.module, "tsuki:memory");
  assert.deepEqual([r.memories.count, r.memories.min[0], r.memories.max[0], r.memories.shared[0]], [1, 2, 5, 0]);
  const imports = wasm.Module.imports(new wasm.Module(r.bytes));
  assert.deepEqual(imports, [{ module: "tsuki:memory", name: "0", kind: "memory" }]);
});

test("the moved memory keeps the module's data and exports: instantiated with the memory supplied, it reads 'hi' and grows to its maximum", () => {
  const r = rewrite(memoryModule({ min: 1, max: 3 }));
  const memory = new wasm.Memory({ initial: 1, maximum: 3 });
  const instance = new wasm.Instance(new wasm.Module(r.bytes), { "tsuki:memory": { "0": memory } });
  const e = instance.exports as { memory: unknown; load(a: number): number; grow(n: number): number };
  assert.equal(e.memory, memory);
  assert.deepEqual([e.load(0), e.load(1)], [0x68, 0x69]);
  assert.deepEqual([e.grow(2), e.grow(1)], [1, -1]);
});

test("a memory without a maximum is imported without one, and one whose maximum is smaller than the declared one is accepted", () => {
  const r = rewrite(memoryModule({ min: 1 }));
  assert.ok(Number.isNaN(r.memories.max[0]));
  const module = new wasm.Module(r.bytes);
  assert.doesNotThrow(() => new wasm.Instance(module, { "tsuki:memory": { "0": new wasm.Memory({ initial: 1, maximum: 7 }) } }));
  const bounded = new wasm.Module(rewrite(memoryModule({ min: 1, max: 10 })).bytes);
  assert.doesNotThrow(() => new wasm.Instance(bounded, { "tsuki:memory": { "0": new wasm.Memory({ initial: 1, maximum: 4 }) } }));
});

test("a module with imports of its own keeps them first and in order; the moved memory comes after", () => {
  const r = rewrite(memoryModule({ min: 1, importsFunction: true }));
  assert.equal(r.imports, 1);
  assert.deepEqual(wasm.Module.imports(new wasm.Module(r.bytes)).map((i) => `${i.module}.${i.name}`), ["env.log", "tsuki:memory.0"]);
});

test("a shared memory stays shared", () => {
  const r = rewrite(memoryModule({ min: 1, max: 2, shared: true }));
  assert.equal(r.memories.shared[0], 1);
  const memory = new wasm.Memory({ initial: 1, maximum: 2, shared: true });
  assert.doesNotThrow(() => new wasm.Instance(new wasm.Module(r.bytes), { "tsuki:memory": { "0": memory } }));
});

test("a module that already imports from tsuki:memory gets another module name", () => {
  const own = memoryModule({ min: 1, importsFunction: true });
  const renamed = Buffer.from(own).toString("latin1").replace("\x03env\x03log", "\x0ctsuki:memory\x03log");
  const bytes = Uint8Array.from(Buffer.from(renamed, "latin1"));
  // The import section grew by 9 bytes: fix its size (one LEB byte here).
  const at = sectionIds(bytes).indexOf(2);
  assert.ok(at >= 0);
  let offset = 8;
  for (let i = 0; i < at; i++) offset += 2 + bytes[offset + 1]!;
  bytes[offset + 1]! += 9;
  assert.ok(wasm.validate(bytes));
  assert.equal(rewrite(bytes).module, "tsuki:memory#1");
});

test("modules without a memory section are left as they are; 64-bit memories and malformed bytes are reported", () => {
  assert.equal(moveMemoriesToImports(codeModule(3, 20)).kind, "unchanged");
  assert.equal(moveMemoriesToImports(memoryModule({ min: 1, imported: true })).kind, "unchanged");
  assert.equal(moveMemoriesToImports(memory64Module()).kind, "memory64");
  const whole = memoryModule({ min: 1 });
  for (const cut of [4, 9, 20, whole.length - 1]) assert.equal(moveMemoriesToImports(whole.subarray(0, cut)).kind, "unreadable", `cut at ${cut}`);
  assert.equal(moveMemoriesToImports(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9)).kind, "unreadable");
});

test("the rewriter's output does not depend on built-ins a guest may have patched", () => {
  const bytes = memoryModule({ min: 1, max: 2 });
  const expected = rewrite(bytes).bytes;
  const saved = { push: Array.prototype.push, find: Array.prototype.find, subarray: Uint8Array.prototype.subarray, set: Uint8Array.prototype.set, floor: Math.floor };
  try {
    Object.defineProperty(Array.prototype, "0", { set() {}, get: () => memory64Module(), configurable: true });
    Array.prototype.push = () => 0;
    Array.prototype.find = () => undefined;
    Uint8Array.prototype.subarray = () => memory64Module();
    Uint8Array.prototype.set = () => undefined;
    Math.floor = () => 0;
    const r = moveMemoriesToImports(bytes);
    assert.equal(r.kind, "rewritten");
    assert.deepEqual(r.kind === "rewritten" ? Array.from(r.bytes) : [], Array.from(expected));
  } finally {
    delete (Array.prototype as unknown as Record<string, unknown>)["0"];
    Object.assign(Array.prototype, { push: saved.push, find: saved.find });
    Object.assign(Uint8Array.prototype, { subarray: saved.subarray, set: saved.set });
    Math.floor = saved.floor;
  }
});
