/**
 * rename-inputs.ts on its own: module comments, CommonJS keys, licence headings and the map's
 * sources take the new names; a key whose length changes moves the positions after it on its
 * line, and only those; what names no renamed input is left alone.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { renameInputs } from "../../../src/host/build/rename-inputs.ts";
import { parseSourceMap } from "../../../src/host/image/source-map.ts";

// Line 1: comment. Line 2: a key at column 2, code mapped at columns 2 and 35 (the call) of it. Line 3: code at 4.
const CODE = [`// node_modules/x/a.js`, `  "node_modules/x/a.js"(exports) { f(); }`, `    g();`, `/*! Bundled license information:`, ``, `../lib/b.js:`, `  (*! MIT *)`, `*/`].join("\n");
const MAP = `{\n  "version": 3,\n  "sources": ["node_modules/x/a.js", "src/main.ts"],\n  "mappings": ";EAAA,iCAAE;IACA",\n  "names": []\n}\n`;
const RENAMES = new Map([
  ["node_modules/x/a.js", "x@1.0.0/a.js"],
  ["../lib/b.js", "lib@2.0.0/b.js"],
]);

test("comments, keys, licence headings and sources take the new names", () => {
  const { code, map } = renameInputs(CODE, MAP, RENAMES);
  assert.equal(code.split("\n")[0], "// x@1.0.0/a.js");
  assert.equal(code.split("\n")[1], `  "x@1.0.0/a.js"(exports) { f(); }`);
  assert.equal(code.split("\n")[5], "lib@2.0.0/b.js:");
  assert.deepEqual(parseSourceMap(map)!.sources, ["x@1.0.0/a.js", "src/main.ts"]);
  assert.doesNotMatch(code + map, /node_modules|\.\.\//);
});

test("positions after a renamed key move with it; those before and on other lines stay", () => {
  const before = parseSourceMap(MAP)!;
  const { code, map } = renameInputs(CODE, MAP, RENAMES);
  const after = parseSourceMap(map)!;
  const by = code.split("\n")[1]!.length - CODE.split("\n")[1]!.length;
  assert.equal(by, -7);
  assert.deepEqual(after.lookup(2, 3), { ...before.lookup(2, 3)!, source: "x@1.0.0/a.js" }, "the key's own start");
  assert.deepEqual(after.lookup(2, 36 + by), { ...before.lookup(2, 36)!, source: "x@1.0.0/a.js" }, "code after the key");
  assert.equal(code.split("\n")[1]!.indexOf("f()") + 1, 36 + by, "the mapped column still points at the same code");
  assert.equal(after.lookup(2, 36 + by - 1)?.column, before.lookup(2, 3)!.column, "just before it, still the key's segment");
  assert.deepEqual(after.lookup(3, 5), { ...before.lookup(3, 5)!, source: "x@1.0.0/a.js" }, "the next line");
});

test("without renames the code and map are returned as they are; the map keeps esbuild's layout", () => {
  assert.deepEqual(renameInputs(CODE, MAP, new Map()), { code: CODE, map: MAP });
  const { map } = renameInputs(CODE, MAP, new Map([["nothing/here.js", "x@1/here.js"]]));
  assert.equal(map, MAP);
});
