/**
 * tsukid's folders are layers: each imports only the folders below it, so no two of them import
 * each other and a change low down (api's wire types) is not tied to one high up (the daemon).
 * The order is the README's (Layout): api, pki, model, store, supervision, control, server,
 * metrics, then the root (serve.ts, index.ts), which nothing of the orchestrator imports.
 * Type-only imports count: an arrow a type crosses is an arrow.
 */

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT } from "../../helpers.ts";
import { importsOf } from "../../source-imports.ts";

const DIR = "src/host/orchestrator";
/** Bottom to top. */
const LAYERS = ["api", "pki", "model", "store", "supervision", "control", "server", "metrics", "."] as const;

/** The layer a file of the orchestrator is in ("." for the root), or undefined outside it. */
function layerOf(file: string): number | undefined {
  const rel = path.posix.relative(DIR, file);
  if (rel.startsWith("..")) return undefined;
  const top = rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : ".";
  const at = (LAYERS as readonly string[]).indexOf(top);
  assert.notEqual(at, -1, `${file} is in no layer: add its folder to LAYERS (and the README's Layout)`);
  return at;
}

function orchestratorFiles(): string[] {
  return readdirSync(path.join(ROOT, DIR), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(?:ts|js)$/.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

test("each folder of the orchestrator imports only the folders below it", () => {
  const files = orchestratorFiles();
  assert.ok(files.length > 40, `${files.length} files`);
  const upward: string[] = [];
  let across = 0;
  for (const file of files) {
    const from = layerOf(file)!;
    for (const site of importsOf(path.join(ROOT, file))) {
      if (!site.specifier.startsWith(".")) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), site.specifier));
      const to = layerOf(target);
      if (to === undefined || to === from) continue;
      across++;
      if (to > from) upward.push(`${file}:${site.line} (${LAYERS[from]}) imports ${target} (${LAYERS[to]})`);
    }
  }
  assert.deepEqual(upward, []);
  // The check saw the arrows it is about: the layers do import each other, downwards.
  assert.ok(across > 50, `${across} imports between layers`);
});

test("the layer check places files by their folder and refuses a folder it does not know", () => {
  assert.equal(layerOf(`${DIR}/api/client.ts`), 0);
  assert.equal(layerOf(`${DIR}/serve.ts`), LAYERS.length - 1);
  assert.equal(layerOf("src/host/tender/tender.ts"), undefined);
  assert.throws(() => layerOf(`${DIR}/elsewhere/x.ts`), /in no layer/);
});
