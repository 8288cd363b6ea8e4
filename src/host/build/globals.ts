/**
 * @module host/build/globals
 * Globals a unikernel does not have are build errors (DESIGN.md, principle 4): each use of
 * `process`, `Buffer`, `require`, `module`, `exports`, `__dirname`, `__filename`, `global`,
 * `setImmediate`, `clearImmediate`, `Deno` or `Bun` that would throw a ReferenceError inside is
 * reported with the developer's file, line and column (through the bundle's source map) and what
 * to write instead, the way a `node:*` import is.
 *
 * The rule, for code that cannot run without the global. A use is NOT an error when:
 *  - its file asks `typeof X` anywhere (which never throws, so `typeof X` itself is fine): the
 *    file feature-detects X, and its uses are taken to sit
 *    behind that test, directly, through a flag (`const isNode = typeof process !== "undefined"`)
 *    or after an early return, which a build cannot follow;
 *  - it is in the `try` block of the same function: the ReferenceError is caught;
 *  - it is in a branch of `if`, `?:`, `&&`, `||` or `??` whose test holds any `typeof` check: the
 *    last fallback of `typeof globalThis !== "undefined" ? globalThis : … : global`.
 * `globalThis.process`, `foo.process` and a local variable named `process` are not uses of the
 * global. The checks a package makes to find its platform therefore build, and a use that is
 * missed still fails at run time with its stack mapped to the same file and line.
 *
 * `process.env.NODE_ENV` is replaced by "production" at build time (bundle.ts), as every bundler
 * does, so packages that choose their build with it need no process.
 */

import { freeReferences } from "./free-references.ts";
import { parseSourceMap } from "../image/source-map.ts";

/** Each missing global and what to use instead. */
const MISSING: Readonly<Record<string, string>> = {
  process: "settings come as args (read start({ args }); the operator sets them with --arg or args: in the run configuration), exit(code) comes with start()'s context, and resources are devices declared in unikernel({ devices })",
  Buffer: "use Uint8Array, with TextEncoder/TextDecoder for text and atob/btoa for base64",
  require: 'write import ... from "..." (an image is one ES module, bundled at build time)',
  module: "write export or export default (an image is an ES module)",
  exports: "write export or export default (an image is an ES module)",
  __dirname: 'there is no file system; embed files in the image with unikernel({ assets: "public" }) and read them with start({ assets })',
  __filename: 'there is no file system; embed files in the image with unikernel({ assets: "public" }) and read them with start({ assets })',
  global: "use globalThis",
  setImmediate: "use setTimeout(callback, 0)",
  clearImmediate: "use clearTimeout",
  Deno: "Deno's APIs are not there: declare devices instead (listener() for Deno.serve, connector() for Deno.connect, block() or assets for files) and read settings from start({ args }), not Deno.env",
  Bun: "Bun's APIs are not there: declare devices instead (listener() for Bun.serve, connector() for Bun.connect, block() or assets for Bun.file) and read settings from start({ args }), not Bun.env",
};

/** What to use instead of a property of `process`, where there is something more precise to say. */
const PROCESS_PROPERTY: Readonly<Record<string, string>> = {
  env: "it has no environment; declare the settings it needs as args, read them from start({ args }), and set them with --arg NAME=VALUE or args: in the run configuration",
  argv: "it has no command line; read start({ args }), set with --arg NAME=VALUE or args: in the run configuration",
  exit: "call exit(code), which start() receives: start({ exit })",
  exitCode: "call exit(code), which start() receives: start({ exit })",
  nextTick: "use queueMicrotask(callback)",
  hrtime: "use performance.now()",
  uptime: "use performance.now() / 1000",
  stdout: "use console.log",
  stderr: "use console.error",
  cwd: 'there is no file system; embed files with unikernel({ assets: "public" }) or declare a block() device',
  on: "there are no process events; an uncaught exception ends the unikernel with exit code 1, and the operator stops it",
};

/** The names the check looks for. */
export const MISSING_GLOBALS: ReadonlySet<string> = new Set(Object.keys(MISSING));
/** esbuild's stand-in for `require` (a top-level `var __require`), which means a use of `require`. */
const ESBUILD_REQUIRE = "__require";

/** One line per use of a missing global in `code`, located in the developer's files through `map`. */
export function missingGlobals(code: string, map: string): string[] {
  const sourceMap = parseSourceMap(map);
  if (sourceMap === undefined) throw new Error("esbuild wrote a source map that does not parse");
  const names = new Set([...MISSING_GLOBALS, ESBUILD_REQUIRE]);
  const uses = freeReferences(code, names, new Set([ESBUILD_REQUIRE])).flatMap((ref) => {
    // Code no source maps to is esbuild's own (its require shim asks `typeof require`).
    const at = sourceMap.lookup(ref.line, ref.column);
    return at === undefined ? [] : [{ ...ref, name: ref.name === ESBUILD_REQUIRE ? "require" : ref.name, at }];
  });
  const detected = new Set(uses.filter((u) => u.typeofOperand).map((u) => `${u.at.source}\0${u.name}`));
  const lines = new Set<string>();
  for (const use of uses) {
    if (use.inTry || use.behindTypeof || detected.has(`${use.at.source}\0${use.name}`)) continue;
    lines.add(`${use.at.source}:${use.at.line}:${use.at.column}: ${explain(use.name, use.property, use.at.source)}`);
  }
  return [...lines];
}

function explain(name: string, property: string | undefined, source: string): string {
  const used = property === undefined ? "" : ` (${name}.${property})`;
  const fix = (name === "process" && property !== undefined && Object.hasOwn(PROCESS_PROPERTY, property) ? PROCESS_PROPERTY[property] : MISSING[name])!;
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1];
  if (pkg !== undefined) {
    return `package "${pkg}" uses ${name}${used}, which does not exist inside a unikernel, so it cannot run there (${fix}); use a version of it made for browsers or workers, or another package`;
  }
  return `${name} is not defined inside a unikernel${used}: ${fix}`;
}
