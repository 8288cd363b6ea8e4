/**
 * A host where the heap guard cannot be built (no C++ compiler here): the isolate target refuses
 * to run a unikernel, saying why and how to fix it, and `tsuki doctor` says so and exits 78; the
 * build, which evaluates only its author's own code, still works.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { TSUKI_BIN, tempDir, unikernelDir } from "../helpers.ts";
import { NODE_FLAGS } from "../cli/spawn.ts";

/** `tsuki ...args` with no C++ compiler and an empty cache (so no guard built before). */
function tsukiWithoutCompiler(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`, CXX: "/nonexistent/c++", TSUKI_CACHE_DIR: tempDir("tsuki-cache-") };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return spawnSync(process.execPath, [...NODE_FLAGS, TSUKI_BIN, ...args], { env, encoding: "utf8", timeout: 60_000 });
}

test("without the heap guard the build works, tsuki run refuses the isolate target with ERR_MEMORY_GUARD_UNAVAILABLE, and doctor exits 78", { timeout: 120_000 }, () => {
  const dir = unikernelDir({ "src/main.ts": `import { unikernel } from "tsuki";\nexport default unikernel({ start() { console.log("ran"); } });\n` });
  const image = path.join(tempDir(), "t.tsuki");
  const built = tsukiWithoutCompiler("build", dir, "--out", image);
  assert.equal(built.status, 0, built.stderr + built.stdout);

  const run = tsukiWithoutCompiler("run", image);
  assert.equal(run.status, 78, run.stderr);
  assert.match(run.stderr, /ERR_MEMORY_GUARD_UNAVAILABLE/);
  assert.match(run.stderr, /C\+\+ compiler/);
  assert.doesNotMatch(run.stdout, /ran/);

  const doctor = tsukiWithoutCompiler("doctor");
  assert.equal(doctor.status, 78, doctor.stderr);
  assert.match(doctor.stdout, /^memory guard: UNAVAILABLE: /m);
});
