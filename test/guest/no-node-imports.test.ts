/**
 * The guest/host wall as a folder boundary (DESIGN.md, "The parts"; STYLE.md): nothing under
 * src/guest may import a Node built-in, use `require` or `import.meta`, or reach outside src/guest
 * and src/abi. Checked twice: by reading every source file (which also sees `import type`, which
 * bundlers drop), and by bundling the SDK and the runtime for a neutral platform, where anything
 * left unbundled shows up as an external import in esbuild's metafile.
 */

import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import path from "node:path";
import { describe, test } from "node:test";
import { type Plugin, build } from "esbuild";
import { ROOT, tempDir } from "../helpers.ts";
import { DYNAMIC_IMPORT, STATIC_IMPORT, blank, sources } from "../source-imports.ts";

interface Finding {
  /** Relative to the root checked. */
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

const REQUIRE = /(?<![\w$.])require\s*[(.]/g;
const IMPORT_META = /(?<![\w$.])import\s*\.\s*meta\b/g;
const REFERENCE = /^\/\/\/\s*<reference\s+(types|path)\s*=\s*["']([^"']+)["']/gm;

/**
 * The npm packages guest code may import: each is made for browsers (no Node built-in anywhere in
 * it, which the bundle check below proves by bundling it), chosen and justified where it is used
 * (src/guest/web/streams, compression and url-pattern), and pinned to an exact version.
 */
const GUEST_PACKAGES = ["web-streams-polyfill", "fflate", "urlpattern-polyfill/urlpattern"];

/** Why `specifier`, imported from `file`, cannot be in guest code, or undefined. */
function specifierProblem(root: string, file: string, specifier: string): string | undefined {
  if (specifier.startsWith("node:") || isBuiltin(specifier)) return `imports the Node built-in "${specifier}"`;
  if (GUEST_PACKAGES.includes(specifier)) return undefined;
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return `imports "${specifier}", a module outside src/guest and src/abi`;
  const target = path.resolve(path.dirname(file), specifier);
  const inside = ["src/guest", "src/abi"].some((dir) => !path.relative(path.join(root, dir), target).startsWith(".."));
  return inside ? undefined : `imports "${specifier}", which reaches outside src/guest and src/abi`;
}

/** Reads every guest source file under `root` and lists what may not be there. */
function checkGuestSources(root: string): Finding[] {
  const findings: Finding[] = [];
  for (const file of sources(path.join(root, "src/guest"))) {
    const raw = readFileSync(file, "utf8");
    // Specifiers are read from `code`; a keyword counts only where it is code in `bare`, not inside a string.
    const code = blank(raw, true);
    const bare = blank(raw, false);
    const isCode = (index: number, keyword: string) => bare.startsWith(keyword, index);
    const lineOf = (index: number) => code.slice(0, index).split("\n").length;
    const add = (index: number, problem: string) => findings.push({ file: path.relative(root, file), line: lineOf(index), problem });
    for (const m of code.matchAll(STATIC_IMPORT)) {
      const at = m.index + m[0].search(/import|export/);
      const problem = specifierProblem(root, file, m[2]!);
      if (problem && isCode(at, code.slice(at, at + 6))) add(at, problem);
    }
    for (const m of code.matchAll(DYNAMIC_IMPORT)) {
      if (!isCode(m.index, "import")) continue;
      const literal = /^(["'`])([^"'`]+)\1$/.exec(m[1]!);
      const problem = literal ? specifierProblem(root, file, literal[2]!) : `imports a module computed at run time (import(${m[1]}))`;
      if (problem) add(m.index, problem);
    }
    for (const m of bare.matchAll(REQUIRE)) add(m.index, "uses require");
    for (const m of bare.matchAll(IMPORT_META)) add(m.index, "uses import.meta");
    for (const m of raw.matchAll(REFERENCE)) {
      const problem = m[1] === "types" ? (m[2] === "node" || isBuiltin(m[2]!) ? `references the types of "${m[2]}"` : undefined) : specifierProblem(root, file, m[2]!.startsWith(".") ? m[2]! : `./${m[2]}`);
      if (problem) add(m.index, problem);
    }
  }
  return findings;
}

const ENTRIES = [
  "src/guest/sdk/index.ts",
  "src/guest/runtime/main.ts",
  "src/guest/runtime/drivers-main.ts",
  // The runtime's parts, each a script of its own that the runtime evaluates on first use.
  "src/guest/runtime/web/subtle/main.ts",
  // Every guest library an image can pull in as tsuki/<name>.
  ...readdirSync(path.join(ROOT, "src/guest/lib")).map((name) => `src/guest/lib/${name}/index.ts`),
  // The web script: its installer and every group of globals it loads.
  "src/guest/web/install.ts",
  // The groups of the web script (a folder with an index.ts; common/ holds what they share), and that script's entry.
  ...readdirSync(path.join(ROOT, "src/guest/web"), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(ROOT, "src/guest/web", e.name, "index.ts")))
    .map((e) => `src/guest/web/${e.name}/index.ts`),
];

/** Bundles the guest entries under `root` for a neutral platform; returns the imports left external and the inputs outside the guest. */
async function checkGuestBundle(root: string): Promise<{ external: string[]; outside: string[] }> {
  // Anything that is not a relative path is left external, so that it shows in the metafile instead of failing the build.
  const leaveBare: Plugin = {
    name: "leave-bare-imports-external",
    setup(b) {
      // The vetted packages are bundled (from the project's node_modules), so that their own imports are checked too.
      b.onResolve({ filter: /^[^./]/ }, (args) => (GUEST_PACKAGES.includes(args.path) && !args.importer.includes("node_modules") ? undefined : { path: args.path, external: true }));
    },
  };
  const result = await build({
    absWorkingDir: root,
    entryPoints: ENTRIES,
    nodePaths: [path.join(ROOT, "node_modules")],
    bundle: true,
    write: false,
    platform: "neutral",
    format: "esm",
    outdir: "out",
    metafile: true,
    logLevel: "silent",
    plugins: [leaveBare],
  });
  const metafile = result.metafile;
  const external = [
    ...Object.values(metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path)),
    ...Object.values(metafile.outputs).flatMap((output) => output.imports.map((i) => i.path)),
  ];
  const outside = Object.keys(metafile.inputs).filter((file) => !file.startsWith("src/guest/") && !file.startsWith("src/abi/") && !GUEST_PACKAGES.some((name) => file.includes(`node_modules/${name.split("/")[0]}/`)));
  return { external: [...new Set(external)].sort(), outside };
}

describe("src/guest never imports Node", () => {
  test("no guest source imports a Node built-in, uses require or import.meta, or reaches outside src/guest and src/abi", () => {
    assert.deepEqual(checkGuestSources(ROOT), []);
  });

  test("the check reads every guest source file, and sees the imports they have", () => {
    const files = sources(path.join(ROOT, "src/guest"));
    assert.ok(files.some((f) => f.endsWith(path.join("sdk", "index.ts"))));
    assert.ok(files.some((f) => f.endsWith(path.join("runtime", "main.ts"))));
    const imports = files.flatMap((f) => [...blank(readFileSync(f, "utf8"), true).matchAll(STATIC_IMPORT)].map((m) => m[2]!));
    assert.ok(imports.includes("../../abi/index.ts"), "relative imports are found");
    assert.ok(imports.length >= files.length, `${imports.length} imports in ${files.length} files`);
  });

  test("the source check sees every import esbuild sees in the bundled guest files (its comment stripping eats none)", async () => {
    const result = await build({ absWorkingDir: ROOT, entryPoints: ENTRIES, bundle: true, write: false, platform: "neutral", format: "esm", outdir: "out", metafile: true, logLevel: "silent" });
    let compared = 0;
    for (const [file, input] of Object.entries(result.metafile.inputs)) {
      if (file.includes("node_modules/")) continue;
      const seen = new Set([...blank(readFileSync(path.join(ROOT, file), "utf8"), true).matchAll(STATIC_IMPORT)].map((m) => m[2]!));
      for (const imported of input.imports) {
        assert.ok(imported.original !== undefined && seen.has(imported.original), `${file}: ${imported.original ?? imported.path} is not seen`);
        compared++;
      }
    }
    assert.ok(compared > 10, `${compared} imports compared`);
  });

  test("the bundle check reaches every folder of src/guest that holds code", async () => {
    const result = await build({ absWorkingDir: ROOT, entryPoints: ENTRIES, bundle: true, write: false, platform: "neutral", format: "esm", outdir: "out", metafile: true, logLevel: "silent" });
    const bundled = new Set(Object.keys(result.metafile.inputs).filter((file) => file.startsWith("src/guest/")).map((file) => path.posix.dirname(file)));
    const folders = new Set(sources(path.join(ROOT, "src/guest")).filter((file) => !file.endsWith(".d.ts")).map((file) => path.relative(ROOT, path.dirname(file)).split(path.sep).join("/")));
    assert.ok(folders.size > 20, `${folders.size} folders`);
    assert.deepEqual([...folders].filter((folder) => !bundled.has(folder)).sort(), []);
  });

  test("the SDK and the runtime bundle for a neutral platform with no external imports and no input outside src/guest and src/abi", async () => {
    const { external, outside } = await checkGuestBundle(ROOT);
    assert.deepEqual(external, []);
    assert.deepEqual(outside, []);
  });
});

describe("the checker catches what it must", () => {
  /** A copy of src/guest and src/abi with `text` planted at the top of `file`. */
  function plant(file: string, text: string): string {
    const root = tempDir("tsuki-guest-copy-");
    cpSync(path.join(ROOT, "src/guest"), path.join(root, "src/guest"), { recursive: true });
    cpSync(path.join(ROOT, "src/abi"), path.join(root, "src/abi"), { recursive: true });
    const target = path.join(root, file);
    writeFileSync(target, `${text}\n${readFileSync(target, "utf8")}`);
    return root;
  }

  test('a planted import fs from "node:fs" is found with its file and line, and shows as external in the bundle', async () => {
    const root = plant("src/guest/runtime/core/timers.ts", `// a comment line first\nimport fs from "node:fs";\nvoid fs;`);
    assert.deepEqual(checkGuestSources(root), [{ file: path.join("src/guest/runtime/core/timers.ts"), line: 2, problem: 'imports the Node built-in "node:fs"' }]);
    const { external } = await checkGuestBundle(root);
    assert.deepEqual(external, ["node:fs"]);
  });

  const PLANTS: [string, string, RegExp][] = [
    ['import { readFileSync } from "fs";', "a bare built-in", /Node built-in "fs"/],
    ['import type { Stats } from "node:fs";', "a type-only import", /Node built-in "node:fs"/],
    ['export * from "node:path";', "a re-export", /Node built-in "node:path"/],
    ['import "node:process";', "a side-effect import", /Node built-in "node:process"/],
    ['import {\n  randomBytes,\n} from "node:crypto";', "an import over several lines", /Node built-in "node:crypto"/],
    ['const m = await import("node:os");', "a dynamic import", /Node built-in "node:os"/],
    ["const name = 'os'; const m = await import(name);", "a computed dynamic import", /computed at run time/],
    ['const fs = require("fs");', "require", /require/],
    ["const here = import.meta.url;", "import.meta", /import\.meta/],
    ['import { TsukiError } from "../../host/common/errors.ts";', "a reach into src/host", /reaches outside/],
    ['import { build } from "esbuild";', "a package", /outside src\/guest and src\/abi/],
    ['/// <reference types="node" />', "Node's types", /types of "node"/],
  ];
  for (const [text, what, says] of PLANTS) {
    test(`the source check catches ${what}`, () => {
      const findings = checkGuestSources(plant("src/guest/sdk/devices.ts", text));
      assert.equal(findings.length, 1, JSON.stringify(findings));
      assert.equal(findings[0]!.file, path.join("src/guest/sdk/devices.ts"));
      assert.equal(findings[0]!.line, 1);
      assert.match(findings[0]!.problem, says);
    });
  }

  test("the source check ignores imports and require in comments and strings", () => {
    const findings = checkGuestSources(plant("src/guest/sdk/devices.ts", `// import fs from "node:fs";\n/* const x = require("fs"); */\nconst s = "import fs from 'node:fs'; require('x')";\nvoid s;`));
    assert.deepEqual(findings, []);
  });

  test("the bundle check catches a reach into src/host as an input outside the guest", async () => {
    const root = plant("src/guest/sdk/index.ts", `export const here = "outside";`);
    mkdirAndWrite(path.join(root, "src/host/leak.ts"), `export const leak = 1;`);
    writeFileSync(path.join(root, "src/guest/sdk/index.ts"), `export { leak } from "../../host/leak.ts";\n${readFileSync(path.join(root, "src/guest/sdk/index.ts"), "utf8")}`);
    const { outside } = await checkGuestBundle(root);
    assert.deepEqual(outside, ["src/host/leak.ts"]);
  });
});

function mkdirAndWrite(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}
