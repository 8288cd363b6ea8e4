/**
 * @module host/loader/hook
 * Runs tsuki's own TypeScript without Node's type stripping in the process: Node strips types
 * with amaro, a WebAssembly build of swc that costs every tsuki process about 16 MiB of RSS for
 * its whole life (tsukid's among them). `bin/tsuki.js` registers this synchronous, in-thread
 * module hook (`module.registerHooks`) before it imports anything else; its `load` answers for
 * each `.ts` file under this package's src/ with JavaScript already stripped, read
 * from a cache in `node_modules/.cache/tsuki/`, so amaro is never loaded on a warm cache.
 *
 * The cached JavaScript is exactly what Node would run: `module.stripTypeScriptTypes` in its
 * default "strip" mode, which replaces each type with blanks, so every line and column stays where
 * it is in the .ts file. The module keeps its URL (the .ts file's), so stack traces, `import.meta`
 * and the paths the code computes from it are as before, with no source maps.
 *
 * A cache entry is valid for one Node version (its directory, with the version of this scheme) and
 * the source file's size and modification time (ns), written after its last line. On a miss the hook runs `compile.js` in a child process once,
 * synchronously: it strips the file asked for and every stale .ts file under src/ (all a command
 * may load next), so one child serves a cold start and amaro never enters this process. If the
 * cache cannot be written, or the child fails, the hook steps aside and Node strips the file as
 * it always did (and reports any syntax error itself). `TSUKI_TS_CACHE=0` turns the cache off.
 *
 * Installed as a package (below a node_modules folder), tsuki's files are ones Node refuses to
 * strip (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING): there the hook always answers, from the
 * cache (inside the package, as in a checkout) or, when that cannot be written, by stripping the
 * file itself in this process.
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { registerHooks, stripTypeScriptTypes } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(fileURLToPath(import.meta.url), "../../../..");
const SRC_URL = pathToFileURL(path.join(ROOT, "src")).href + "/";
const CACHE = path.join(ROOT, "node_modules", ".cache", "tsuki", `strip-1-${process.version}`);
const COMPILER = fileURLToPath(new URL("./compile.js", import.meta.url));

/** The line a cache entry ends with: what it was made from. */
export function cacheKey(file) {
  const s = statSync(file, { bigint: true });
  return `\n//# tsuki-source ${s.size} ${s.mtimeNs}\n`;
}

/** Where the stripped JavaScript of `file` (a path under ROOT) is kept. */
export function cachePath(cache, root, file) {
  return path.join(cache, `${path.relative(root, file)}.js`);
}

const CACHE_OFF = process.env.TSUKI_TS_CACHE === "0";
let enabled = !CACHE_OFF;
/** tsuki installed as a package (npm install, npx): Node does not strip types below a node_modules folder. */
const INSTALLED = ROOT.split(path.sep).includes("node_modules");

function cached(file) {
  let key;
  try {
    key = cacheKey(file);
    const text = readFileSync(cachePath(CACHE, ROOT, file), "utf8");
    return text.endsWith(key) ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Stripped JavaScript for one of our .ts files, or undefined to let Node do it. */
function load(file) {
  let text = CACHE_OFF ? undefined : cached(file);
  if (text === undefined && enabled) {
    try {
      mkdirSync(CACHE, { recursive: true });
      execFileSync(process.execPath, ["--disable-warning=ExperimentalWarning", COMPILER, CACHE, ROOT, file], { stdio: ["ignore", "ignore", "pipe"] });
      text = cached(file);
    } catch {
      // A read-only install, a syntax error, no room: Node strips it, now and for the rest of this process.
    }
    if (text === undefined) enabled = false;
  }
  // Node refuses to strip types under node_modules, where an installed tsuki lives: strip here.
  if (text === undefined && INSTALLED) return stripTypeScriptTypes(readFileSync(file, "utf8"), { mode: "strip" });
  return text;
}

export function register() {
  if (CACHE_OFF && !INSTALLED) return;
  registerHooks({
    load(url, context, nextLoad) {
      // Only tsuki's own files: the path below src/ (tsuki itself may sit in a node_modules folder).
      if (url.startsWith(SRC_URL) && url.endsWith(".ts") && !url.slice(SRC_URL.length).includes("/node_modules/")) {
        const source = load(fileURLToPath(url));
        if (source !== undefined) return { format: "module", source, shortCircuit: true };
      }
      return nextLoad(url, context);
    },
  });
}
