/**
 * The arrows between the guest's parts run one way (DESIGN.md, "The parts"; issue 15): no two
 * folders of src/guest import each other (directly or round a longer loop), and in the guest
 * libraries, the runtime, the SDK and the ABI no file imports one that imports it back, type-only
 * imports included (tcpip/tcp's control block was once the middle of an eight-file loop). Two kinds
 * of loop are known and allowed, each named here: the web script's registry names its groups'
 * types to load them lazily (type-only, erased from the bundle), and `inspect` is mutually
 * recursive with the two modules that print errors and built-ins.
 */

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { ROOT } from "../helpers.ts";
import { cycles } from "../source-imports.ts";

const IMPORT = /(?:^|[\s;}])(?:import|export)\s+(type\s+)?(?:[\w$*{}\s,]+?\s+from\s*)?["'](\.{1,2}\/[^"']+)["']/g;

interface Edge {
  readonly to: string;
  readonly typeOnly: boolean;
}

/** Every relative import of every .ts file under `dir`, as repository paths. */
function graph(dir: string): Map<string, Edge[]> {
  const edges = new Map<string, Edge[]>();
  for (const entry of readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) continue;
    const file = path.relative(ROOT, path.join(entry.parentPath, entry.name));
    const text = readFileSync(path.join(ROOT, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "");
    edges.set(
      file,
      [...text.matchAll(IMPORT)].map((m) => ({ to: path.normalize(path.join(path.dirname(file), m[2]!)), typeOnly: m[1] !== undefined })),
    );
  }
  return edges;
}

function folderGraph(edges: Map<string, Edge[]>, keep: (edge: Edge, from: string) => boolean): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [from, list] of edges) {
    for (const edge of list) {
      const a = path.dirname(from);
      const b = path.dirname(edge.to);
      if (a !== b && keep(edge, from)) folders.set(a, (folders.get(a) ?? new Set()).add(b));
    }
  }
  return folders;
}

function fileGraph(edges: Map<string, Edge[]>): Map<string, Set<string>> {
  return new Map([...edges].map(([from, list]) => [from, new Set(list.map((edge) => edge.to))]));
}

const REGISTRY = path.join("src/guest/web/common/registry.ts");
const INSPECT = [path.join("src/guest/runtime/core/inspect-error.ts"), path.join("src/guest/runtime/core/inspect-types.ts"), path.join("src/guest/runtime/core/inspect.ts")];

describe("the arrows between the guest's parts run one way", () => {
  const guest = graph("src/guest");

  test("no two folders of src/guest import each other, but for the web registry's type-only names of the groups it loads", () => {
    assert.ok(guest.size > 200, `${guest.size} files`);
    const folders = folderGraph(guest, (edge, from) => !(from === REGISTRY && edge.typeOnly));
    assert.ok(folders.size > 20, `${folders.size} folders import others`);
    assert.deepEqual(cycles(folders), []);
  });

  test("the check sees a loop: the registry's type imports make one", () => {
    const folders = folderGraph(guest, () => true);
    assert.ok(cycles(folders).some((group) => group.includes(path.join("src/guest/web/common"))));
  });

  for (const dir of ["src/guest/lib", "src/guest/runtime", "src/guest/sdk", "src/abi"]) {
    test(`no file of ${dir} imports one that imports it back, type-only imports included`, () => {
      const found = cycles(fileGraph(graph(dir)));
      assert.deepEqual(
        found.filter((group) => group.join() !== INSPECT.join()),
        [],
      );
    });
  }

  test("tcpip/tcp: the control block imports nothing that acts on it", () => {
    const tcb = guest.get(path.join("src/guest/lib/tcpip/tcp/tcb.ts"))!;
    const protocol = ["input", "receive", "ack", "output", "emit", "timers", "close", "open", "control"].map((name) => path.join(`src/guest/lib/tcpip/tcp/${name}.ts`));
    assert.deepEqual(tcb.filter((edge) => protocol.includes(edge.to)), []);
    assert.ok(tcb.length > 5, "tcb.ts imports its buffers and estimators");
  });
});
