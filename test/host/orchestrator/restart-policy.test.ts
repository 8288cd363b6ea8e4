/**
 * tsukid's restart policy on a real daemon: a unikernel that exits 1 is booted again with growing
 * delays; one that exits with a configuration code is not; `never` and a clean exit under
 * `on-failure` stay down; a create whose binding cannot be opened fails and leaves nothing behind.
 */

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { decideRestart, backoffDelay, BACKOFF_DEFAULTS } from "../../../src/host/orchestrator/supervision/restart-policy.ts";
import type { RemoteError } from "../../../src/host/orchestrator/api/errors.ts";
import { type RunningDaemon, helloHttpImage, sourceImage, startDaemon } from "./harness.ts";

const T = { timeout: 60_000 };
let daemon: RunningDaemon;
const img: Record<string, Uint8Array> = {};

before(async () => {
  img.crash = await sourceImage("crash", `import { unikernel } from "tsuki";
export default unikernel({ start({ console, exit }) { console.log("crashing"); exit(1); } });`);
  img.config = await sourceImage("config", `import { unikernel } from "tsuki";
export default unikernel({ start({ exit }) { exit(78); } });`);
  img.done = await sourceImage("done", `import { unikernel } from "tsuki";
export default unikernel({ start({ console }) { console.log("done"); } });`);
  img.hello = await helloHttpImage();
  daemon = await startDaemon();
});
after(async () => {
  await daemon.stop();
});

describe("restart decisions", () => {
  test("a stop, a boot failure and the codes 64, 65, 78 are never restarted; a crash is, under on-failure and always", () => {
    assert.deepEqual(decideRestart("always", { kind: "stopped", code: 143, reason: "" }), { restart: false, why: "stopped" });
    assert.deepEqual(decideRestart("always", { kind: "boot-failed", code: 78, reason: "" }), { restart: false, why: "final" });
    for (const code of [64, 65, 78]) assert.deepEqual(decideRestart("always", { kind: "exit", code, reason: "" }), { restart: false, why: "final" });
    assert.deepEqual(decideRestart("on-failure", { kind: "aborted", code: 1, reason: "" }), { restart: true });
    assert.deepEqual(decideRestart("on-failure", { kind: "out-of-memory", code: 137, reason: "" }), { restart: true });
    assert.deepEqual(decideRestart("on-failure", { kind: "returned", code: 0, reason: "" }), { restart: false, why: "policy" });
    assert.deepEqual(decideRestart("always", { kind: "returned", code: 0, reason: "" }), { restart: true });
    assert.deepEqual(decideRestart("never", { kind: "crashed", code: 70, reason: "" }), { restart: false, why: "policy" });
  });

  test("the backoff doubles from 250 ms up to a minute", () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(BACKOFF_DEFAULTS, n)), [250, 500, 1000, 2000]);
    assert.equal(backoffDelay(BACKOFF_DEFAULTS, 100), 60_000);
  });
});

describe("tsukid restarts", () => {
  test("a unikernel that exits 1 is booted again, each time after a longer delay", T, async () => {
    await daemon.client.create({ name: "crash", restart: "on-failure" }, img.crash!);
    await daemon.waitFor((e) => e.event === "restarting" && e.name === "crash" && e.failures === 3, "third restart");
    const delays = daemon.events().filter((e) => e.event === "restarting" && e.name === "crash").map((e) => e.delayMs as number);
    assert.deepEqual(delays.slice(0, 3), [250, 500, 1000]);
    const info = await daemon.client.info("crash");
    assert.ok(info.restarts >= 2, JSON.stringify(info));
    assert.equal(info.lastExit?.code, 1);
    // Every run's line is kept in the one console ring.
    const lines: string[] = [];
    await daemon.client.console("crash", {}, (l) => lines.push(l.text));
    assert.ok(lines.filter((l) => l === "crashing").length >= 3, lines.join("\n"));
    await daemon.client.destroy("crash");
  });

  test("a unikernel that exits with the configuration code 78 is not restarted, even under always", T, async () => {
    await daemon.client.create({ name: "config", restart: "always" }, img.config!);
    await daemon.waitFor((e) => e.event === "failed" && e.name === "config", "failed");
    await new Promise((r) => setTimeout(r, 600));
    const info = await daemon.client.info("config");
    assert.equal(info.state, "failed");
    assert.equal(info.restarts, 0);
    assert.equal(info.lastExit?.code, 78);
    assert.equal(daemon.events().filter((e) => e.event === "restarting" && e.name === "config").length, 0);
    await daemon.client.destroy("config");
  });

  test("a clean exit under on-failure stays down as exited; under always it comes back", T, async () => {
    await daemon.client.create({ name: "done-once" }, img.done!);
    await daemon.client.create({ name: "done-again", restart: "always" }, img.done!);
    await daemon.waitFor((e) => e.event === "restarting" && e.name === "done-again", "restart of done-again");
    const once = await daemon.client.info("done-once");
    assert.equal(once.state, "exited");
    assert.equal(once.lastExit?.code, 0);
    await daemon.client.destroy("done-once");
    await daemon.client.destroy("done-again");
  });

  test("a create whose port is taken fails with ERR_DEV_OPEN and leaves nothing behind", T, async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as { port: number }).port;
    try {
      await assert.rejects(daemon.client.create({ name: "taken", devices: [`web=tcp://127.0.0.1:${port}`] }, img.hello!), (e: RemoteError) => {
        assert.equal(e.code, "ERR_DEV_OPEN");
        assert.equal(e.exitCode, 78);
        return true;
      });
    } finally {
      busy.close();
    }
    assert.equal((await daemon.client.listUnikernels()).some((u) => u.name === "taken"), false);
    assert.ok(daemon.events().some((e) => e.event === "create-failed" && e.name === "taken"));
  });

  test("bindings that do not fit the image are refused before anything is stored, every problem with its code", T, async () => {
    await assert.rejects(daemon.client.create({ name: "misbound", devices: ["db=tcp://127.0.0.1:5432"] }, img.hello!), (e: RemoteError) => {
      assert.deepEqual(e.problems.map((p) => p.code), ["ERR_DEV_UNDECLARED", "ERR_DEV_UNBOUND"]);
      return true;
    });
    assert.equal((await daemon.client.listUnikernels()).some((u) => u.name === "misbound"), false);
  });
});
