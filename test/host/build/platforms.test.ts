/**
 * Another platform's built-ins — Cloudflare Workers', Bun's, Deno's, JSR and npm: specifiers, URL
 * imports, Node's — fail the build saying what this platform's equivalent is (a device, a global,
 * a library), never "npm install"; a Workers-style module is answered with the line that wraps it,
 * and that line works.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { buildImage } from "../../../src/host/build/build.ts";
import type { TsukiError } from "../../../src/host/errors.ts";
import { readImage } from "../../../src/host/build/image.ts";
import { bootToEnd, buildSource, craftImage, tempDir, testTender, unikernelDir } from "../../helpers.ts";

const main = (head: string, start = "") => `import { unikernel } from "tsuki";\n${head}\nexport default unikernel({ start() { ${start} } });\n`;

async function buildError(files: Record<string, string>, code: string): Promise<TsukiError> {
  try {
    await buildImage(unikernelDir(files), { out: path.join(tempDir(), "out.tsuki"), check: false });
  } catch (error) {
    assert.equal((error as TsukiError).code, code, (error as Error).message);
    return error as TsukiError;
  }
  assert.fail("the build should fail");
}

describe("imports of another platform's built-ins", () => {
  const cases: [spec: string, advice: RegExp][] = [
    ["cloudflare:sockets", /declare a connector\(\) in unikernel\(\{ devices \}\).*--dev NAME=tcp:\/\/host:port.*connect\(\)/],
    ["cloudflare:workers", /bindings are devices; declare them in unikernel\(\{ devices \}\)/],
    ["cloudflare:email", /Cloudflare Workers built-in/],
    ["bun:sqlite", /block\(\) device; "tsuki\/kv"/],
    ["bun:ffi", /native code/],
    ["bun:jsc", /Bun built-in/],
    ["bun", /serve\(\) from "tsuki\/http" on a listener\(\) device/],
    ["deno:fs", /global Deno/],
    ["jsr:@std/path", /npx jsr add @std\/path" and import "@std\/path"/],
    ["npm:lodash@4", /npm install lodash and import "lodash"/],
    ["https://deno.land/x/oak/mod.ts", /import from a URL.*install the package/],
  ];
  for (const [spec, advice] of cases) {
    test(`"${spec}" fails at its line, saying what to use here instead of npm install`, async () => {
      const error = await buildError({ "src/main.ts": main(`\nimport * as x from "${spec}";`, "x;") }, "ERR_BUILD_IMPORT");
      assert.equal(error.details.length, 1, error.message);
      assert.match(error.details[0]!, /^src\/main\.ts:3:\d+: /);
      assert.match(error.details[0]!, advice);
      assert.doesNotMatch(error.details[0]!, /npm install (cloudflare|bun|deno|jsr|npm|https)/);
    });
  }

  test('a package named "bun" that is installed is just a package', async () => {
    await buildSource(main(`import b from "bun";`, "b;"), {
      "node_modules/bun/package.json": JSON.stringify({ name: "bun", version: "1.0.0", type: "module", main: "index.js" }),
      "node_modules/bun/index.js": "export default 1;\n",
    });
  });

  test("a package importing a Bun built-in is named", async () => {
    const error = await buildError(
      {
        "src/main.ts": main(`import db from "bunpkg";`, "db;"),
        "node_modules/bunpkg/package.json": JSON.stringify({ name: "bunpkg", version: "1.0.0", type: "module", main: "index.js" }),
        "node_modules/bunpkg/index.js": `import { Database } from "bun:sqlite";\nexport default Database;\n`,
      },
      "ERR_BUILD_IMPORT",
    );
    assert.match(error.details[0]!, /^node_modules\/bunpkg\/index\.js:1:\d+: package "bunpkg": "bun:sqlite" is Bun's SQLite/);
  });

  test("Node built-ins say what replaces them", async () => {
    const error = await buildError({ "src/main.ts": main(`import fs from "fs";\nimport net from "node:net";\nimport { createServer } from "node:https";`, "fs; net; createServer;") }, "ERR_BUILD_IMPORT");
    assert.match(error.details[0]!, /Node built-in.*instead, embed read-only files in the image with unikernel\(\{ assets \}\).*block\(\) device/);
    assert.match(error.details[1]!, /instead, declare a listener\(\) device to accept connections, or a connector\(\)/);
    assert.match(error.details[2]!, /instead, serve HTTP with serve\(\) from "tsuki\/http"/);
  });
});

describe("a Workers-style module", () => {
  const worker = `const worker = {\n  async fetch(request: { url: string }): Promise<unknown> {\n    return new Response(\`hello from \${request.url.slice(request.url.indexOf("/", 8))}\\n\`);\n  },\n};\n`;

  test("fails the build with the one line that wraps it in a unikernel", async () => {
    const error = await buildError({ "src/main.ts": `import { Response } from "tsuki/http";\n${worker}export default worker;\n` }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /Workers-style module \(export default \{ fetch \}\), which tsuki does not run yet/);
    assert.match(error.message, /export default unikernel\(\{ devices: \{ web: listener\(\) \}, start: .*serve\(web, \(request\) => worker\.fetch\(request, \{\}, /);
  });

  test("names its other handlers, which the line does not serve", async () => {
    const error = await buildError({ "src/main.ts": "export default { fetch() {}, scheduled() {} };\n" }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /export default \{ fetch, scheduled \}/);
    assert.match(error.message, /only fetch is served this way; scheduled would need a device of its own/);
  });

  test("an image of one that the build did not make is refused at boot, saying so", async () => {
    const r = await bootToEnd("isolate", readImage(craftImage("export default { fetch() {} };\n")));
    assert.equal(r.status.code, 1);
    assert.match(r.status.reason, /Workers-style module/);
  });

  test("an object without fetch is still just not a unikernel", async () => {
    const error = await buildError({ "src/main.ts": "export default { scheduled() {} };\n" }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /not a unikernel/);
  });

  test("the line it gives, applied, builds a unikernel that serves the handler", async () => {
    const error = await buildError({ "src/main.ts": `${worker}export default worker;\n` }, "ERR_BUILD_DECLARATION");
    const line = /: (export default unikernel\(.*\);) with (import .*) and (import .*)$/.exec(error.message)!;
    assert.ok(line, error.message);
    const source = `${line[2]};\n${line[3]};\nimport { Response } from "tsuki/http";\n${worker}${line[1]}\n`;
    const image = await buildSource(source);
    const { tender } = testTender("isolate");
    const unikernel = await tender.boot(image, { bindings: [{ name: "web", uri: "tcp://127.0.0.1:0" }] });
    try {
      await unikernel.started;
      const response = await fetch(`http://127.0.0.1:${unikernel.addresses.web!.port}/from-workers`);
      assert.equal(await response.text(), "hello from /from-workers\n");
    } finally {
      unikernel.stop();
      await unikernel.exited;
    }
  });
});
