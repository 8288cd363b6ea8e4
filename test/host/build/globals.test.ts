/**
 * Globals a unikernel does not have (process, Buffer, require, …) fail the build, each use named
 * by the developer's file, line and column with what to write instead; code that only looks for
 * them first (typeof, try, a typeof-tested branch or file) builds, as popular packages do.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { buildImage } from "../../../src/host/build/build.ts";
import { MISSING_GLOBALS } from "../../../src/host/build/globals.ts";
import { MAX_LISTED } from "../../../src/host/build/problems.ts";
import type { TsukiError } from "../../../src/host/common/errors.ts";
import { ROOT, bootToEnd, buildSource, tempDir, unikernelDir } from "../../helpers.ts";

const main = (head: string, start = "") => `import { unikernel } from "tsuki";\n${head}\nexport default unikernel({ start() { ${start} } });\n`;
// The type check has tests of its own; here the subject is the globals rule alone.
const out = () => ({ out: path.join(tempDir(), "out.tsuki"), check: false });

async function globalErrors(files: Record<string, string>): Promise<TsukiError> {
  try {
    await buildImage(unikernelDir(files), out());
  } catch (error) {
    assert.equal((error as TsukiError).code, "ERR_BUILD_GLOBAL", (error as Error).message);
    return error as TsukiError;
  }
  assert.fail("the build should fail");
}

async function builds(files: Record<string, string>): Promise<void> {
  await buildImage(unikernelDir(files), out());
}

describe("uses of globals a unikernel does not have", () => {
  const fixes: Record<string, RegExp> = {
    process: /start\(\{ args \}\)/,
    Buffer: /Uint8Array/,
    module: /export default/,
    exports: /export default/,
    __dirname: /assets/,
    __filename: /assets/,
    global: /globalThis/,
    setImmediate: /setTimeout/,
    clearImmediate: /clearTimeout/,
    Deno: /listener\(\) for Deno\.serve/,
    Bun: /listener\(\) for Bun\.serve/,
  };
  for (const [name, fix] of Object.entries(fixes)) {
    test(`${name} fails the build at its file, line and column, saying what to use instead`, async () => {
      const error = await globalErrors({ "src/main.ts": main(`\nconst x: unknown = (${name} as any);`, "x;") });
      assert.equal(error.details.length, 1, error.message);
      assert.match(error.details[0]!, new RegExp(`^src/main\\.ts:3:21: ${name} is not defined inside a unikernel`));
      assert.match(error.details[0]!, fix);
    });
  }

  test("require with a name computed at run time fails, asking for an import", async () => {
    const error = await globalErrors({ "src/main.ts": main(`const name = "x";\nconst x = require(name);`, "x;") });
    assert.match(error.details[0]!, /^src\/main\.ts:3:11: require is not defined inside a unikernel: write import/);
  });

  test("process.env, process.exit and process.nextTick each get their own fix", async () => {
    const error = await globalErrors({ "src/main.ts": main("", "process.env.PORT; process.exit(1); process.nextTick(() => {});") });
    assert.equal(error.details.length, 3);
    assert.match(error.details[0]!, /\(process\.env\): it has no environment; declare the settings it needs as args/);
    assert.match(error.details[1]!, /\(process\.exit\): call exit\(code\), which start\(\) receives/);
    assert.match(error.details[2]!, /\(process\.nextTick\): use queueMicrotask/);
  });

  test("a use in another module names that module and its line, not the bundle's", async () => {
    const error = await globalErrors({ "src/main.ts": main(`import { b } from "./util/bytes.ts";`, "b;"), "src/util/bytes.ts": `// helpers\n\nexport const b = (s: string) =>\n  Buffer.from(s);\n` });
    assert.deepEqual(error.details.map((d) => d.split(": ")[0]), ["src/util/bytes.ts:4:3"]);
  });

  test("a package that uses one names the package", async () => {
    const error = await globalErrors({
      "src/main.ts": main(`import enc from "b64pkg";`, "enc;"),
      "node_modules/b64pkg/package.json": JSON.stringify({ name: "b64pkg", version: "1.0.0", type: "module", main: "index.js" }),
      "node_modules/b64pkg/index.js": `export default (s) =>\n  Buffer.from(s).toString("base64");\n`,
    });
    assert.match(error.details[0]!, /^node_modules\/b64pkg\/index\.js:2:3: package "b64pkg" uses Buffer \(Buffer\.from\), which does not exist inside a unikernel/);
  });

  test("a package that requires a name computed at run time names the package", async () => {
    const error = await globalErrors({
      "src/main.ts": main(`import load from "plugin-loader";`, "load;"),
      "node_modules/plugin-loader/package.json": JSON.stringify({ name: "plugin-loader", version: "1.0.0", main: "index.js" }),
      "node_modules/plugin-loader/index.js": `module.exports = function load(name) {\n  return require(name);\n};\n`,
    });
    assert.match(error.details[0]!, /^node_modules\/plugin-loader\/index\.js:2:10: package "plugin-loader" uses require/);
  });

  test(`more than ${MAX_LISTED} uses are listed up to ${MAX_LISTED}, then counted`, async () => {
    const error = await globalErrors({ "src/main.ts": main("", "process.env.A;\n".repeat(MAX_LISTED + 5)) });
    assert.equal(error.details.length, MAX_LISTED + 5);
    assert.equal(error.problems.length, MAX_LISTED + 1);
    assert.equal(error.problems.at(-1)!.message, "and 5 more");
    assert.ok(error.problems.every((p) => p.code === "ERR_BUILD_GLOBAL"));
  });
});

describe("what is not a use of a missing global", () => {
  test("locals, parameters, properties, object keys and globalThis.process build", async () => {
    await builds({
      "src/main.ts": main(
        `const Buffer = Uint8Array;\nfunction f(process: { env: string }) { return process.env; }\nconst o = { process: 1, global: 2 };\nclass C { Deno() { return o.process + o.global; } }\nconst g = (globalThis as any).process;\nfor (const module of [1]) module;\ntry { throw 1; } catch (exports) { exports; }`,
        "new Buffer(1); f({ env: '' }); new C().Deno(); g;",
      ),
    });
  });

  test("typeof, a typeof-tested branch, a try block and a chain of fallbacks build", async () => {
    await builds({
      "src/main.ts": main(
        `const env = typeof process !== "undefined" ? process.env : {};\nconst root = typeof globalThis !== "undefined" ? globalThis : typeof self !== "undefined" ? self : global;\nlet now: unknown;\ntry { now = setImmediate; } catch {}\nif (typeof Deno === "object") Deno.exit();`,
        "env; root; now;",
      ),
    });
  });

  test("a file that tests typeof process may use process behind a flag", async () => {
    await builds({ "src/main.ts": main(`const isNode = typeof process === "object";\nfunction version() { return process.version; }`, "if (isNode) version();") });
  });

  test("the flag does not carry to another file, which still fails", async () => {
    const error = await globalErrors({
      "src/main.ts": main(`import { version } from "./v.ts";\nconst isNode = typeof process === "object";`, "if (isNode) version();"),
      "src/v.ts": `export function version() {\n  return process.version;\n}\n`,
    });
    assert.deepEqual(error.details.map((d) => d.split(": ")[0]), ["src/v.ts:2:10"]);
  });

  test("a function made inside a try block but run later is not protected by it", async () => {
    const error = await globalErrors({ "src/main.ts": main(`let later = () => {};\ntry { later = () => Buffer.alloc(1); } catch {}`, "later();") });
    assert.equal(error.details.length, 1);
  });

  test("process.env.NODE_ENV is production at build time, as bundlers make it", async () => {
    const image = await buildSource(main(`import mode from "modepkg";`, "console.log(mode);"), {
      "node_modules/modepkg/package.json": JSON.stringify({ name: "modepkg", version: "1.0.0", main: "index.js" }),
      "node_modules/modepkg/index.js": `module.exports = process.env.NODE_ENV === "production" ? "prod" : "dev";\n`,
    });
    const r = await bootToEnd("isolate", image);
    assert.deepEqual(r.out, ["prod"]);
  });
});

describe("popular packages that look before they use", () => {
  test("debug, eventemitter3, lodash, react, reflect-metadata, tslib and yaml build and work inside", async () => {
    // Type-checked too: what the fixture uses of each package must exist in a unikernel's global scope.
    const result = await buildImage(path.join(ROOT, "test/fixtures/feature-detect"), { out: path.join(tempDir(), "fd.tsuki") });
    const { readImage } = await import("../../../src/host/image/image.ts");
    const { readFileSync } = await import("node:fs");
    const r = await bootToEnd("isolate", readImage(readFileSync(result.image)));
    assert.equal(r.status.code, 0, `${r.status.reason}\n${r.err.join("\n")}`);
    assert.deepEqual(r.out, [
      "debug: function fixture",
      "eventemitter3: pong",
      "lodash: 3 featureDetect",
      "react: 19.3.1 p",
      "reflect-metadata: fixture",
      'tslib: {"a":1,"b":2}',
      "yaml: hello - 1 - 2",
    ]);
  });
});

test("every global the build refuses is really absent inside a unikernel", async () => {
  const names = [...MISSING_GLOBALS];
  // Through globalThis: in the bundle, `typeof require` asks about esbuild's stand-in.
  const image = await buildSource(main("", `console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof (globalThis as any)[n])));`));
  const r = await bootToEnd("isolate", image);
  assert.deepEqual(JSON.parse(r.out[0]!), names.map(() => "undefined"));
});
