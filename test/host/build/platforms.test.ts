/**
 * Another platform's built-ins — Cloudflare Workers', Bun's, Deno's, JSR and npm: specifiers, URL
 * imports, Node's — fail the build saying what this platform's equivalent is (a device, a global,
 * a library), never "npm install"; a Workers-style module is built into a unikernel that serves
 * its fetch, and one with handlers tsuki cannot run is refused naming them.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { buildImage } from "../../../src/host/build/build.ts";
import type { TsukiError } from "../../../src/host/common/errors.ts";
import { readImage } from "../../../src/host/image/image.ts";
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
  const WORKER = `import { connector } from "tsuki";
export const devices = { upstream: connector() };
const pending: string[] = [];
export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: { waitUntil(p: Promise<unknown>): void }) {
    const path = new URL(request.url).pathname;
    if (path === "/later") ctx.waitUntil(new Promise((resolve) => setTimeout(() => resolve(pending.push("done later")), 10)));
    if (path === "/pending") return new Response(pending.join(","));
    if (path === "/fail-later") ctx.waitUntil(Promise.reject(new Error("failed after the response")));
    return Response.json({ path, self: this === undefined ? "none" : typeof (this as { fetch?: unknown }).fetch, greeting: env.greeting, upstream: typeof (env.upstream as { connect?: unknown })?.connect, http: env.http ?? "absent" });
  },
};
`;

  async function serveWorker(args: Record<string, unknown> = {}) {
    const image = await buildSource(WORKER);
    const { tender, lines } = testTender("isolate");
    const unikernel = await tender.boot(image, { bindings: [{ name: "http", uri: "tcp://127.0.0.1:0" }, { name: "upstream", uri: "tcp://127.0.0.1:9" }], args });
    return { image, unikernel, lines, url: (p: string) => `http://127.0.0.1:${unikernel.addresses.http!.port}${p}` };
  }

  test("is served with tsuki/http on the listener http: env holds its args and devices, this is the module, ctx.waitUntil runs on after the response", async () => {
    const { image, unikernel, lines, url } = await serveWorker({ greeting: "hi" });
    try {
      assert.deepEqual(Object.keys(image.manifest.devices), ["http", "upstream"]);
      assert.deepEqual(image.manifest.runtime, ["web"]);
      assert.deepEqual(await (await fetch(url("/x"))).json(), { path: "/x", self: "function", greeting: "hi", upstream: "function", http: "absent" });
      assert.equal(await (await fetch(url("/later"))).status, 200);
      for (let i = 0; i < 100 && (await (await fetch(url("/pending"))).text()) === ""; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await (await fetch(url("/pending"))).text(), "done later");
      await fetch(url("/fail-later"));
      for (let i = 0; i < 100 && !lines.some((l) => /ctx\.waitUntil: a promise failed/.test(l.text)); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(lines.some((l) => l.stream === 2 && /failed after the response/.test(l.text)));
      assert.equal(unikernel.status, undefined);
    } finally {
      unikernel.stop();
      await unikernel.exited;
    }
  });

  test("an arg with a device's name stops the unikernel, saying which", async () => {
    const { unikernel } = await serveWorker({ upstream: "x" });
    const status = await unikernel.exited;
    assert.match(status.reason, /env\.upstream would be both an arg and a device/);
  });

  test("with handlers besides fetch, fails the build naming them", async () => {
    const error = await buildError({ "src/main.ts": "export default { fetch() {}, scheduled() {} };\n" }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /export default \{ fetch, scheduled \}/);
    assert.match(error.message, /serves its fetch on the listener "http", but scheduled has nothing to call it here/);
  });

  test("an http device that is not a listener fails the build", async () => {
    const error = await buildError({ "src/main.ts": 'import { connector } from "tsuki";\nexport const devices = { http: connector() };\nexport default { fetch() {} };\n' }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /served on the listener named "http", but its devices declare http as a connector/);
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
});
