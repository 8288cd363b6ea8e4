/**
 * The type check of tsuki build: the unikernel is checked against the global scope it really gets
 * (src/guest/globals.d.ts and ECMAScript's library, no DOM and no Node types) with its own
 * tsconfig's options, and each error names file, line, column and TypeScript's code.
 */

import assert from "node:assert/strict";
import { readdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { buildImage } from "../../../src/host/build/build.ts";
import { MAX_LISTED } from "../../../src/host/build/problems.ts";
import type { TsukiError } from "../../../src/host/common/errors.ts";
import { finished, start } from "../../cli/spawn.ts";
import { ROOT, tempDir, unikernelDir } from "../../helpers.ts";

const main = (head: string, start = "") => `import { unikernel } from "tsuki";\n${head}\nexport default unikernel({ start() { ${start} } });\n`;
const out = () => path.join(tempDir(), "out.tsuki");

async function typeErrors(files: Record<string, string>, dir = unikernelDir(files)): Promise<TsukiError> {
  try {
    await buildImage(dir, { out: out() });
  } catch (error) {
    assert.equal((error as TsukiError).code, "ERR_BUILD_TYPE", (error as Error).message);
    return error as TsukiError;
  }
  assert.fail("the build should fail");
}

describe("type errors", () => {
  test("fail the build with file, line, column, TypeScript's code and message", async () => {
    const error = await typeErrors({ "src/main.ts": main(`\nconst port: number = "8080";`, "port;") });
    assert.deepEqual(error.details, [`src/main.ts:3:7: TS2322: Type 'string' is not assignable to type 'number'.`]);
  });

  test("in another module of the unikernel name that module, with TypeScript's elaboration on the same line", async () => {
    const error = await typeErrors({
      "src/main.ts": main(`import { config } from "./config.ts";`, "config;"),
      "src/config.ts": `// settings\n\nexport const config: (port: number) => void = (port: string) => {};\n`,
    });
    assert.equal(error.details.length, 1);
    assert.match(error.details[0]!, /^src\/config\.ts:3:14: TS2322: Type '\(port: string\) => void' is not assignable to type '\(port: number\) => void'\. Types of parameters 'port' and 'port' are incompatible\./);
  });

  test("the DOM is not there, even when the unikernel's tsconfig asks for it", async () => {
    const error = await typeErrors({
      "src/main.ts": main("", "document.title;"),
      "tsconfig.json": `{\n  // the unikernel's own settings\n  "compilerOptions": { "lib": ["es2024", "dom"], "strict": true, },\n}\n`,
    });
    assert.match(error.details[0]!, /^src\/main\.ts:3:\d+: TS2584: Cannot find name 'document'/);
  });

  test("Node's types are not there, even when the unikernel's tsconfig names them", async () => {
    const dir = unikernelDir({ "src/main.ts": main("const t: NodeJS.Timeout | undefined = undefined;", "t;"), "tsconfig.json": JSON.stringify({ compilerOptions: { types: ["node"] } }) });
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const error = await typeErrors({}, dir);
    assert.match(error.details[0]!, /^src\/main\.ts:2:10: TS2503: Cannot find namespace 'NodeJS'/);
  });

  test(`more than ${MAX_LISTED} are listed up to ${MAX_LISTED}, then counted`, async () => {
    const error = await typeErrors({ "src/main.ts": main(Array.from({ length: MAX_LISTED + 3 }, (_, i) => `const v${i}: number = "x";`).join("\n")) });
    assert.equal(error.details.length, MAX_LISTED + 3);
    assert.equal(error.problems.length, MAX_LISTED + 1);
    assert.equal(error.problems.at(-1)!.message, "and 3 more");
  });

  test("are reported with the uses of missing globals, each with its own code", async () => {
    try {
      await buildImage(unikernelDir({ "src/main.ts": main(`const n: number = "x";`, "Buffer.from('x'); n;") }), { out: out() });
      assert.fail("the build should fail");
    } catch (error) {
      assert.deepEqual((error as TsukiError).problems.map((p) => p.code), ["ERR_BUILD_GLOBAL", "ERR_BUILD_TYPE"]);
    }
  });
});

describe("what the check leaves alone", () => {
  test("check: false builds a unikernel with type errors", async () => {
    await buildImage(unikernelDir({ "src/main.ts": main(`const port: number = "8080";`, "port;") }), { out: out(), check: false });
  });

  test("missing globals are the globals check's: feature detection type-checks, and no error says @types/node", async () => {
    await buildImage(unikernelDir({ "src/main.ts": main(`const env = typeof process !== "undefined" ? process.env.X : "y";`, "env;") }), { out: out() });
  });

  test("the globals a unikernel has type-check: WebAssembly, the web platform, crypto.subtle", async () => {
    const body = `const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 }); memory.grow(1);
      const ok: boolean = WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
      const url = new URL("https://example.com/a?b=c"); const r = new Response(url.searchParams.get("b"));
      void crypto.subtle.digest("SHA-256", new Uint8Array(1)); void r.text(); ok;`;
    await buildImage(unikernelDir({ "src/main.ts": main("", body) }), { out: out() });
    // And what is not there is a type error (the check has teeth here too).
    await typeErrors({ "src/main.ts": main("", "new WebAssembly.Nonsense();") });
  });

  test("errors inside a package's TypeScript sources are the package's, not the unikernel's", async () => {
    await buildImage(
      unikernelDir({
        "src/main.ts": main(`import { two } from "tspkg";`, "two;"),
        "node_modules/tspkg/package.json": JSON.stringify({ name: "tspkg", version: "1.0.0", type: "module", main: "index.ts" }),
        "node_modules/tspkg/index.ts": `const wrong: string = 1;\nexport const two: number = 2;\n`,
      }),
      { out: out() },
    );
  });

  test("the unikernel's tsconfig applies: its strictness and its path aliases", async () => {
    await buildImage(
      unikernelDir({
        "src/main.ts": main(`import { twice } from "@lib/twice";\nfunction loose(x) { return x; }`, "twice(loose(1));"),
        "src/lib/twice.ts": "export const twice = (n: number) => 2 * n;\n",
        "tsconfig.json": JSON.stringify({ compilerOptions: { strict: false, paths: { "@lib/*": ["./src/lib/*"] } } }),
      }),
      { out: out() },
    );
  });

  test("its own declaration files are part of the check", async () => {
    await buildImage(
      unikernelDir({
        "src/main.ts": main(`import pad from "untyped-pad";`, "pad;"),
        "src/types/untyped.d.ts": `declare module "untyped-pad" {\n  const pad: (s: string) => string;\n  export default pad;\n}\n`,
        "node_modules/untyped-pad/package.json": JSON.stringify({ name: "untyped-pad", version: "1.0.0", type: "module", main: "index.js" }),
        "node_modules/untyped-pad/index.js": "export default (s) => s;\n",
      }),
      { out: out() },
    );
  });

  test("a JavaScript entry is not type-checked", async () => {
    await buildImage(unikernelDir({ "src/main.js": `import { unikernel } from "tsuki";\nfunction f() {\n  const n = 1;\n  return n.nope.deeper;\n}\nexport default unikernel({ start() { f; } });\n` }), { out: out() });
  });
});

test("every example type-checks against the unikernel's global scope", async () => {
  for (const example of readdirSync(path.join(ROOT, "examples"))) {
    await buildImage(path.join(ROOT, "examples", example), { out: out() });
  }
});

describe("tsuki build on the command line", () => {
  test("prints one line per type error with its code, and --no-check builds anyway", async () => {
    const dir = unikernelDir({ "src/main.ts": main(`const port: number = "8080";`, "port;") });
    const failed = await finished(start(["build", dir, "--out", out()]));
    assert.equal(failed.code, 65);
    assert.equal(failed.stderr, `tsuki: error ERR_BUILD_TYPE: src/main.ts:2:7: TS2322: Type 'string' is not assignable to type 'number'.\n`);
    const built = await finished(start(["build", dir, "--no-check", "--out", out()]));
    assert.equal(built.code, 0, built.stderr);
  });
});
