/**
 * @module host/build/type-check
 * Type-checks a unikernel against the global scope it really gets: `src/guest/globals.d.ts` and
 * the ECMAScript library, never the DOM's or Node's types. TypeScript 7 is a native (Go) compiler
 * whose only in-process API is marked unstable, so the build runs its `tsc` binary on a tsconfig
 * generated in a temporary folder, in parallel with the bundling, and reads its diagnostics.
 *
 * The generated tsconfig extends the unikernel's own tsconfig.json (its strictness, decorators,
 * JSX and path aliases apply; without one, TypeScript's defaults) and fixes what defines the
 * platform: `types: []`, `lib` limited to
 * ECMAScript's (dom, webworker and scripthost entries are dropped; es2024 when none is named),
 * bundler resolution as esbuild resolves, `tsuki` and `tsuki/*` mapped to the running tsuki's SDK,
 * no emit. Checked are the entry, what it imports and the project's own `.d.ts` files (the rest
 * of the folder, such as tests run by Node, is not in the image). Reported are the errors in the unikernel's own files (not its node_modules, not tsuki's
 * SDK under the unikernel's options); "Cannot find name" for the globals globals.ts reports with a
 * fix (`process`, `Buffer`, …) is left to it, so that feature detection it accepts type-checks and
 * no error says "npm i @types/node".
 */

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { MISSING_GLOBALS } from "./globals.ts";

const GLOBALS_D_TS = path.join(import.meta.dirname, "../../guest/globals.d.ts");
const SDK = path.join(import.meta.dirname, "../../guest");
const CHECKED = /\.(?:ts|tsx|mts|cts)$/;
/** A diagnostic line of `tsc --pretty false`: `file(line,col): error TS1234: message`. */
const DIAGNOSTIC = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/;
const GLOBAL_DIAGNOSTIC = /^error (TS\d+): (.*)$/;

export interface TypeCheck {
  /** One line per error: `file:line:column: TS2322: message`. */
  readonly errors: Promise<string[]>;
  /** Stops the compiler (the build failed for another reason first). */
  cancel(): void;
}

/** The `tsc` executable of the `typescript` package tsuki depends on. */
export function tscPath(): string {
  const require = createRequire(import.meta.url);
  const fromTypescript = createRequire(require.resolve("typescript/package.json"));
  return path.join(path.dirname(fromTypescript.resolve(`@typescript/typescript-${process.platform}-${process.arch}/package.json`)), "lib", "tsc");
}

/** Starts checking the unikernel in `dir` whose entry is `entry` (relative); nothing to check for a JavaScript entry. */
export function typeCheck(dir: string, entry: string): TypeCheck {
  if (!CHECKED.test(entry)) return { errors: Promise.resolve([]), cancel() {} };
  const temp = mkdtempSync(path.join(tmpdir(), "tsuki-check-"));
  const config = path.join(temp, "tsconfig.json");
  writeFileSync(config, JSON.stringify(checkConfig(dir, entry), null, 2));
  const child = spawn(tscPath(), ["-p", config, "--pretty", "false"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const errors = new Promise<string[]>((resolve, reject) => {
    child.on("error", (error) => reject(new Error(`cannot run the TypeScript compiler (${tscPath()}): ${error.message}`)));
    child.on("close", (code, signal) => {
      rmSync(temp, { recursive: true, force: true });
      if (signal !== null) return resolve([]);
      // 0: no errors; 1 or 2: errors were reported. Anything else is the compiler failing.
      if (code !== 0 && code !== 1 && code !== 2) return reject(new Error(`the TypeScript compiler failed (exit ${code}): ${(err || out).trim().slice(0, 500)}`));
      resolve(diagnostics(out, dir));
    });
  });
  return { errors, cancel: () => void child.kill() };
}

/** The tsconfig the check runs with (see the module comment). */
export function checkConfig(dir: string, entry: string): object {
  const own = path.join(dir, "tsconfig.json");
  const user = existsSync(own) ? readTsconfig(own) : undefined;
  const base = path.resolve(dir, typeof user?.baseUrl === "string" ? user.baseUrl : ".");
  const paths: Record<string, string[]> = {};
  for (const [key, targets] of Object.entries(isRecord(user?.paths) ? user.paths : {})) {
    if (Array.isArray(targets)) paths[key] = targets.filter((t): t is string => typeof t === "string").map((t) => path.resolve(base, t));
  }
  paths.tsuki = [path.join(SDK, "sdk/index.ts")];
  paths["tsuki/*"] = [path.join(SDK, "lib/*/index.ts")];
  const lib = (Array.isArray(user?.lib) ? user.lib : []).filter((l): l is string => typeof l === "string" && /^es/i.test(l));
  return {
    ...(user === undefined ? {} : { extends: own }),
    compilerOptions: {
      ...(user === undefined ? { target: "es2024" } : {}),
      lib: lib.length > 0 ? lib : ["es2024"],
      types: [],
      module: "esnext",
      moduleResolution: "bundler",
      allowImportingTsExtensions: true,
      noEmit: true,
      skipLibCheck: true,
      composite: false,
      incremental: false,
      paths,
    },
    // What the image holds (the entry and what it imports), with the project's own declaration files.
    files: [GLOBALS_D_TS, path.resolve(dir, entry)],
    include: [path.join(dir, "**/*.d.ts")],
    exclude: [path.join(dir, "node_modules"), path.join(dir, "dist")],
  };
}

/** The compilerOptions of a tsconfig.json, which may hold comments and trailing commas; {} if unreadable. */
function readTsconfig(file: string): Record<string, unknown> {
  try {
    const json = JSON.parse(withoutComments(readFileSync(file, "utf8")));
    return isRecord(json) && isRecord(json.compilerOptions) ? json.compilerOptions : {};
  } catch {
    return {}; // tsc reads it too, and reports what is wrong with it
  }
}

/** JSON with comments and trailing commas (tsconfig's dialect) as plain JSON; strings are kept intact. */
function withoutComments(text: string): string {
  return text
    .replace(/"(?:[^"\\\n]|\\.)*"|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m) => (m.startsWith('"') ? m : ""))
    .replace(/"(?:[^"\\\n]|\\.)*"|,(\s*[}\]])/g, (m, close: string | undefined) => (close === undefined ? m : close));
}

/** The errors in the unikernel's own files, one line each (elaborations joined), in tsc's order. */
function diagnostics(output: string, dir: string): string[] {
  const found: { text: string; keep: boolean }[] = [];
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const located = DIAGNOSTIC.exec(line);
    const global = located ? null : GLOBAL_DIAGNOSTIC.exec(line);
    if (located) {
      const [, file, row, column, code, message] = located;
      const relative = path.relative(dir, path.resolve(dir, file!)).split(path.sep).join("/");
      const ours = !relative.startsWith("../") && !path.isAbsolute(relative) && !relative.split("/").includes("node_modules");
      const name = /^Cannot find name '([^']+)'/.exec(message!)?.[1];
      found.push({ text: `${relative}:${row}:${column}: ${code}: ${message}`, keep: ours && !(name !== undefined && MISSING_GLOBALS.has(name)) });
    } else if (global) found.push({ text: `${global[1]}: ${global[2]}`, keep: true });
    else if (found.length > 0) found[found.length - 1]!.text += ` ${line.trim()}`;
  }
  return found.filter((d) => d.keep).map((d) => d.text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
