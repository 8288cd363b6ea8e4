// The web basics run inside a bare V8 isolate (isolated-vm), where nothing from Node exists.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { build } from "esbuild";
import ivm from "isolated-vm";

const runtime = fileURLToPath(new URL("../../../src/guest/runtime/", import.meta.url));

/** Bundles `source` (which may import the runtime modules) and returns what it leaves in `result`. */
async function runInBareIsolate(source: string): Promise<unknown> {
  const bundle = await build({
    stdin: { contents: source, resolveDir: runtime, loader: "ts" },
    bundle: true,
    format: "iife",
    platform: "neutral",
    write: false,
    logLevel: "silent",
  });
  const isolate = new ivm.Isolate({ memoryLimit: 16 });
  try {
    const context = await isolate.createContext();
    await context.eval(bundle.outputFiles[0]!.text);
    return JSON.parse(await context.eval("JSON.stringify(globalThis.result)") as string);
  } finally {
    isolate.dispose();
  }
}

test("the web basics need nothing from Node and work in a bare V8 isolate", async () => {
  const result = await runInBareIsolate(`
    import { atob, btoa } from "./web/base64.ts";
    import { structuredClone } from "./web/clone.ts";
    import { DOMException } from "./web/dom-exception.ts";
    import { TextDecoder, TextEncoder } from "./web/encoding.ts";
    import { format, inspect } from "./core/format.ts";
    const cyclic = { list: [1, , "two"], when: new Date(0) };
    cyclic.self = cyclic;
    const copy = structuredClone(cyclic);
    let cloneError;
    try { structuredClone(() => 1); } catch (error) { cloneError = [error.name, error.code, error.stack.split("\\n")[0]]; }
    globalThis.result = {
      bare: typeof TextEncoder === "function" && typeof globalThis.TextEncoder,
      text: new TextDecoder().decode(new TextEncoder().encode("h\\u00e9llo \\u{1F600} \\uD800")),
      base64: [btoa("hello"), atob(" aGVs bG8= ")],
      clone: [copy.self === copy, copy.when instanceof Date, 1 in copy.list],
      cloneError,
      domStack: new DOMException("gone", "NotFoundError").stack.split("\\n")[0],
      inspect: inspect(cyclic),
      format: format("%s=%d %j", "n", 42, { a: [1] }, new Map([["k", new Set([1])]])),
    };
  `);
  assert.deepEqual(result, {
    bare: "undefined",
    text: "h\u00e9llo \u{1F600} \uFFFD",
    base64: ["aGVsbG8=", "hello"],
    clone: [true, true, false],
    cloneError: ["DataCloneError", 25, "DataCloneError: () => 1 could not be cloned."],
    domStack: "NotFoundError: gone",
    inspect: "<ref *1> {\n  list: [ 1, <1 empty item>, 'two' ],\n  when: 1970-01-01T00:00:00.000Z,\n  self: [Circular *1]\n}",
    format: "n=42 {\"a\":[1]} Map(1) { 'k' => Set(1) { 1 } }",
  });
});
