/**
 * Reproducible whatever npm's layout (DESIGN.md, principle 7; issue 15): the same unikernel and
 * the same packages give byte-identical images whether a dependency sits in the unikernel's own
 * node_modules, in a parent folder's (npm hoisted it, as in a workspace), or is a workspace
 * package npm linked there; and whether or not the folder has its own package-lock.json. Inside
 * the image a package's files are named package@version/path (manifest inputs, the bundle's module
 * comments and CommonJS keys, the source map), while the developer's own files keep their paths,
 * so stacks still point at src/main.ts.
 */

import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { buildImage } from "../../../src/host/build/build.ts";
import { type Image, readImage } from "../../../src/host/image/image.ts";
import { parseSourceMap } from "../../../src/host/image/source-map.ts";
import { ROOT, bootToEnd, tempDir } from "../../helpers.ts";

/** The unikernel: its own files, relative to its folder. Line 6 of src/main.ts throws through both packages. */
const APP: Record<string, string> = {
  "package.json": JSON.stringify({ name: "layouts", version: "1.0.0", type: "module", dependencies: { "esm-greet": "1.0.0", "@acme/cjs-pad": "2.1.0" } }),
  "src/main.ts": [
    `import { unikernel } from "tsuki";`,
    `import { greet } from "esm-greet";`,
    `import pad from "@acme/cjs-pad";`,
    `export default unikernel({`,
    `  start() {`,
    `    console.log(greet(pad("7", 3)));`,
    `  },`,
    `});`,
    ``,
  ].join("\n"),
};

/** Two packages: an ES module, and a scoped CommonJS one with a licence comment and a file required by another. */
const PACKAGES: Record<string, Record<string, string>> = {
  "esm-greet": {
    "package.json": JSON.stringify({ name: "esm-greet", version: "1.0.0", type: "module", exports: "./lib/index.js" }),
    "lib/index.js": `export const greet = (who) => {\n  if (who.length > 2) throw new Error("too long: " + who);\n  return "hello, " + who;\n};\n`,
  },
  "@acme/cjs-pad": {
    "package.json": JSON.stringify({ name: "@acme/cjs-pad", version: "2.1.0", main: "index.js" }),
    "index.js": `const zeros = require("./zeros.js");\nmodule.exports = function pad(s, n) { return zeros(n - s.length) + s; };\n`,
    "zeros.js": `/*! @acme/cjs-pad | MIT */\nmodule.exports = (n) => "0".repeat(n);\n`,
  },
};

function write(root: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
}

/** Where the packages go, given the folder that holds the app. Returns the app's folder. */
const LAYOUTS: Record<string, (base: string) => string> = {
  "the app's own node_modules": (base) => {
    const app = path.join(base, "app");
    for (const [name, files] of Object.entries(PACKAGES)) write(path.join(app, "node_modules", name), files);
    return app;
  },
  "a parent's node_modules (hoisted), with a lockfile in the app": (base) => {
    const app = path.join(base, "repo", "examples", "app");
    for (const [name, files] of Object.entries(PACKAGES)) write(path.join(base, "repo", "node_modules", name), files);
    write(app, { "package-lock.json": JSON.stringify({ name: "layouts", lockfileVersion: 3, packages: {} }) });
    return app;
  },
  "workspace packages linked into a parent's node_modules": (base) => {
    const app = path.join(base, "ws", "apps", "app");
    for (const [name, files] of Object.entries(PACKAGES)) {
      const real = path.join(base, "ws", "packages", name.replace("/", "-"));
      write(real, files);
      mkdirSync(path.dirname(path.join(base, "ws", "node_modules", name)), { recursive: true });
      symlinkSync(path.relative(path.dirname(path.join(base, "ws", "node_modules", name)), real), path.join(base, "ws", "node_modules", name));
    }
    return app;
  },
};

async function buildIn(layout: string): Promise<{ bytes: Buffer; image: Image }> {
  const base = tempDir("tsuki-layout-");
  const app = LAYOUTS[layout]!(base);
  write(app, APP);
  const result = await buildImage(app, { out: path.join(base, "out.tsuki"), check: false });
  const bytes = readFileSync(result.image);
  return { bytes, image: readImage(bytes) };
}

describe("images do not depend on where npm put a package", () => {
  const builds = Object.keys(LAYOUTS).map((layout) => ({ layout, built: buildIn(layout) }));

  test("every layout gives the same bytes", async () => {
    const [first, ...rest] = await Promise.all(builds.map(async ({ layout, built }) => ({ layout, ...(await built) })));
    for (const other of rest) assert.ok(other!.bytes.equals(first!.bytes), `${other!.layout} differs from ${first!.layout}`);
  });

  test("the manifest names package files by name, version and path, the app's by their path", async () => {
    const { image } = await builds[0]!.built;
    const inputs = Object.keys(image.manifest.inputs);
    for (const name of ["esm-greet@1.0.0/lib/index.js", "@acme/cjs-pad@2.1.0/index.js", "@acme/cjs-pad@2.1.0/zeros.js", "src/main.ts", "package.json"]) assert.ok(inputs.includes(name), `${name} in ${inputs}`);
    assert.equal(inputs.some((input) => input.includes("node_modules") || input.startsWith("..")), false, String(inputs));
    assert.equal(inputs.includes("package-lock.json"), false, "npm's lockfile records its layout, not the image's inputs");
  });

  test("the bundle and its map hold no path of the layout", async () => {
    for (const { layout, built } of builds) {
      const { image } = await built;
      assert.doesNotMatch(image.entry, /node_modules|\.\.\//, layout);
      assert.match(image.entry, /^\/\/ esm-greet@1\.0\.0\/lib\/index\.js$/m);
      assert.match(image.entry, /^ {2}"@acme\/cjs-pad@2\.1\.0\/zeros\.js"\(exports, module\) \{$/m);
      const map = parseSourceMap(image.sourceMap!)!;
      assert.deepEqual(map.sources.filter((s) => !s.startsWith("tsuki:")).sort(), ["@acme/cjs-pad@2.1.0/index.js", "@acme/cjs-pad@2.1.0/zeros.js", "esm-greet@1.0.0/lib/index.js", "src/main.ts"]);
    }
  });

  test("a stack still names the developer's file and the package's, by line and column", async () => {
    const { image } = await builds[1]!.built;
    const r = await bootToEnd("isolate", image);
    assert.equal(r.status.code, 1);
    const stack = r.err.join("\n");
    assert.match(stack, /at greet \(esm-greet@1\.0\.0\/lib\/index\.js:2:29\)/, stack);
    assert.match(stack, /src\/main\.ts:6:17/, stack);
  });

  test("code on the line of a renamed CommonJS key keeps its mapped column", async () => {
    const { image } = await builds[0]!.built;
    const lines = image.entry.split("\n");
    const map = parseSourceMap(image.sourceMap!)!;
    const at = lines.findIndex((line) => line.includes('"@acme/cjs-pad@2.1.0/index.js"('));
    const column = lines[at]!.indexOf("(exports") + 1;
    const found = map.lookup(at + 1, column);
    assert.ok(found === undefined || found.source === "@acme/cjs-pad@2.1.0/index.js", JSON.stringify(found));
  });
});

describe("examples/website, in the checkout and copied out", () => {
  const hoisted = path.join(ROOT, "node_modules/fflate");
  const notInstalled = existsSync(hoisted) ? false : "fflate is not installed in the checkout (npm ci)";
  test("builds to the same image in the workspace (fflate hoisted) and installed on its own", { skip: notInstalled }, async () => {
    const base = tempDir("tsuki-website-");
    const inPlace = await buildImage(path.join(ROOT, "examples/website"), { out: path.join(base, "checkout.tsuki"), check: false });
    // The folder on its own, as "npm install" there leaves it: the package in its own node_modules, and a lockfile.
    const copy = path.join(base, "website");
    cpSync(path.join(ROOT, "examples/website"), copy, { recursive: true, filter: (file) => !file.includes(`${path.sep}dist`) && !file.includes(`${path.sep}node_modules`) });
    cpSync(hoisted, path.join(copy, "node_modules/fflate"), { recursive: true });
    writeFileSync(path.join(copy, "package-lock.json"), JSON.stringify({ name: "website", lockfileVersion: 3, packages: { "node_modules/fflate": {} } }));
    const alone = await buildImage(copy, { out: path.join(base, "alone.tsuki"), check: false });
    assert.equal(alone.sha256, inPlace.sha256);
    assert.ok(Object.keys(alone.manifest.inputs).some((input) => /^fflate@\d+\.\d+\.\d+\/esm\/browser\.js$/.test(input)), Object.keys(alone.manifest.inputs).join(", "));
  });
});
