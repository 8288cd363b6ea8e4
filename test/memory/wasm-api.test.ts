/**
 * The WebAssembly JS API as a unikernel sees it (src/guest/runtime/core/memory/wasm.ts), on every target:
 * modules, instances and memories behave as the JS API says, the promise forms resolve, nothing
 * leads back to V8's own constructors, and (where the target holds --mem) every memory stays
 * inside the limit.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Image } from "../../src/host/image/image.ts";
import { TARGET_NAMES } from "../../src/host/tender/targets/index.ts";
import { bootToEnd, buildSource } from "../helpers.ts";
import { codeModule, literal, memory64Module, memoryModule } from "./wasm-modules.ts";

const built = new Map<string, Promise<Image>>();
const image = (start: string) => {
  const source = `import { unikernel } from "tsuki";\nexport default unikernel({ async start() {\n${start}\n} });\n`;
  if (!built.has(source)) built.set(source, buildSource(source));
  return built.get(source)!;
};

/** Runs `start` at --mem `memoryMb` and returns what it printed; the unikernel must return. */
async function run(target: (typeof TARGET_NAMES)[number], start: string, memoryMb = 32): Promise<string[]> {
  const r = await bootToEnd(target, await image(start), { memoryMb, cpuMs: 10_000 });
  assert.equal(r.status.kind, "returned", `${r.status.reason}\n${r.err.join("\n")}`);
  return r.out;
}

const LIMITLESS: Record<string, string | undefined> = { unix: "the unix target holds no memory limit" };

for (const target of TARGET_NAMES) {
  describe(`target ${target}`, () => {
    test("a module's own memory keeps its data and exports and grows up to its maximum; every constructor is the runtime's", async () => {
      const out = await run(
        target,
        `const module = new WebAssembly.Module(${literal(memoryModule({ min: 1, max: 3 }))});
        const instance = new WebAssembly.Instance(module);
        const e = instance.exports;
        console.log(e.size(), e.load(0), e.load(1), e.grow(2), e.grow(1), e.memory.buffer.byteLength);
        console.log(e.memory.constructor === WebAssembly.Memory, Object.getPrototypeOf(e.memory) === WebAssembly.Memory.prototype, e.memory instanceof WebAssembly.Memory,
          instance.constructor === WebAssembly.Instance, module.constructor === WebAssembly.Module, Reflect.getPrototypeOf(module).constructor === WebAssembly.Module);
        console.log(JSON.stringify(WebAssembly.Module.imports(module)), JSON.stringify(WebAssembly.Module.exports(module).map((x) => x.name)));
        console.log(typeof WebAssembly.Suspending, typeof WebAssembly.promising, WebAssembly.validate(${literal(memoryModule({ min: 1 }))}));`,
      );
      assert.deepEqual(out, ["1 104 105 1 -1 196608", "true true true true true true", '[] ["memory","grow","store","size","load","growfill"]', "undefined undefined true"]);
    });

    test("the promise forms resolve: compile, instantiate (bytes and module), compileStreaming and instantiateStreaming", async () => {
      const out = await run(
        target,
        `const bytes = ${literal(memoryModule({ min: 1, max: 2 }))};
        const module = await WebAssembly.compile(bytes);
        const fromBytes = await WebAssembly.instantiate(bytes);
        const fromModule = await WebAssembly.instantiate(module);
        const response = (type) => Promise.resolve({ ok: true, headers: { get: () => type }, arrayBuffer: async () => bytes.buffer });
        const streamed = await WebAssembly.instantiateStreaming(response("application/wasm"));
        const compiled = await WebAssembly.compileStreaming(response("application/wasm; charset=binary"));
        console.log(module instanceof WebAssembly.Module, fromBytes.module instanceof WebAssembly.Module, fromBytes.instance.exports.load(0), fromModule instanceof WebAssembly.Instance, fromModule.exports.load(1));
        console.log(streamed.instance.exports.size(), compiled instanceof WebAssembly.Module);
        for (const p of [WebAssembly.compile(new Uint8Array([1, 2, 3])), WebAssembly.compileStreaming(response("text/plain")), WebAssembly.instantiate(bytes, 5)]) {
          await p.then(() => console.log("resolved"), (e) => console.log(e.constructor.name));
        }`,
      );
      assert.deepEqual(out, ["true true 104 true 105", "1 true", "CompileError", "TypeError", "TypeError"]);
    });

    test("modules with imports of their own, and memories made in JavaScript, link as before", async () => {
      const out = await run(
        target,
        `const own = new WebAssembly.Module(${literal(memoryModule({ min: 1, importsFunction: true }))});
        console.log(new WebAssembly.Instance(own, { env: { log: (x) => x } }).exports.load(0), JSON.stringify(WebAssembly.Module.imports(own)));
        try { new WebAssembly.Instance(own); } catch (e) { console.log(e.constructor.name); }
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
        const imported = new WebAssembly.Instance(new WebAssembly.Module(${literal(memoryModule({ min: 1, max: 4, imported: true }))}), { env: { memory } });
        console.log(imported.exports.memory === memory, imported.exports.load(0), memory.grow(1), memory.buffer.byteLength);`,
      );
      assert.deepEqual(out, ['104 [{"module":"env","name":"log","kind":"function"}]', "TypeError", "true 104 1 131072"]);
    });

    test("memories with 64-bit addresses are refused, saying so", async () => {
      const out = await run(
        target,
        `try { new WebAssembly.Module(${literal(memory64Module())}); } catch (e) { console.log(e.constructor.name, /memory64/.test(e.message)); }
        try { new WebAssembly.Memory({ initial: 1n, address: "i64" }); } catch (e) { console.log(e.constructor.name, /64-bit/.test(e.message)); }`,
      );
      assert.deepEqual(out, ["CompileError true", "RangeError true"]);
    });

    test("a memory without a maximum gets one inside --mem: growing it stops there", { skip: LIMITLESS[target] }, async () => {
      const out = await run(
        target,
        `const e = new WebAssembly.Instance(new WebAssembly.Module(${literal(memoryModule({ min: 1 }))})).exports;
        let pages = 1;
        while (e.grow(1) !== -1) pages++;
        const memory = new WebAssembly.Memory({ initial: 1 });
        let grown = 1;
        try { for (;;) { memory.grow(1); grown++; } } catch (error) { console.log(error.constructor.name); }
        console.log(pages > 16 && pages * 65536 <= 32 * 2 ** 20, grown > 8 && (pages + grown) * 65536 <= 32 * 2 ** 20);`,
      );
      assert.deepEqual(out, ["RangeError", "true true"]);
    });

    test("an initial size beyond what is left of --mem is a RangeError; a declared maximum beyond it is lowered", { skip: LIMITLESS[target] }, async () => {
      const out = await run(
        target,
        `try { new WebAssembly.Memory({ initial: 1000 }); } catch (e) { console.log(e.constructor.name, /--mem/.test(e.message)); }
        try { new WebAssembly.Instance(new WebAssembly.Module(${literal(memoryModule({ min: 1000 }))})); } catch (e) { console.log(e.constructor.name, /--mem/.test(e.message)); }
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 60000 });
        let pages = 1;
        try { for (;;) { memory.grow(1); pages++; } } catch {}
        console.log(pages > 1 && pages * 65536 <= 32 * 2 ** 20);`,
      );
      assert.deepEqual(out, ["RangeError true", "RangeError true", "true"]);
    });

    test("compiling more WebAssembly code than --mem holds is a RangeError", { skip: LIMITLESS[target] }, async () => {
      const out = await run(
        target,
        `const small = new WebAssembly.Module(${literal(codeModule(10, 100))});
        const bytes = new Uint8Array(6 * 2 ** 20); bytes.set(${literal(codeModule(1, 10))});
        try { new WebAssembly.Module(bytes); } catch (e) { console.log(e.constructor.name, /compiling/.test(e.message)); }
        console.log(small instanceof WebAssembly.Module);`,
        16,
      );
      assert.deepEqual(out, ["RangeError true", "true"]);
    });
  });
}
