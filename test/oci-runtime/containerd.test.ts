/**
 * tsuki-runtime driven by the real engine: a containerd the test starts as root (its own root,
 * state and socket, Debian's package) imports hello-http packed by `tsuki oci pack`, and
 * `ctr run --runc-binary bin/tsuki-runtime.js` runs it through containerd's io.containerd.runc.v2
 * shim on the runtime's default target, its device bound by an annotation: it answers HTTP, its
 * console reaches ctr's output, `ctr task ps` lists its init, and `ctr task kill` (SIGTERM) ends it with exit code 143, which
 * ctr returns. Skips with the reason when not root or containerd is absent.
 *
 * The listener binds in the host's network namespace, not the container's: joining the spec's
 * namespace is not done yet (README, "OCI images").
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { archiveBytes, packImage } from "../../src/host/oci/pack.ts";
import { type Containerd, startContainerd } from "../containerd.ts";
import { tempDir, hasTool } from "../helpers.ts";
import { RUNTIME_BIN, freePort, helloHttp } from "./runtime.ts";

const skip = process.getuid?.() !== 0 ? "not root: containerd needs root" : !hasTool("containerd") || !hasTool("ctr") ? "containerd is not installed (Debian packages containerd and runc)" : undefined;
const IMAGE = "docker.io/library/tsuki-runtime-hello:1";
// The shim runs the runtime by its shebang (`node` first on PATH): the Node that runs the tests.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`, NODE_TEST_CONTEXT: undefined, NODE_OPTIONS: undefined };

describe("ctr run --runc-binary tsuki-runtime, through containerd's runc shim", { skip }, () => {
  const dir = tempDir("tsuki-rt-ctrd-");
  let containerd: Containerd | undefined;
  const ctr = (...args: string[]) => containerd!.ctr(...args);

  before(async () => {
    const tsuki = await helloHttp();
    const archive = path.join(dir, "hello.tar");
    writeFileSync(archive, archiveBytes(packImage(readFileSync(tsuki), "tsuki-runtime-hello:1")));
    containerd = await startContainerd(dir, env);
    ctr("images", "import", archive);
  });

  after(async () => {
    await containerd?.stop();
  });

  test("it answers HTTP on the annotated port, and ctr task kill ends it with 143", { timeout: 120_000 }, async () => {
    const port = await freePort();
    const run = spawn("ctr", ["--address", containerd!.address, "run", "--rm", "--runc-binary", RUNTIME_BIN, "--annotation", `tsuki.dev/device.web=tcp://127.0.0.1:${port}`, IMAGE, "hello1"], { stdio: ["ignore", "pipe", "pipe"], env });
    let output = "";
    run.stdout.on("data", (chunk) => (output += chunk));
    run.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => run.once("exit", (code) => resolve(code)));
    try {
      let body = "";
      for (let i = 0; body === ""; i++) {
        if (i > 300 || run.exitCode !== null) throw new Error(`no answer from the container: ${output}`);
        body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => "");
        if (body === "") await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(body, "hello\n");
      const pid = /hello1\s+(\d+)\s+RUNNING/.exec(ctr("task", "ls"))?.[1];
      assert.ok(pid, "ctr task ls shows it running");
      // The shim asks the runtime: tsuki-runtime ps --format json.
      assert.match(ctr("task", "ps", "hello1"), new RegExp(`^${pid}\\s`, "m"));
      ctr("task", "kill", "hello1");
      assert.equal(await exited, 143, output);
      assert.match(output, new RegExp(`hello-http \\| listening on http://127\\.0\\.0\\.1:${port}/`));
      assert.match(output, /exited with code 143: stopped by SIGTERM/);
    } finally {
      if (run.exitCode === null) run.kill("SIGKILL");
    }
    assert.doesNotMatch(ctr("containers", "ls", "-q"), /hello1/);
  });
});
