/**
 * --mem on the isolate and process targets for each kind of memory a guest can take besides
 * WebAssembly (wasm-api.test.ts): V8's heap growing by large steps (the Set that made V8 end the
 * tender), resizable buffers, Intl objects, large JSON texts, code from strings; and the tender
 * reading a unikernel's memory as the limit counts it. What the host's memory does meanwhile is
 * battery.test.ts's business.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Image } from "../../src/host/image/image.ts";
import { bootToEnd, buildSource, testTender } from "../helpers.ts";
import { literal, memoryModule } from "./wasm-modules.ts";

const built = new Map<string, Promise<Image>>();
const image = (start: string) => {
  const source = `import { unikernel } from "tsuki";\nexport default unikernel({ async start() {\n${start}\n} });\n`;
  if (!built.has(source)) built.set(source, buildSource(source));
  return built.get(source)!;
};

for (const target of ["isolate", "process"] as const) {
  describe(`target ${target}`, () => {
    const boot = async (start: string, memoryMb = 16) => bootToEnd(target, await image(start), { memoryMb, cpuMs: 20_000 });

    test("a Set growing past --mem ends the unikernel as out of memory instead of hanging the tender", async () => {
      const r = await boot(`const s = new Set(); for (let i = 0; ; i++) s.add("k" + i);`);
      assert.equal(r.status.kind, "out-of-memory", r.status.reason);
      const next = await boot(`console.log("next");`);
      assert.deepEqual(next.out, ["next"]);
    });

    test("one array allocated past --mem in one step ends the unikernel at the end of its turn", async () => {
      // Nothing runs after the allocation: no GC comes to find it; the check at the end of the turn must.
      const r = await boot(`globalThis.kept = new Array(3e7);`);
      assert.equal(r.status.kind, "out-of-memory", r.status.reason);
    });

    test("a resizable ArrayBuffer's maximum is reserved: one beyond --mem is a RangeError, one within resizes", async () => {
      const r = await boot(
        `try { new ArrayBuffer(0, { maxByteLength: 2 ** 31 }); } catch (e) { console.log(e.constructor.name, e.message.startsWith("Array buffer allocation failed")); }
        try { new SharedArrayBuffer(0, { maxByteLength: 2 ** 31 }); } catch (e) { console.log(e.constructor.name); }
        const b = new ArrayBuffer(1024, { maxByteLength: 4 * 2 ** 20 }); b.resize(4 * 2 ** 20); console.log(b.byteLength, b.constructor === ArrayBuffer, b instanceof ArrayBuffer);
        const t = b.transfer(); console.log(t.resizable, t.maxByteLength);
        const kept = []; try { for (;;) kept.push(new ArrayBuffer(0, { maxByteLength: 2 ** 20 })); } catch (e) { console.log(e.constructor.name, kept.length < 16); }`,
      );
      assert.equal(r.status.kind, "returned", r.status.reason);
      assert.deepEqual(r.out, ["RangeError true", "RangeError", "4194304 true true", "true 4194304", "RangeError true"]);
    });

    test("Intl objects are charged while they live: a few work, a thousand DateTimeFormats do not fit 16 MiB", async () => {
      const r = await boot(
        `console.log(new Intl.DateTimeFormat("en", { timeZone: "UTC" }).format(0), new Intl.NumberFormat("de").format(1234.5), typeof Intl.v8BreakIterator);
        const kept = []; try { for (let i = 0; i < 100000; i++) { kept.push(new Intl.DateTimeFormat("en", { timeZone: "UTC", dateStyle: "full" })); if (i === 1000) console.log("a thousand made"); } } catch (e) { console.log(e.constructor.name); }`,
      );
      // Stopped either by a charge that did not fit (RangeError) or by the guard at the next GC.
      assert.deepEqual(r.out[0], "1/1/1970 1.234,5 undefined");
      assert.ok((r.status.kind === "returned" && r.out[1] === "RangeError") || r.status.kind === "out-of-memory", `${r.status.reason}: ${r.out.join("; ")}`);
      assert.equal(r.out.length, r.status.kind === "returned" ? 2 : 1);
    });

    test("a JSON text whose result could outgrow --mem is parsed in guest code, with the same result", async () => {
      const r = await boot(
        `const text = JSON.stringify(Array.from({ length: 60000 }, (_, i) => ({ i, s: "v" + i })));
        const value = JSON.parse(text);
        console.log(text.length > 16 * 2 ** 20 / 64, value.length, value[59999].s, JSON.stringify(value) === text);`,
        32,
      );
      assert.equal(r.status.kind, "returned", r.status.reason);
      assert.deepEqual(r.out, ["true 60000 v59999 true"]);
    });

    test("a JSON text nested past --mem ends the unikernel as out of memory", async () => {
      const r = await boot(`const n = 4e6; JSON.parse("[".repeat(n) + "]".repeat(n));`);
      assert.equal(r.status.kind, "out-of-memory", r.status.reason);
    });

    test("eval and new Function compile sources up to 1 MiB characters; a longer one is an EvalError", async () => {
      const r = await boot(
        `console.log(new Function("return " + "1+".repeat(2e5) + "1")());
        try { new Function("return 1;" + " ".repeat(2 ** 20)); } catch (e) { console.log(e.constructor.name); }`,
      );
      assert.equal(r.status.kind, "returned", r.status.reason);
      assert.deepEqual(r.out, ["200001", "EvalError"]);
    });

    test("built-ins a guest patches before it first reads WebAssembly or Intl do not loosen their limits", async () => {
      const r = await boot(
        `const saved = { construct: Reflect.construct, set: WeakMap.prototype.set, keys: Object.keys, ownKeys: Reflect.ownKeys };
        const patch = () => {
          Reflect.construct = (T, args, target) => saved.construct(T, args[0] && typeof args[0] === "object" && "initial" in args[0] ? [{ initial: 1600 }] : args, target);
          WeakMap.prototype.set = function () { return this; };
          Object.keys = () => [];
          Reflect.ownKeys = () => [];
        };
        const restore = () => Object.assign(Reflect, { construct: saved.construct, ownKeys: saved.ownKeys }, void (Object.keys = saved.keys), void (WeakMap.prototype.set = saved.set));
        patch();
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
        const seen = [memory.buffer.byteLength, typeof WebAssembly.Suspending];
        try { memory.grow(5); seen.push("grew"); } catch (e) { seen.push(e.name); }
        restore();
        console.log(seen.join(" "));
        patch();
        const kept = []; let stopped = "not stopped";
        try { for (let i = 0; i < 100000; i++) kept.push(new Intl.DateTimeFormat("en", { timeZone: "UTC", dateStyle: "full" })); } catch (e) { stopped = e.name; }
        restore();
        console.log(stopped, kept.length < 1000);`,
      );
      assert.equal(r.out[0], "65536 undefined RangeError");
      // Stopped by a charge that did not fit (RangeError) or by the guard at the next GC.
      assert.ok((r.status.kind === "returned" && r.out[1] === "RangeError true") || (r.status.kind === "out-of-memory" && r.out.length === 1), `${r.status.reason}: ${r.out.join("; ")}`);
    });

    test("the tender reads a unikernel's memory as the limit counts it: heap, external, reserved", async () => {
      const { tender } = testTender(target);
      const u = await tender.boot(
        await image(`globalThis.keep = [new WebAssembly.Memory({ initial: 2, maximum: 64 }), new Uint8Array(2 ** 20)]; setTimeout(() => {}, 200); await new Promise((r) => setTimeout(r, 50));`),
        { memoryMb: 32 },
      );
      await new Promise((resolve) => setTimeout(resolve, 30));
      const m = u.memory();
      u.stop();
      await u.exited;
      assert.ok(m !== undefined);
      assert.equal(m.limit, 32 * 2 ** 20);
      assert.equal(m.used, m.heap + m.external + m.reserved);
      // The wasm memory: 2 pages committed (external) and 62 reserved; the typed array: 1 MiB external.
      assert.equal(m.reserved, 62 * 65536);
      assert.ok(m.external >= 2 * 65536 + 2 ** 20, `external ${m.external}`);
      assert.ok(m.heap > 0 && m.heap < 16 * 2 ** 20, `heap ${m.heap}`);
    });
  });
}

test("a module's memory counts its maximum at once: a second instance gets what is left, not what it declares", async () => {
  const r = await bootToEnd(
    "isolate",
    await image(
      `const module = new WebAssembly.Module(${literal(memoryModule({ min: 1, max: 160 }))});
      const a = new WebAssembly.Instance(module);
      const b = new WebAssembly.Instance(module);
      console.log(a.exports.grow(159), b.exports.grow(100), b.exports.grow(1));`,
    ),
    { memoryMb: 16 },
  );
  assert.deepEqual(r.out, ["1 -1 1"]);
});
