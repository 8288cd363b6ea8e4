/**
 * The process target from the command line: `tsuki run --target process` boots a unikernel behind
 * every wall, refuses with ERR_SANDBOX_UNAVAILABLE (exit 78) when a wall cannot be built, and
 * `tsuki doctor` lists the walls and proves them.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, test } from "node:test";
import { NODE_FLAGS } from "../cli/spawn.ts";
import { ROOT, TSUKI_BIN, processTargetUnavailable } from "../helpers.ts";

const unavailable = await processTargetUnavailable();

function tsuki(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...NODE_FLAGS, TSUKI_BIN, ...args], { cwd: ROOT, env: { ...process.env, NODE_TEST_CONTEXT: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const HELLO = path.join(ROOT, "examples/hello");

describe("tsuki and the process target", () => {
  test("run --target process refuses, with a stable code, when a wall cannot be built", async () => {
    const r = await tsuki(["run", HELLO, "--target", "process"], { TSUKI_BWRAP: "/nonexistent/bwrap" });
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /tsuki: error ERR_SANDBOX_UNAVAILABLE: the process target cannot build its walls: bubblewrap is not installed at \/nonexistent\/bwrap/);
  });

  test("run --target process boots the hello unikernel behind every wall", { skip: unavailable }, async () => {
    const r = await tsuki(["run", HELLO, "--target", "process"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello \| hello from hello/);
  });

  test("doctor lists every wall of the process target as active and proves it", { skip: unavailable }, async () => {
    const r = await tsuki(["doctor"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const wall of ["namespaces", "root", "user", "session", "node-permissions", "rlimits", "seccomp"]) assert.match(r.stdout, new RegExp(`active +${wall} `));
    assert.match(r.stdout, /proved: a sandboxed process started with every wall up/);
  });
});
