/**
 * The architecture as checks that can fail (DESIGN.md, "The parts"; issue 15, "What it must
 * reach"): arrows between folders run one way; the tsuki command reaches the host only through
 * its public entry points, each of which loads only what its users need; the guest imports no
 * Node built-in; source files are small and each says what it is for; the list of error codes in
 * docs/errors.md is the host's table of them.
 *
 * The import graph is read from the sources with a small parser (test/source-imports.ts, checked
 * against esbuild's view by guest/no-node-imports.test.ts). A folder is a directory: a parent
 * folder and a child folder that import each other are a cycle too. Type-only imports count: an
 * arrow a type crosses is an arrow.
 */

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { isBuiltin } from "node:module";
import path from "node:path";
import { describe, test } from "node:test";
import { errorsDoc } from "../scripts/errors-doc.ts";
import { TlsCertCode } from "../src/abi/index.ts";
import { ERROR_CODES } from "../src/host/common/error-codes.ts";
import { ROOT } from "./helpers.ts";
import { cycles, importsOf } from "./source-imports.ts";

/** The host's public entry points, by their name in package.json's exports; the only files of src/host that src/cli may import. */
const ENTRY_POINTS: Readonly<Record<string, string>> = {
  "./host": "src/host/index.ts",
  "./host/common": "src/host/common/index.ts",
  "./host/client": "src/host/orchestrator/api/index.ts",
  "./host/daemon": "src/host/orchestrator/index.ts",
  "./host/pki": "src/host/orchestrator/pki/index.ts",
  "./host/runtime": "src/host/oci/runtime/index.ts",
};

const MEDIAN_LINES = 120;
const MAX_LINES = 400;

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join("/");

/** Every source file of src/ (TypeScript, and the few JavaScript files that start threads), relative to the root. */
function srcFiles(): string[] {
  return readdirSync(path.join(ROOT, "src"), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(?:c|m)?[jt]s$/.test(e.name))
    .map((e) => rel(path.join(e.parentPath, e.name)))
    .sort();
}

/** One relative import between two files of src/, as `from → to` (both relative to the root). */
interface Edge {
  readonly from: string;
  readonly to: string;
  readonly line: number;
  readonly typeOnly?: boolean;
}

/**
 * The one loop allowed, by design: the web script's registry (guest/web/common/registry.ts) names
 * the types of the groups it loads lazily, which themselves reach each other through it. Those
 * imports are erased at build; the groups are initialised only on first use.
 */
const allowedLoop = (e: Edge) => e.from === "src/guest/web/common/registry.ts" && e.typeOnly === true;

/** Every relative import from one file of src/ to another. */
function importEdges(files: readonly string[]): Edge[] {
  const edges: Edge[] = [];
  for (const file of files) {
    for (const site of importsOf(path.join(ROOT, file))) {
      if (!site.specifier.startsWith("./") && !site.specifier.startsWith("../")) continue;
      edges.push({ from: file, to: path.posix.normalize(path.posix.join(path.posix.dirname(file), site.specifier)), line: site.line, typeOnly: site.typeOnly });
    }
  }
  return edges;
}

/**
 * The cycles between folders: each strongly connected set of two or more folders (Tarjan), with
 * the imports that tie it, one line each, as `a → b (file:line → file)`.
 */
export function folderCycles(edges: readonly Edge[]): string[][] {
  const out = new Map<string, Map<string, Edge[]>>();
  for (const edge of edges) {
    const a = path.posix.dirname(edge.from);
    const b = path.posix.dirname(edge.to);
    if (a === b) continue;
    if (!out.has(a)) out.set(a, new Map());
    const targets = out.get(a)!;
    if (!targets.has(b)) targets.set(b, []);
    targets.get(b)!.push(edge);
  }
  const components = cycles(new Map([...out].map(([a, targets]) => [a, new Set(targets.keys())])));
  return components.map((component) =>
    component.flatMap((a) =>
      [...(out.get(a) ?? [])]
        .filter(([b]) => component.includes(b))
        .map(([b, why]) => `${a} → ${b} (${why.slice(0, 2).map((e) => `${e.from}:${e.line} → ${e.to}`).join(", ")}${why.length > 2 ? `, and ${why.length - 2} more` : ""})`),
    ),
  );
}

describe("arrows between folders run one way", () => {
  const files = srcFiles();
  const edges = importEdges(files);

  test("the parser sees the imports: every file of src/ but a few leaves imports another", () => {
    assert.ok(files.length > 300, `${files.length} files`);
    assert.ok(edges.length > files.length, `${edges.length} relative imports in ${files.length} files`);
    assert.ok(edges.some((e) => e.from === "src/cli/main.ts" && e.to === "src/cli/commands/run.ts"), "a dynamic import is an edge");
    assert.ok(edges.every((e) => files.includes(e.to) || /\.(?:json|node)$/.test(e.to)), `imports of files that do not exist: ${edges.filter((e) => !files.includes(e.to)).map((e) => `${e.from}:${e.line} → ${e.to}`).join(", ")}`);
  });

  test("the cycle finder finds a cycle through three folders, and a parent and child folder that import each other", () => {
    const planted: Edge[] = [
      { from: "src/a/x.ts", to: "src/b/y.ts", line: 1 },
      { from: "src/b/y.ts", to: "src/c/z.ts", line: 2 },
      { from: "src/c/z.ts", to: "src/a/w.ts", line: 3 },
      { from: "src/d/index.ts", to: "src/d/e/f.ts", line: 4 },
      { from: "src/d/e/f.ts", to: "src/d/util.ts", line: 5 },
      { from: "src/g/one.ts", to: "src/g/two.ts", line: 6 },
      { from: "src/g/two.ts", to: "src/g/one.ts", line: 7 },
    ];
    const cycles = folderCycles(planted);
    assert.equal(cycles.length, 2, JSON.stringify(cycles));
    assert.deepEqual(cycles.map((c) => c.length).sort(), [2, 3]);
    assert.ok(cycles.flat().includes("src/d/e → src/d (src/d/e/f.ts:5 → src/d/util.ts)"));
  });

  test("no import cycles between folders of src/ (but the web registry's type-only names of its lazy groups)", () => {
    const cycles = folderCycles(edges.filter((e) => !allowedLoop(e)));
    assert.deepEqual(cycles, [], `${cycles.length} cycles between folders:\n${cycles.map((c) => c.join("\n  ")).join("\n\n")}`);
  });
});

describe("the tsuki command is a client of the host's public entry points", () => {
  test("each entry point is in package.json's exports under its name", () => {
    const exports = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).exports as Record<string, string>;
    for (const [name, file] of Object.entries(ENTRY_POINTS)) assert.equal(exports[name], `./${file}`, name);
  });

  test("src/cli imports from src/host only its entry points", () => {
    const cli = srcFiles().filter((f) => f.startsWith("src/cli/"));
    assert.ok(cli.length > 20, `${cli.length} files`);
    const reaches = importEdges(cli)
      .filter((e) => e.to.startsWith("src/host/") && !Object.values(ENTRY_POINTS).includes(e.to))
      .map((e) => `${e.from}:${e.line} imports ${e.to}`);
    assert.deepEqual(reaches, []);
  });

  test("src/cli/commands holds commands only: no command imports another", () => {
    const commands = srcFiles().filter((f) => f.startsWith("src/cli/commands/"));
    const between = importEdges(commands).filter((e) => e.to.startsWith("src/cli/commands/")).map((e) => `${e.from}:${e.line} imports ${e.to}`);
    assert.deepEqual(between, []);
  });
});

describe("the guest never imports Node", () => {
  test("no file of src/guest imports node:* or another Node built-in (guest/no-node-imports.test.ts checks the rest of the wall)", () => {
    const found = srcFiles()
      .filter((f) => f.startsWith("src/guest/"))
      .flatMap((f) => importsOf(path.join(ROOT, f)).filter((s) => s.specifier.startsWith("node:") || isBuiltin(s.specifier)).map((s) => `${f}:${s.line} imports ${s.specifier}`));
    assert.deepEqual(found, []);
  });
});

describe("source files are small and say what they are for", () => {
  const files = srcFiles().filter((f) => /\.ts$/.test(f));
  const lines = new Map(files.map((f) => [f, readFileSync(path.join(ROOT, f), "utf8").split("\n").length - 1]));

  test(`the median source file is at most ${MEDIAN_LINES} lines`, () => {
    const sorted = [...lines.values()].sort((a, b) => a - b);
    const median = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    assert.ok(median <= MEDIAN_LINES, `the median is ${median} lines over ${sorted.length} files`);
  });

  test(`no source file is over ${MAX_LINES} lines`, () => {
    const long = [...lines].filter(([, n]) => n > MAX_LINES).map(([f, n]) => `${f}: ${n} lines`);
    assert.deepEqual(long, []);
  });

  test("every source file starts with a module header comment (/** @module … */)", () => {
    const missing = srcFiles().filter((f) => {
      // A shebang and triple-slash directives must come first; the header follows them.
      const text = readFileSync(path.join(ROOT, f), "utf8").replace(/^#![^\n]*\n/, "").replace(/^(?:\/\/\/[^\n]*\n)+/, "");
      const header = /^\/\*\*[\s\S]*?\*\//.exec(text)?.[0];
      return header === undefined || !/@module\s+\S/.test(header);
    });
    assert.deepEqual(missing, []);
  });
});

describe("the host's error codes", () => {
  test("docs/errors.md is the list scripts/errors-doc.ts makes from the table (run it after changing a code)", () => {
    assert.equal(readFileSync(path.join(ROOT, "docs/errors.md"), "utf8"), errorsDoc());
  });

  test("the codes bin/pinned-node.js prints before it can load the table are in the table, with its exit code", () => {
    const bin = readFileSync(path.join(ROOT, "bin/pinned-node.js"), "utf8");
    const codes = [...bin.matchAll(/ERR_([A-Z_]+)/g)].map((m) => m[1]!);
    assert.ok(codes.length > 0);
    for (const code of codes) assert.ok(Object.hasOwn(ERROR_CODES, code), `ERR_${code} of bin/pinned-node.js is not in the table`);
    for (const exit of bin.matchAll(/process\.exit\((\d+)\)/g)) assert.equal(Number(exit[1]), ERROR_CODES.NODE_VERSION.exit);
  });

  test("every code has a meaning, an exit code of sysexits(3) or 70, and an HTTP status that is an error's", () => {
    for (const [name, info] of Object.entries(ERROR_CODES) as [string, { meaning: string; exit: number; status?: number }][]) {
      assert.match(name, /^[A-Z][A-Z0-9_]*$/);
      assert.ok(info.meaning.length > 10, name);
      assert.ok(info.exit >= 64 && info.exit <= 78, `${name}: exit ${info.exit}`);
      if (info.status !== undefined) assert.ok(info.status >= 400 && info.status <= 599, `${name}: status ${info.status}`);
    }
  });
});

/** The files `entry` loads with it (static imports, type-only ones left out: they are erased), and the packages they import. */
function loadedWith(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file) || !/\.[jt]s$/.test(file)) return;
    files.add(file);
    for (const site of importsOf(path.join(ROOT, file))) {
      if (site.dynamic || site.typeOnly) continue;
      if (site.specifier.startsWith("./") || site.specifier.startsWith("../")) visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), site.specifier)));
      else if (!site.specifier.startsWith("node:") && !isBuiltin(site.specifier)) packages.add(site.specifier);
    }
  };
  visit(entry);
  return { files, packages };
}

describe("each entry point loads only what its users need", () => {
  test("tsuki/host loads the build, the tender and the run configuration (the check sees what is loaded)", () => {
    const { files, packages } = loadedWith(ENTRY_POINTS["./host"]!);
    for (const file of ["src/host/build/build.ts", "src/host/tender/tender.ts", "src/host/config/config.ts"]) assert.ok(files.has(file), file);
    assert.ok(packages.has("yaml") && packages.has("esbuild"), [...packages].join(", "));
  });

  test("tsuki/host/common loads no other part of the host and no package", () => {
    const { files, packages } = loadedWith(ENTRY_POINTS["./host/common"]!);
    assert.deepEqual([...files].filter((f) => !f.startsWith("src/host/common/") && !f.startsWith("src/abi/")), []);
    assert.deepEqual([...packages], []);
  });

  const HEAVY_FILES = ["src/host/build/build.ts", "src/host/config/config.ts", "src/host/orchestrator/pki/certs.ts"];
  const HEAVY_PACKAGES = ["esbuild", "typescript", "yaml", "@peculiar/x509", "@peculiar/asn1-schema"];
  for (const name of ["./host/client", "./host/daemon"]) {
    test(`tsuki${name.slice(1)} loads neither the build, the YAML parser nor the certificate tooling`, () => {
      const { files, packages } = loadedWith(ENTRY_POINTS[name]!);
      assert.deepEqual(HEAVY_FILES.filter((f) => files.has(f)), []);
      assert.deepEqual(HEAVY_PACKAGES.filter((p) => packages.has(p)), []);
    });
  }
});

describe("the docs that repeat error codes agree with the table", () => {
  test("each row of docs/remote-api.md's error table gives the table's HTTP status and exit code", () => {
    const text = readFileSync(path.join(ROOT, "docs/remote-api.md"), "utf8");
    const rows = [...text.matchAll(/^\| `ERR_([A-Z_]+)` \| (\d{3}|–) \| (\d+) \|/gm)];
    assert.ok(rows.length >= 10, `${rows.length} rows`);
    for (const [, name, status, exit] of rows) {
      assert.ok(Object.hasOwn(ERROR_CODES, name!), `ERR_${name} is not in the table`);
      const row: { exit: number; status?: number } = ERROR_CODES[name as keyof typeof ERROR_CODES];
      assert.equal(Number(exit), row.exit, `ERR_${name}'s exit`);
      // "–": the daemon never answers with it (the client raises it).
      assert.equal(status === "–" ? undefined : Number(status), row.status, `ERR_${name}'s status`);
    }
  });

  test("every ERR_ code README.md and docs/ name is in the table, or is a guest library's, an event's, or a TLS refusal a connector passes on (src/abi)", () => {
    const OTHERS = /^(KV_|DNS_|TLS_HANDSHAKE_TIMEOUT$)/;
    const docs = ["README.md", "docs/remote-api.md", "docs/abi.md"].map((f) => readFileSync(path.join(ROOT, f), "utf8")).join("\n");
    // A code named by its prefix in a list (`ERR_IMAGE_NOT_FOUND`, `_TRUNCATED`) is checked whole; a bare prefix (ERR_DEV_*) is not a code.
    const named = [...new Set([...docs.matchAll(/`ERR_([A-Z][A-Z0-9_]*[A-Z0-9])`/g)].map((m) => m[1]!))];
    assert.ok(named.length > 30, `${named.length} codes named`);
    assert.deepEqual(named.filter((name) => !Object.hasOwn(ERROR_CODES, name) && !OTHERS.test(name) && !Object.hasOwn(TlsCertCode, `ERR_${name}`)), []);
  });
});
