/**
 * The arrows between the build, the image and the tender run one way (DESIGN.md, "The parts"):
 * source → build → image → tender. The image module imports neither; the tender never imports the
 * build; the build reaches the tender only through its public index (readDeclaration); the
 * sandbox is the tender's and imports nothing of it. Read from the import lines of the files.
 */

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT } from "../../helpers.ts";

const HOST = path.join(ROOT, "src/host");

/** Every relative import of every file below `src/host/<folder>`, as paths relative to src/host. */
function importsOf(folder: string): { file: string; target: string }[] {
  const dir = path.join(HOST, folder);
  const found: { file: string; target: string }[] = [];
  for (const file of readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.(ts|js)$/.test(f))) {
    const text = readFileSync(path.join(dir, file), "utf8");
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      found.push({ file: path.posix.join(folder, file), target: path.relative(HOST, path.resolve(dir, path.dirname(file), m[1]!)).split(path.sep).join("/") });
    }
  }
  return found;
}

const into = (imports: { file: string; target: string }[], folder: string) => imports.filter((i) => i.target.startsWith(`${folder}/`)).map((i) => `${i.file} → ${i.target}`);

test("the image module imports nothing of the build, the tender, tsukid or the CLI", () => {
  const imports = importsOf("image");
  assert.ok(imports.length > 0);
  for (const folder of ["build", "tender", "orchestrator", "../cli"]) assert.deepEqual(into(imports, folder), [], folder);
});

test("the tender never imports the build", () => {
  assert.deepEqual(into(importsOf("tender"), "build"), []);
});

test("the build reaches the tender only through its public index", () => {
  const reaches = into(importsOf("build"), "tender");
  assert.ok(reaches.length > 0, "the build reads declarations through the tender");
  assert.deepEqual(reaches.filter((line) => !line.endsWith("→ tender/index.ts")), []);
});

test("the sandbox imports nothing of the tender", () => {
  assert.deepEqual(into(importsOf("sandbox"), "tender"), []);
});
