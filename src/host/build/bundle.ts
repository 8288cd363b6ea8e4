/**
 * @module host/build/bundle
 * Bundles a unikernel's entry into one ES module with no imports, with esbuild. Imports of `tsuki`
 * and `tsuki/*` resolve to the SDK of the tsuki that runs the build (so a unikernel folder builds
 * anywhere on disk without an install of its own); other packages resolve from the folder's own
 * `node_modules`.
 *
 * What can never work inside a unikernel fails here, one error per offending import, each naming
 * the file, line and import and saying why (DESIGN.md, principle 4): Node built-ins, packages that
 * need them, `require` in the unikernel's own code, modules that do not resolve, and imports whose
 * target is computed at run time.
 */

import { type BuildFailure, type Message, type Metafile, type Plugin, build } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { InputNames } from "./input-names.ts";
import { linkedPackages } from "./linked-packages.ts";
import { foreignImport, nodeEquivalent } from "./platforms.ts";
import { throwFound } from "./problems.ts";

/** tsuki's `src/`: the SDK and the ABI are loaded from here under the `tsuki:` namespace. */
export const SRC_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NAMESPACE = "tsuki";
/** What `tsuki/<name>` may name: the SDK itself and the guest libraries. */
const GUEST_ROOTS = ["guest/", "abi/"];

export interface Bundle {
  /** The code as esbuild wrote it, modules named by their paths relative to the unikernel's folder (what build errors show). */
  readonly code: string;
  /** The code's source map (v3, sources as in `code`, without their text). */
  readonly map: string;
  /** The inputs whose names in the image differ from their paths in `code` and `map` (rename-inputs.ts applies them). */
  readonly renames: ReadonlyMap<string, string>;
  /**
   * The files bundled: `name` as the manifest records it (input-names.ts: a path inside the
   * unikernel's folder, `package@version/path` for a package's file, `tsuki:<path>` for the SDK),
   * `file` where it was read.
   */
  readonly inputs: readonly BundleInput[];
}

export interface BundleInput {
  readonly name: string;
  readonly file: string;
}

function tsukiPlugin(): Plugin {
  return {
    name: "tsuki",
    setup(b) {
      b.onResolve({ filter: /^tsuki(\/.*)?$/ }, (args) => {
        const sub = args.path.slice("tsuki".length);
        const target = sub === "" ? "guest/sdk/index.ts" : `guest/lib${sub}/index.ts`;
        if (!existsSync(path.join(SRC_ROOT, target))) {
          return { errors: [{ text: `"${args.path}" is not a module of tsuki: import "tsuki" or one of its libraries` }] };
        }
        return { path: target, namespace: NAMESPACE };
      });
      b.onResolve({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(args.importer), args.path));
        if (!args.path.startsWith(".") || !GUEST_ROOTS.some((root) => target.startsWith(root))) {
          return { errors: [{ text: `tsuki's guest code imports "${args.path}", which is outside src/guest and src/abi` }] };
        }
        return { path: target, namespace: NAMESPACE };
      });
      b.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
        contents: readFileSync(path.join(SRC_ROOT, args.path), "utf8"),
        loader: "ts",
      }));
      // esbuild leaves imports from URLs in the bundle; an image holds all its code (platforms.ts says what to do).
      b.onResolve({ filter: /^https?:\/\// }, (args) => ({ errors: [{ text: foreignImport(args.path)! }] }));
      // require() in the unikernel's own code: ES modules only. Packages may use it among themselves.
      b.onResolve({ filter: /.*/ }, (args) => {
        // A linked workspace package's files are bundled from their node_modules link (linked-packages.ts): a package's too.
        if (args.kind !== "require-call" || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        return { errors: [{ text: `require("${args.path}") cannot be used in a unikernel: write import ... from "${args.path}" (images are ES modules)`, location: locate(args.importer, `require`, args.path) }] };
      });
    },
  };
}

/** Finds the line of `require("x")` in a file, for errors esbuild gives no location for. */
function locate(file: string, what: string, spec: string): { file: string; line: number; column: number; lineText: string } | null {
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const column = lines[i]!.search(new RegExp(`${what}\\s*\\(\\s*["'\`]${spec.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    if (column >= 0) return { file, line: i + 1, column, lineText: lines[i]! };
  }
  return null;
}

/** Turns one esbuild message into a line naming the file, line, import and why. */
function explain(message: Message, dir: string): string {
  const loc = message.location;
  const where = loc ? `${path.relative(dir, path.resolve(dir, loc.file)) || loc.file}:${loc.line}:${loc.column + 1}` : "(unknown location)";
  const unresolved = /^Could not resolve "(.+)"$/.exec(message.text);
  if (unresolved) {
    const spec = unresolved[1]!;
    const pkg = loc && /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(loc.file)?.[1];
    if (isBuiltin(spec)) {
      const base = spec.replace(/^node:/, "");
      return pkg
        ? `${where}: package "${pkg}" imports the Node built-in "${spec}", so it cannot run inside a unikernel (there is no ${base} module there); use a package made for browsers or workers instead`
        : `${where}: import "${spec}" is a Node built-in, which does not exist inside a unikernel: it gets no file system, process or sockets, only the devices it declares; instead, ${nodeEquivalent(spec)}`;
    }
    const foreign = foreignImport(spec);
    if (foreign !== undefined) return `${where}: ${pkg ? `package "${pkg}": ` : ""}${foreign}`;
    if (spec.startsWith(".") || spec.startsWith("/")) return `${where}: cannot resolve "${spec}": there is no such file; fix the path`;
    return `${where}: cannot resolve "${spec}": install it in the unikernel's folder (npm install ${spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/")}) or fix the path`;
  }
  return `${where}: ${message.text}`;
}

/** `wrapper`: the text of an entry module to bundle instead of `entry` itself (a Workers-style module's, workers.ts), named `wrapper.name`. */
export async function bundle(dir: string, entry: string, wrapper?: { name: string; contents: string }): Promise<Bundle> {
  let result;
  const tsconfig = path.join(dir, "tsconfig.json");
  try {
    result = await build({
      absWorkingDir: dir,
      ...(wrapper === undefined ? { entryPoints: [entry] } : { stdin: { contents: wrapper.contents, resolveDir: dir, sourcefile: wrapper.name, loader: "ts" as const } }),
      bundle: true,
      write: false,
      // Only names the outputs: sources in the map are relative to the unikernel's folder.
      outfile: path.join(dir, "main.js"),
      metafile: true,
      // A map without the sources' text: it only has to name file, line and column.
      sourcemap: "external",
      sourcesContent: false,
      format: "esm",
      platform: "neutral",
      target: "es2024",
      // Packages' browser builds, as the conditions below choose them in exports maps: they need no Node.
      mainFields: ["browser", "module", "main"],
      conditions: ["tsuki", "worker", "browser"],
      // Deterministic and readable: no whitespace or name mangling, so stacks stay legible.
      minifySyntax: true,
      legalComments: "eof",
      charset: "utf8",
      // What every bundler does, so that packages choosing a build by it need no process (globals.ts).
      define: { "process.env.NODE_ENV": '"production"' },
      // Only the unikernel's own tsconfig, never one found in a parent folder.
      tsconfigRaw: existsSync(tsconfig) ? readFileSync(tsconfig, "utf8") : "{}",
      plugins: [tsukiPlugin(), linkedPackages()],
      logLevel: "silent",
    });
  } catch (error) {
    const failure = error as BuildFailure;
    if (!Array.isArray(failure.errors)) throw error;
    throwFound({ code: "BUILD_IMPORT", what: "import(s) cannot work inside a unikernel", lines: failure.errors.map((m) => explain(m, dir)) });
    throw error;
  }
  const dynamic = result.warnings.filter((w) => /require|import\(\)|dynamic import/i.test(w.text));
  const output = (result.metafile as Metafile).outputs["main.js"]!;
  const lines = [
    ...dynamic.map((w) => explain(w, dir)),
    ...output.imports.map((i) => `${i.path}: the bundle still imports "${i.path}" (${i.kind}); an image's module must import nothing, so use an import with a literal path`),
  ];
  throwFound({ code: "BUILD_IMPORT", what: "import(s) cannot work inside a unikernel", lines });
  // require() with a name computed at run time stays in the bundle as esbuild's __require: globals.ts reports it.
  const code = result.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
  const map = result.outputFiles.find((f) => f.path.endsWith(".map"))!.text;
  // A wrapper entry is text made by the build, not a file of the unikernel's: its inputs are what it imports.
  const bundled = Object.keys(result.metafile!.inputs).filter((input) => input !== "<stdin>" && input !== wrapper?.name);
  // Named where npm's layout cannot show: a package's files by package@version, not by where it was hoisted.
  const names = new InputNames(dir);
  const renames = new Map(bundled.map((input) => [input, names.name(input)] as const).filter(([input, name]) => input !== name));
  const inputs = bundled.map((input) => ({
    name: renames.get(input) ?? input,
    file: input.startsWith(`${NAMESPACE}:`) ? path.join(SRC_ROOT, input.slice(NAMESPACE.length + 1)) : path.resolve(dir, input),
  }));
  return { code, map, inputs, renames };
}
