/**
 * tsuki build: a unikernel folder becomes one sealed, reproducible image, and what can never work
 * inside a unikernel fails the build with an error that names the file, the line and the import.
 */

import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { ABI_VERSION } from "../../../src/abi/index.ts";
import { type BuildResult, buildImage } from "../../../src/host/build/build.ts";
import { type Image, readImage, sha256 } from "../../../src/host/image/image.ts";
import { ROOT, bootToEnd, tempDir, unikernelDir } from "../../helpers.ts";

const HELLO = path.join(ROOT, "examples/hello");
const MAX_HELLO_BYTES = 10 * 1024;

/** A main.ts that imports `head` and prints what `start` computes. */
const main = (head: string, start = "", options = "") =>
  `import { unikernel } from "tsuki";\n${head}\nexport default unikernel({ ${options} start() { ${start} } });\n`;

/** Copies examples/hello (without its build output) to `dir`. */
function copyHello(dir: string): string {
  cpSync(HELLO, dir, { recursive: true, filter: (src) => !/[\\/](dist|node_modules)$/.test(src) });
  return dir;
}

/** Builds `dir` into a temporary file, so nothing is written into the folder under test. */
async function build(dir: string): Promise<BuildResult & { bytes: Buffer; read: Image }> {
  // The type check has tests of its own (type-check.test.ts); these packages ship no types.
  const result = await buildImage(dir, { out: path.join(tempDir(), "out.tsuki"), check: false });
  const bytes = readFileSync(result.image);
  return { ...result, bytes, read: readImage(bytes) };
}

/** Runs the build of `files` and returns the error it must fail with. */
async function buildError(files: Record<string, string | Uint8Array>, code: string, dirName?: string): Promise<Error & { code: string; details: readonly string[] }> {
  const dir = unikernelDir(files, dirName);
  let caught: unknown;
  try {
    await buildImage(dir, { out: path.join(tempDir(), "out.tsuki") });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, "the build should fail");
  assert.equal((caught as { code?: string }).code, code, (caught as Error).message);
  return caught as Error & { code: string; details: readonly string[] };
}

describe("the hello example", () => {
  let hello: Promise<Awaited<ReturnType<typeof build>>> | undefined;
  const built = () => (hello ??= build(copyHello(path.join(tempDir(), "hello"))));

  test("builds into an image of at most 10 KB that the tender accepts", async () => {
    const { bytes, size, sha256: hash } = await built();
    assert.ok(size <= MAX_HELLO_BYTES, `the hello image is ${size} bytes`);
    assert.equal(bytes.length, size);
    assert.equal(hash, sha256(bytes));
    assert.doesNotThrow(() => readImage(bytes));
  });

  test("its manifest names hello at ABI version 1 with no devices and the entry's hash", async () => {
    const { manifest, read } = await built();
    assert.equal(manifest.name, "hello");
    assert.equal(manifest.version, "1.0.0");
    assert.equal(manifest.abi, ABI_VERSION);
    assert.equal(manifest.abi, 1);
    assert.deepEqual(manifest.devices, {});
    assert.deepEqual(manifest.assets, []);
    assert.equal(manifest.entry.path, "main.js");
    assert.equal(manifest.entry.sha256, sha256(read.entry));
    assert.equal(manifest.entry.size, Buffer.byteLength(read.entry));
    assert.deepEqual(read.manifest, manifest);
  });

  test("its inputs are the unikernel's source, the SDK and package.json, each with its hash", async () => {
    const { manifest } = await built();
    assert.equal(manifest.inputs["src/main.ts"], sha256(readFileSync(path.join(HELLO, "src/main.ts"))));
    assert.equal(manifest.inputs["tsuki:guest/sdk/index.ts"], sha256(readFileSync(path.join(ROOT, "src/guest/sdk/index.ts"))));
    assert.equal(manifest.inputs["package.json"], sha256(readFileSync(path.join(HELLO, "package.json"))));
    const keys = Object.keys(manifest.inputs);
    assert.deepEqual(keys, [...keys].sort(), "inputs are in path order");
    assert.ok(keys.every((k) => !path.isAbsolute(k)), `no absolute paths: ${keys}`);
  });

  test("its entry is one ES module with no imports", async () => {
    const { read } = await built();
    assert.doesNotMatch(read.entry, /^\s*import\s/m);
    assert.doesNotMatch(read.entry, /\brequire\s*\(/);
  });

  test("booted, it prints and exits 0", async () => {
    const { read } = await built();
    const r = await bootToEnd("isolate", read);
    assert.equal(r.status.code, 0, r.status.reason);
    assert.ok(r.out.length > 0);
  });
});

describe("reproducibility", () => {
  test("the same source in two folders at different depths gives byte-identical images", async () => {
    const a = await build(copyHello(path.join(tempDir("tsuki-x-"), "a", "hello")));
    const b = await build(copyHello(path.join(tempDir("tsuki-y-"), "hello")));
    assert.equal(a.sha256, b.sha256);
    assert.ok(a.bytes.equals(b.bytes));
  });

  test("the image holds no absolute path of the folder it was built in", async () => {
    const dir = copyHello(path.join(tempDir("tsuki-where-"), "hello"));
    const { bytes } = await build(dir);
    assert.equal(bytes.includes(Buffer.from(path.dirname(dir))), false);
    assert.equal(bytes.includes(Buffer.from(ROOT)), false);
  });

  test("building the same folder twice gives byte-identical images", async () => {
    const dir = copyHello(path.join(tempDir(), "hello"));
    const first = await buildImage(dir);
    const firstBytes = readFileSync(first.image);
    const second = await buildImage(dir); // the first image now sits in dist/: it must not leak in
    assert.equal(second.sha256, first.sha256);
    assert.ok(readFileSync(second.image).equals(firstBytes));
  });

  test("a one-character change in the source changes the SHA-256", async () => {
    const dir = copyHello(path.join(tempDir(), "hello"));
    const before = await build(dir);
    const file = path.join(dir, "src/main.ts");
    const source = readFileSync(file, "utf8");
    const at = source.indexOf("hello from");
    assert.ok(at >= 0, "examples/hello prints \"hello from\"");
    writeFileSync(file, `${source.slice(0, at)}jello${source.slice(at + 5)}`);
    const after = await build(dir);
    assert.notEqual(after.sha256, before.sha256);
    assert.notEqual(after.manifest.inputs["src/main.ts"], before.manifest.inputs["src/main.ts"]);
  });
});

describe("where the image goes", () => {
  test("by default the image goes to <dir>/dist/<name>.tsuki", async () => {
    const dir = unikernelDir({ "src/main.ts": main("") }, "svc");
    const result = await buildImage(dir);
    assert.equal(result.image, path.join(dir, "dist", "svc.tsuki"));
    assert.equal(sha256(readFileSync(result.image)), result.sha256);
  });

  test("the out option puts the image exactly there, creating its folder", async () => {
    const dir = unikernelDir({ "src/main.ts": main("") }, "svc");
    const out = path.join(tempDir(), "deep", "er", "custom-name.img");
    const result = await buildImage(dir, { out });
    assert.equal(result.image, out);
    assert.equal(readFileSync(out).length, result.size);
    assert.equal(sha256(readFileSync(out)), result.sha256);
    assert.equal(existsSync(path.join(dir, "dist")), false);
  });
});

describe("imports that cannot work inside a unikernel", () => {
  /** Asserts one error line per entry of `expected`, each naming the file:line and the import. */
  async function importErrors(files: Record<string, string>, expected: { file: string; line: number; spec: string; why?: RegExp }[]) {
    const error = await buildError(files, "ERR_BUILD_IMPORT");
    assert.equal(error.details.length, expected.length, error.message);
    expected.forEach(({ file, line, spec, why }, i) => {
      const detail = error.details[i]!;
      assert.ok(detail.startsWith(`${file}:${line}:`), `"${detail}" should start with ${file}:${line}:`);
      assert.ok(detail.includes(`"${spec}"`), `"${detail}" should name "${spec}"`);
      if (why) assert.match(detail, why);
      assert.ok(error.message.includes(detail), "the message holds every detail");
    });
    return error;
  }

  test('import fs from "fs" fails naming the file, the line and the import', async () => {
    await importErrors({ "src/main.ts": main(`import fs from "fs";`, "fs;") }, [{ file: "src/main.ts", line: 2, spec: "fs", why: /Node built-in/ }]);
  });

  test('import { readFile } from "node:fs/promises" fails naming the file, the line and the import', async () => {
    await importErrors({ "src/main.ts": main(`import { readFile } from "node:fs/promises";`, "readFile;") }, [
      { file: "src/main.ts", line: 2, spec: "node:fs/promises", why: /Node built-in/ },
    ]);
  });

  test("two bad imports in one file give two errors, one per import", async () => {
    await importErrors({ "src/main.ts": main(`import fs from "fs";\nimport { createServer } from "node:http";`, "fs; createServer;") }, [
      { file: "src/main.ts", line: 2, spec: "fs" },
      { file: "src/main.ts", line: 3, spec: "node:http" },
    ]);
  });

  test("a bad import in a second module of the unikernel names that module", async () => {
    await importErrors({ "src/main.ts": main(`import { x } from "./util.ts";`, "x;"), "src/util.ts": `\n\nimport os from "os";\nexport const x = os;\n` }, [
      { file: "src/util.ts", line: 3, spec: "os" },
    ]);
  });

  test("an unresolvable package fails, saying how to install it", async () => {
    await importErrors({ "src/main.ts": main(`import x from "left-pad-not-installed";`, "x;") }, [
      { file: "src/main.ts", line: 2, spec: "left-pad-not-installed", why: /npm install left-pad-not-installed/ },
    ]);
  });

  test("a relative import of a missing file fails, saying there is no such file", async () => {
    const error = await importErrors({ "src/main.ts": main(`import x from "./missing.ts";`, "x;") }, [
      { file: "src/main.ts", line: 2, spec: "./missing.ts", why: /no such file/ },
    ]);
    assert.doesNotMatch(error.message, /npm install/);
  });

  test("a package in the folder's node_modules that imports a Node built-in fails, naming the package and the built-in", async () => {
    await importErrors(
      {
        "src/main.ts": main(`import connect from "badpkg";`, "connect;"),
        "node_modules/badpkg/package.json": JSON.stringify({ name: "badpkg", version: "1.0.0", type: "module", main: "index.js" }),
        "node_modules/badpkg/index.js": `// a client\nimport net from "net";\nexport default (port) => net.connect(port);\n`,
      },
      [{ file: "node_modules/badpkg/index.js", line: 2, spec: "net", why: /package "badpkg" imports the Node built-in "net"/ }],
    );
  });

  test("a CommonJS package that requires a Node built-in fails, naming the package and the built-in", async () => {
    await importErrors(
      {
        "src/main.ts": main(`import connect from "badcjs";`, "connect;"),
        "node_modules/badcjs/package.json": JSON.stringify({ name: "badcjs", version: "1.0.0", main: "index.js" }),
        "node_modules/badcjs/index.js": `const net = require("net");\nmodule.exports = (port) => net.connect(port);\n`,
      },
      [{ file: "node_modules/badcjs/index.js", line: 1, spec: "net", why: /package "badcjs" imports the Node built-in "net"/ }],
    );
  });

  test("require() in the unikernel's own code fails, asking for an import", async () => {
    await importErrors({ "src/main.ts": main(`const x = require("./x");`, "x;"), "src/x.js": "module.exports = 1;\n" }, [
      { file: "src/main.ts", line: 2, spec: "./x", why: /require\("\.\/x"\).*import/ },
    ]);
  });
});

describe("packages the unikernel imports", () => {
  test("a pure ES module package from the folder's node_modules builds and works", async () => {
    const { read, manifest } = await build(
      unikernelDir({
        "src/main.ts": main(`import { greet } from "esm-greet";`, `console.log(greet("tsuki"));`),
        "node_modules/esm-greet/package.json": JSON.stringify({ name: "esm-greet", version: "1.0.0", type: "module", exports: "./index.js" }),
        "node_modules/esm-greet/index.js": `export const greet = (who) => \`hello, \${who}\`;\n`,
      }),
    );
    // Named by package, version and path, not by where npm put it (layouts.test.ts).
    assert.equal(manifest.inputs["esm-greet@1.0.0/index.js"], sha256(`export const greet = (who) => \`hello, \${who}\`;\n`));
    assert.equal("node_modules/esm-greet/index.js" in manifest.inputs, false);
    const r = await bootToEnd("isolate", read);
    assert.deepEqual(r.out, ["hello, tsuki"]);
    assert.equal(r.status.code, 0, r.status.reason);
  });

  test("a CommonJS package with module.exports builds and works, its own require() included", async () => {
    const { read } = await build(
      unikernelDir({
        "src/main.ts": main(`import pad from "cjs-pad";`, `console.log(pad("7", 3));`),
        "node_modules/cjs-pad/package.json": JSON.stringify({ name: "cjs-pad", version: "1.0.0", main: "index.js" }),
        "node_modules/cjs-pad/index.js": `const zeros = require("./zeros.js");\nmodule.exports = function pad(s, n) { return zeros(n - s.length) + s; };\n`,
        "node_modules/cjs-pad/zeros.js": `module.exports = (n) => "0".repeat(n);\n`,
      }),
    );
    const r = await bootToEnd("isolate", read);
    assert.deepEqual(r.out, ["007"]);
    assert.equal(r.status.code, 0, r.status.reason);
  });
});

describe("imports of tsuki", () => {
  test('"tsuki" resolves to the SDK of the running tsuki without any node_modules in the folder', async () => {
    const dir = unikernelDir({ "src/main.ts": main(`import { listener } from "tsuki";`, "", "devices: { web: listener() },") });
    assert.equal(existsSync(path.join(dir, "node_modules")), false);
    const { manifest } = await build(dir);
    assert.deepEqual(manifest.devices, { web: { kind: "listener" } });
    assert.ok(Object.keys(manifest.inputs).some((k) => k.startsWith("tsuki:guest/sdk/")));
  });

  test('"tsuki/nonexistent" fails naming the import and saying it is not a module of tsuki', async () => {
    const error = await buildError({ "src/main.ts": main(`import x from "tsuki/nonexistent";`, "x;") }, "ERR_BUILD_IMPORT");
    assert.equal(error.details.length, 1);
    assert.match(error.details[0]!, /^src\/main\.ts:2:\d+: "tsuki\/nonexistent" is not a module of tsuki/);
  });
});

describe("the unikernel's declaration", () => {
  test("a top-level throw fails the build with the error's message", async () => {
    const error = await buildError({ "src/main.ts": `import { unikernel } from "tsuki";\nthrow new Error("no config here");\nexport default unikernel({ start() {} });\n` }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /top-level code/);
    assert.match(error.message, /no config here/);
  });

  test("a top-level throw's stack names the developer's file and line, not the bundle's", async () => {
    const error = await buildError(
      { "src/main.ts": `import { unikernel } from "tsuki";\nimport "./config.ts";\nexport default unikernel({ start() {} });\n`, "src/config.ts": `// configuration\n\nthrow new Error("no config here");\n` },
      "ERR_BUILD_DECLARATION",
    );
    assert.match(error.message, /src\/config\.ts:3:7/);
    assert.doesNotMatch(error.message, /tsuki:image\//);
  });

  test("a default export that is not unikernel(...) fails with a hint", async () => {
    const error = await buildError({ "src/main.ts": `export default { start() {} };\n` }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /not a unikernel/);
    assert.match(error.message, /export default unikernel\(/);
  });

  test("a module with no default export fails with the same hint", async () => {
    const error = await buildError({ "src/main.ts": `export const start = () => {};\n` }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /export default unikernel\(/);
  });

  test("a device named after a key start() already receives fails the build", async () => {
    const error = await buildError({ "src/main.ts": main(`import { listener } from "tsuki";`, "", "devices: { console: listener() },") }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /"console" is reserved/);
  });

  test("a device of an unknown kind fails the build, listing the kinds", async () => {
    const error = await buildError({ "src/main.ts": main("", "", `devices: { web: { kind: "floppy" } } as any,`) }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /"web" has kind "floppy"/);
    assert.match(error.message, /listener\(\)/);
  });

  test("a device name that is not an identifier fails the build", async () => {
    const error = await buildError({ "src/main.ts": main(`import { udp } from "tsuki";`, "", `devices: { "my-dev": udp() },`) }, "ERR_BUILD_DECLARATION");
    assert.match(error.message, /"my-dev"/);
  });

  test("declared devices are written to the manifest in name order with their kinds", async () => {
    const { manifest } = await build(
      unikernelDir({ "src/main.ts": main(`import { udp, block, listener } from "tsuki";`, "", "devices: { web: listener(), data: block(), dns: udp() },") }),
    );
    assert.deepEqual(Object.entries(manifest.devices), [
      ["data", { kind: "block" }],
      ["dns", { kind: "udp" }],
      ["web", { kind: "listener" }],
    ]);
  });
});

describe("assets", () => {
  const site: Record<string, string | Uint8Array> = {
    "public/index.html": "<h1>hi</h1>\n",
    "public/css/site.css": "h1 { color: red }\n",
    "public/img/icons/logo.bin": new Uint8Array([0, 1, 2, 255, 254, 0]),
    "public/B.txt": "capital first\n",
    "public/z.txt": "",
    "public/a-b.txt": "dash before slash\n",
    "public/a/b.txt": "nested\n",
  };
  const withAssets = (folder: string, start = "") => main("", start, `assets: ${JSON.stringify(folder)},`);

  test("every file under the assets folder, nested folders included, is embedded in path order with its size and SHA-256", async () => {
    const { manifest, read } = await build(unikernelDir({ "src/main.ts": withAssets("public"), ...site }));
    const expected = Object.entries(site)
      .map(([file, data]) => ({ path: file.slice("public/".length), data: Buffer.from(data) }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    assert.deepEqual(
      manifest.assets.map((a) => a.path),
      ["B.txt", "a-b.txt", "a/b.txt", "css/site.css", "img/icons/logo.bin", "index.html", "z.txt"],
    );
    assert.deepEqual(
      manifest.assets,
      expected.map((e) => ({ path: e.path, size: e.data.length, sha256: sha256(e.data) })),
    );
    assert.deepEqual(
      read.assets.map((a) => Buffer.from(a)),
      expected.map((e) => e.data),
    );
  });

  test("embedded assets are readable through the SDK when booted", async () => {
    const { read } = await build(
      unikernelDir({
        "src/main.ts": main("", `console.log(assets.list().map((a) => a.path).join(",")); console.log(JSON.stringify(assets.text("css/site.css"))); console.log(assets.read("img/icons/logo.bin").join(" "));`, `assets: "public",`).replace(
          "start()",
          "start({ assets })",
        ),
        ...site,
      }),
    );
    const r = await bootToEnd("isolate", read);
    assert.equal(r.status.code, 0, r.status.reason);
    assert.deepEqual(r.out, ["B.txt,a-b.txt,a/b.txt,css/site.css,img/icons/logo.bin,index.html,z.txt", JSON.stringify("h1 { color: red }\n"), "0 1 2 255 254 0"]);
  });

  test("an assets folder that does not exist is refused", async () => {
    const error = await buildError({ "src/main.ts": withAssets("public") }, "ERR_BUILD_ASSETS");
    assert.match(error.message, /"public" does not exist/);
  });

  test("an assets folder outside the unikernel's folder is refused, even when it exists", async () => {
    const dir = unikernelDir({ "src/main.ts": withAssets("../x") });
    mkdirSync(path.join(dir, "../x"));
    writeFileSync(path.join(dir, "../x/secret.txt"), "secret");
    await assert.rejects(buildImage(dir, { out: path.join(tempDir(), "o.tsuki") }), { code: "ERR_BUILD_ASSETS", message: /outside the unikernel's folder/ });
  });

  test("an absolute assets folder outside the unikernel's folder is refused", async () => {
    const outside = tempDir();
    writeFileSync(path.join(outside, "secret.txt"), "secret");
    await buildError({ "src/main.ts": withAssets(outside) }, "ERR_BUILD_ASSETS");
  });

  test("an assets folder reached through a symbolic link to outside the unikernel's folder is refused", async () => {
    const outside = tempDir();
    mkdirSync(path.join(outside, "sub"));
    writeFileSync(path.join(outside, "sub/secret.txt"), "secret");
    const dir = unikernelDir({ "src/main.ts": withAssets("link/sub") });
    symlinkSync(outside, path.join(dir, "link"));
    await assert.rejects(buildImage(dir, { out: path.join(tempDir(), "o.tsuki") }), { code: "ERR_BUILD_ASSETS", message: /symbolic link/ });
  });

  test("a symbolic link inside the assets folder is refused, naming it", async () => {
    const dir = unikernelDir({ "src/main.ts": withAssets("public"), "public/index.html": "hi" });
    symlinkSync("/etc/hostname", path.join(dir, "public/host"));
    await assert.rejects(buildImage(dir, { out: path.join(tempDir(), "o.tsuki") }), { code: "ERR_BUILD_ASSETS", message: /public\/host is a symbolic link/ });
  });

  test("the unikernel's folder itself is refused as the assets folder", async () => {
    const error = await buildError({ "src/main.ts": withAssets(".") }, "ERR_BUILD_ASSETS");
    assert.match(error.message, /subfolder/);
  });

  test('a folder inside the unikernel whose name begins with ".." is accepted', async () => {
    const { manifest } = await build(unikernelDir({ "src/main.ts": withAssets("..public"), "..public/a.txt": "a" }));
    assert.deepEqual(
      manifest.assets.map((a) => a.path),
      ["a.txt"],
    );
  });

  test("an empty assets folder gives an image with no assets", async () => {
    const dir = unikernelDir({ "src/main.ts": withAssets("public") });
    mkdirSync(path.join(dir, "public"));
    const { manifest } = await build(dir);
    assert.deepEqual(manifest.assets, []);
  });
});

describe("the unikernel's folder and package.json", () => {
  test("without a package.json the image is named after the folder, at version 0.0.0", async () => {
    const { manifest } = await build(unikernelDir({ "src/main.ts": main("") }, "my-svc"));
    assert.equal(manifest.name, "my-svc");
    assert.equal(manifest.version, "0.0.0");
  });

  test("the name and version are taken from package.json", async () => {
    const { manifest, image } = await buildImage(
      unikernelDir({ "src/main.ts": main(""), "package.json": JSON.stringify({ name: "web-site", version: "2.3.4-beta.1" }) }, "folder"),
    );
    assert.equal(manifest.name, "web-site");
    assert.equal(manifest.version, "2.3.4-beta.1");
    assert.equal(path.basename(image), "web-site.tsuki");
  });

  test("a scoped package name drops its scope", async () => {
    const { manifest } = await build(unikernelDir({ "src/main.ts": main(""), "package.json": JSON.stringify({ name: "@acme/dns", version: "1.0.0" }) }));
    assert.equal(manifest.name, "dns");
  });

  test("a name that cannot name an image is refused", async () => {
    const error = await buildError({ "src/main.ts": main(""), "package.json": JSON.stringify({ name: "Hello World" }) }, "ERR_BUILD_INPUT");
    assert.match(error.message, /"Hello World"/);
    assert.match(error.message, /package\.json/);
  });

  test("a folder name that cannot name an image is refused, suggesting package.json", async () => {
    const error = await buildError({ "src/main.ts": main("") }, "ERR_BUILD_INPUT", "My_Service");
    assert.match(error.message, /"My_Service"/);
  });

  test("a version that a manifest cannot hold is refused by the build, not by the tender", async () => {
    for (const version of ["", "1".repeat(65), 1]) {
      const error = await buildError({ "src/main.ts": main(""), "package.json": JSON.stringify({ version }) }, "ERR_BUILD_INPUT");
      assert.match(error.message, /version/);
    }
  });

  test("a package.json that is not JSON is refused", async () => {
    await buildError({ "src/main.ts": main(""), "package.json": "{ name: hello" }, "ERR_BUILD_INPUT");
  });

  test("a folder with no entry module is refused, naming src/main.ts", async () => {
    const error = await buildError({ "README.md": "nothing here\n" }, "ERR_BUILD_INPUT");
    assert.match(error.message, /src\/main\.ts/);
  });

  test("a path that is not a folder is refused", async () => {
    const file = path.join(tempDir(), "file.ts");
    writeFileSync(file, main(""));
    await assert.rejects(buildImage(file), { code: "ERR_BUILD_INPUT" });
    await assert.rejects(buildImage(path.join(tempDir(), "missing")), { code: "ERR_BUILD_INPUT" });
  });

  test('"main" in package.json names the entry module', async () => {
    const { read } = await build(
      unikernelDir({ "lib/app.ts": main("", `console.log("from lib");`), "src/main.ts": "throw new Error('not me');\n", "package.json": JSON.stringify({ main: "lib/app.ts" }) }),
    );
    const r = await bootToEnd("isolate", read);
    assert.deepEqual(r.out, ["from lib"]);
  });
});
