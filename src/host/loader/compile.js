/**
 * @module host/loader/compile
 * The cache misses of hook.js, in a child process of their own so that amaro (Node's type
 * stripper, about 16 MiB that a process keeps once loaded) never enters a tsuki process:
 *
 *   node compile.js CACHE ROOT FILE
 *
 * strips FILE and every .ts file under ROOT/src (but the guest's) whose cache entry is missing or stale, with
 * `module.stripTypeScriptTypes` (the transform Node applies itself: types become blanks, lines and
 * columns stay), and writes each entry atomically (a temporary file, then rename), so concurrent
 * tsuki processes may fill the same cache. A file that does not strip (someone is editing it) is
 * skipped; it fails only if FILE itself does not, and then the hook lets Node report the error.
 */

import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import path from "node:path";
import { cacheKey, cachePath } from "./hook.js";

const [cache, root, wanted] = process.argv.slice(2);

function* tsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      // The guest's sources are bundled by esbuild, never loaded by Node.
      if (entry.name !== "node_modules" && file !== path.join(root, "src", "guest")) yield* tsFiles(file);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) yield file;
  }
}

function compile(file) {
  const key = cacheKey(file);
  const out = cachePath(cache, root, file);
  try {
    if (readFileSync(out, "utf8").endsWith(key)) return;
  } catch {}
  const source = readFileSync(file, "utf8");
  // The key is taken before the read: a file changed meanwhile gets a stale entry, made again next time.
  const js = stripTypeScriptTypes(source, { mode: "strip" }) + key;
  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, js);
  renameSync(tmp, out);
}

compile(wanted);
for (const file of tsFiles(path.join(root, "src"))) {
  if (file === wanted) continue;
  try {
    compile(file);
  } catch {}
}
