/**
 * Source maps: the image's map is read strictly (it is untrusted input on the host), answers
 * where a position of main.js comes from, and the tender prints a guest's stack frames in the
 * developer's files on every target, parsing the map only when a stack is printed.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ENTRY_PATH, SOURCE_MAP_PATH } from "../../../src/abi/index.ts";
import { readImage, sha256, writeImage } from "../../../src/host/image/image.ts";
import { parseSourceMap, stackMapper } from "../../../src/host/image/source-map.ts";
import { readTar, writeTar } from "../../../src/host/image/tar.ts";
import { bootToEnd, buildSource, processTargetUnavailable } from "../../helpers.ts";

/** Line 1: "a" at column 0 from x.ts 1:0; "b" at column 4 from y.ts 3:2. Line 2: nothing. Line 3: column 2 from x.ts 5:6. */
const MAP = JSON.stringify({ version: 3, sources: ["x.ts", "y.ts"], names: [], mappings: "AAAA,ICEE;;EDEI" });

describe("parseSourceMap", () => {
  test("finds the source, line and column of a position, 1-based both ways", () => {
    const map = parseSourceMap(MAP)!;
    assert.deepEqual(map.lookup(1, 1), { source: "x.ts", line: 1, column: 1 });
    assert.deepEqual(map.lookup(1, 3), { source: "x.ts", line: 1, column: 1 }, "the last segment at or before the column");
    assert.deepEqual(map.lookup(1, 5), { source: "y.ts", line: 3, column: 3 });
    assert.deepEqual(map.lookup(1, 99), { source: "y.ts", line: 3, column: 3 });
    assert.equal(map.lookup(2, 1), undefined, "a line without segments");
    assert.equal(map.lookup(3, 1), undefined, "before the line's first segment");
    assert.deepEqual(map.lookup(3, 3), { source: "x.ts", line: 5, column: 7 });
    assert.equal(map.lookup(9, 1), undefined, "past the last line");
  });

  test("reads esbuild's maps of real builds", async () => {
    const image = await buildSource(`import { unikernel } from "tsuki";\n\nexport default unikernel({\n  start() {\n    console.log("x");\n  },\n});\n`);
    const map = parseSourceMap(image.sourceMap!)!;
    assert.ok(map.sources.includes("src/main.ts"), String(map.sources));
    const lines = image.entry.split("\n");
    const at = lines.findIndex((l) => l.includes('console.log("x")'));
    const column = lines[at]!.indexOf("console") + 1;
    assert.deepEqual(map.lookup(at + 1, column), { source: "src/main.ts", line: 5, column: 5 });
  });

  test("malformed maps are no map, never an exception", () => {
    const bad: unknown[] = [
      "not json",
      "null",
      "[]",
      { version: 2, sources: ["x"], mappings: "AAAA" },
      { version: 3, sources: "x", mappings: "AAAA" },
      { version: 3, sources: [1], mappings: "AAAA" },
      { version: 3, sources: ["x"] },
      { version: 3, sources: ["x"], mappings: "AA!A" },
      { version: 3, sources: ["x"], mappings: "AAAg" }, // a VLQ cut in the middle
      { version: 3, sources: ["x"], mappings: "AA" }, // two fields
      { version: 3, sources: ["x"], mappings: "gggggggggggA" }, // more than 30 bits
      { version: 3, sources: ["x"], mappings: "AAAA\u00e9" },
    ];
    for (const input of bad) {
      const text = typeof input === "string" ? input : JSON.stringify(input);
      assert.equal(parseSourceMap(text), undefined, text);
    }
    assert.equal(parseSourceMap(new Uint8Array([0xff, 0xfe])), undefined, "not UTF-8");
  });

  test("segments naming a source or a position that does not exist are dropped", () => {
    // Source index 1 of a map with one source; then a negative line.
    const map = parseSourceMap(JSON.stringify({ version: 3, sources: ["x.ts"], mappings: "ACAA;ADDA" }))!;
    assert.equal(map.lookup(1, 1), undefined);
    assert.equal(map.lookup(2, 1), undefined);
  });

  test("segments out of column order are still found", () => {
    const map = parseSourceMap(JSON.stringify({ version: 3, sources: ["x.ts"], mappings: "IAAC,FAAE" }))!;
    // Column 4 → x.ts 1:1, then column -2 → x.ts 1:3.
    assert.deepEqual(map.lookup(1, 3), { source: "x.ts", line: 1, column: 4 });
    assert.deepEqual(map.lookup(1, 5), { source: "x.ts", line: 1, column: 2 });
  });
});

describe("stackMapper", () => {
  const mapped = stackMapper(Buffer.from(MAP));

  test("rewrites every frame in the image's module, and only those", () => {
    assert.equal(mapped("    at f (tsuki:image/web/main.js:1:5)"), "    at f (y.ts:3:3)");
    assert.equal(mapped("    at tsuki:image/web/main.js:3:3 and tsuki:image/web/main.js:1:1"), "    at x.ts:5:7 and x.ts:1:1");
    assert.equal(mapped("    at g (tsuki:runtime:1:5)"), "    at g (tsuki:runtime:1:5)");
    assert.equal(mapped("    at h (tsuki:image/web/main.js:2:1)"), "    at h (tsuki:image/web/main.js:2:1)", "a position the map does not cover stays");
    assert.equal(mapped("hello"), "hello");
  });

  test("parses the map on the first line with a frame, once, and not before", () => {
    let parses = 0;
    const lazy = stackMapper(Buffer.from(MAP), (bytes) => (parses++, parseSourceMap(bytes)));
    lazy("booting");
    lazy("listening on tsuki:runtime");
    assert.equal(parses, 0);
    lazy("    at f (tsuki:image/web/main.js:1:5)");
    lazy("    at f (tsuki:image/web/main.js:1:5)");
    assert.equal(parses, 1);
  });

  test("a map that does not parse leaves frames as they were", () => {
    const broken = stackMapper(Buffer.from("{ nope"));
    assert.equal(broken("    at f (tsuki:image/web/main.js:1:5)"), "    at f (tsuki:image/web/main.js:1:5)");
  });
});

describe("the image's source map", () => {
  test("is main.js.map, listed in the manifest with its size and SHA-256", async () => {
    const image = await buildSource(`import { unikernel } from "tsuki";\nexport default unikernel({ start() {} });\n`);
    assert.ok(image.sourceMap);
    assert.deepEqual(image.manifest.sourceMap, { path: SOURCE_MAP_PATH, size: image.sourceMap.length, sha256: sha256(image.sourceMap) });
    assert.doesNotMatch(Buffer.from(image.sourceMap).toString(), /sourcesContent/, "the map carries positions, not the sources' text");
  });

  test("a changed map is refused like any other changed file", async () => {
    const image = await buildSource(`import { unikernel } from "tsuki";\nexport default unikernel({ start() {} });\n`);
    const bytes = writeImage(image.manifest, image.entry, image.assets, image.sourceMap);
    const changed = readTar(bytes).map((e) => ({ path: e.path, data: e.path === SOURCE_MAP_PATH ? Buffer.from(Buffer.from(e.data).toString().replace("src/main.ts", "src/evil.ts")) : e.data }));
    assert.throws(() => readImage(writeTar(changed)), { code: "ERR_IMAGE_TAMPERED" });
    const missing = readTar(bytes).filter((e) => e.path !== SOURCE_MAP_PATH);
    assert.throws(() => readImage(writeTar(missing)), { code: "ERR_IMAGE_TAMPERED" });
  });

  test("a map under another name in the manifest is refused", async () => {
    const image = await buildSource(`import { unikernel } from "tsuki";\nexport default unikernel({ start() {} });\n`);
    const manifest = { ...image.manifest, sourceMap: { ...image.manifest.sourceMap!, path: ENTRY_PATH } };
    assert.throws(() => readImage(writeImage(manifest, image.entry, image.assets, image.sourceMap)), { code: "ERR_IMAGE_MANIFEST", message: /sourceMap\.path/ });
  });
});

const processUnavailable = await processTargetUnavailable();

describe("stacks printed by a unikernel name the developer's files", () => {
  const files = {
    "src/helper.ts": `// A helper that fails.\nexport function helper(n: number): void {\n  if (n > 2) {\n    throw new Error(\`too big: \${n}\`);\n  }\n}\n`,
  };
  const source = (start: string) => `import { unikernel } from "tsuki";\nimport { helper } from "./helper.ts";\n\nexport default unikernel({\n  start() {\n    ${start}\n  },\n});\n`;

  for (const target of ["isolate", "unix", "process"] as const) {
    test(`an uncaught exception's stack on the ${target} target`, { skip: target === "process" ? processUnavailable : false }, async () => {
      const image = await buildSource(source("helper(3);"), files);
      const r = await bootToEnd(target, image);
      assert.equal(r.status.code, 1);
      const stack = r.err.join("\n");
      assert.match(stack, /at helper \(src\/helper\.ts:4:11\)/, stack);
      assert.match(stack, /src\/main\.ts:6:5/, stack);
      assert.doesNotMatch(stack, /tsuki:image\//, stack);
    });
  }

  test("a stack the unikernel prints itself is mapped too", async () => {
    const image = await buildSource(source("try { helper(9); } catch (e) { console.log((e as Error).stack); }"), files);
    const r = await bootToEnd("isolate", image);
    assert.equal(r.status.code, 0, r.status.reason);
    assert.match(r.out.join("\n"), /at helper \(src\/helper\.ts:4:11\)/);
  });

  test("an image without a map prints the bundle's frames", async () => {
    const built = await buildSource(source("helper(3);"), files);
    const { sourceMap: _, ...manifest } = built.manifest;
    const image = readImage(writeImage(manifest, built.entry, built.assets));
    assert.equal(image.sourceMap, undefined);
    const r = await bootToEnd("isolate", image);
    assert.match(r.err.join("\n"), /at helper \(tsuki:image\/t\/main\.js:\d+:\d+\)/);
  });
});
