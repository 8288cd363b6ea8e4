/**
 * The tender's description of the guest runtime's entry points (targets/runtime-entry.ts) is the
 * runtime's real type, checked by the compiler: the host keeps its own copy so that no host file
 * imports guest code, and this is where the two must agree. Also that the host never does import it.
 */

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import type { Runtime } from "../../../src/guest/runtime/index.ts";
import type { RuntimeEntry } from "../../../src/host/tender/targets/runtime-entry.ts";
import { ROOT } from "../../helpers.ts";

/** Compiles only if every `Runtime` is a `RuntimeEntry`: each method the targets call exists with a compatible signature. */
const asEntry = (runtime: Runtime): RuntimeEntry => runtime;

test("the guest runtime is what the tender's targets take it for (checked by the type check)", () => {
  assert.equal(typeof asEntry, "function");
});

test("no file of the tender imports guest code", () => {
  const dir = path.join(ROOT, "src/host/tender");
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.(ts|js)$/.test(f));
  const offenders = files.filter((f) => /from\s+["'](?:\.\.\/)+guest\//.test(readFileSync(path.join(dir, f), "utf8")));
  assert.deepEqual(offenders, []);
});
