/**
 * A tender thread that fails: tsukid's `Daemon` in this process, with two tenants' unikernels,
 * and acme's thread ended from outside (`worker.terminate()`, as a crash would end it). Every
 * unikernel in that thread ends with "crashed: its tender thread failed: …", each restart policy
 * applies (on-failure boots it again, in a new thread; never leaves it exited), and the other
 * tenant's unikernel, in its own thread, does not notice. Each thread runs at nice +5, below the
 * thread that serves the API (read back from /proc).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { Daemon } from "../../../src/host/orchestrator/control/daemon.ts";
import { EventLog } from "../../../src/host/orchestrator/store/event-log.ts";
import { parseSpec } from "../../../src/host/orchestrator/model/spec.ts";
import type { Tenant } from "../../../src/host/orchestrator/control/tenants.ts";
import { tempDir } from "../../helpers.ts";
import { fetchText, helloHttpImage } from "./harness.ts";
import { POLICY } from "./pki.ts";

const T = { timeout: 60_000 };
const acme: Tenant = { path: ["acme"], policies: [POLICY], client: "acme-client" };
let daemon: Daemon;
let events: string;

before(async () => {
  const hello = await helloHttpImage();
  const dir = tempDir("tsukid-crash-");
  events = path.join(dir, "events.log");
  daemon = new Daemon({ stateDir: path.join(dir, "state"), log: new EventLog(events), backoff: { baseMs: 50, maxMs: 1000, stableMs: 60_000 } });
  await daemon.restore();
  const sha = daemon.registry.add("acme", hello).sha256;
  daemon.registry.add("", hello);
  const spec = (name: string, restart: string) => parseSpec({ name, image: sha, devices: ["web=tcp://127.0.0.1:0"], memoryMb: 32, restart });
  await daemon.create(spec("acme/web", "on-failure"), undefined, acme);
  await daemon.create(spec("acme/once", "never"), undefined, acme);
  await daemon.create(spec("neighbour", "on-failure"));
});
after(async () => {
  await daemon.shutdown();
});

const logged = () => readFileSync(events, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

async function until<T>(what: string, check: () => T | undefined, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const found = check();
    if (found !== undefined) return found;
  }
  throw new Error(`timed out waiting: ${what}`);
}

test("each tenant's unikernels run in a thread of their own, at a lower CPU priority than the control thread", T, () => {
  const started = logged().filter((e) => e.event === "tender-thread-started");
  assert.deepEqual(started.map((e) => e.tenant).sort(), ["", "acme"]);
  const nice = (task: string) => Number(readFileSync(`/proc/self/task/${task}/stat`, "utf8").split(") ")[1]!.split(" ")[16]);
  for (const e of started) {
    assert.equal(e.nice, 5, JSON.stringify(e));
    assert.equal(nice(String(e.tid)), 5, "the OS says so");
  }
  assert.equal(nice(String(process.pid)), 0, "the control thread keeps the process's priority");
});

test("a tender thread that fails ends its unikernels as crashed; their restart policies apply; other tenants' go on", T, async () => {
  const neighbour = daemon.get("neighbour").info();
  const thread = daemon.threads.get("acme")!;
  assert.notEqual(thread, daemon.threads.get(""), "each tenant has a thread of its own");
  assert.equal(await fetchText(daemon.get("acme/web").info().addresses.web!), "hello\n");

  await thread.worker.terminate();

  const crashed = /^crashed: its tender thread failed: it exited with code 1$/;
  const once = await until("acme/once to end", () => (daemon.get("acme/once").state === "exited" ? daemon.get("acme/once").info() : undefined));
  assert.equal(once.lastExit?.kind, "crashed");
  assert.match(once.lastExit!.reason, crashed);
  assert.equal(once.lastExit?.code, 70);

  const web = await until("acme/web to be booted again", () => {
    const info = daemon.get("acme/web").info();
    return info.state === "running" && info.restarts === 1 ? info : undefined;
  });
  assert.match(web.lastExit!.reason, crashed);
  assert.equal(await fetchText(web.addresses.web!), "hello\n");
  assert.notEqual(daemon.threads.get("acme"), thread, "in a new thread");
  assert.ok(daemon.threads.get("acme")!.threadId > thread.threadId);

  const failed = logged().filter((e) => e.event === "tender-thread-failed");
  assert.deepEqual(failed.map((e) => [e.tenant, e.unikernels]), [["acme", 2]]);
  assert.ok(logged().some((e) => e.event === "restarting" && e.name === "acme/web"));

  // The administrator's unikernel, in its own thread, never noticed.
  const now = daemon.get("neighbour").info();
  assert.equal(now.state, "running");
  assert.equal(now.started, neighbour.started);
  assert.equal(now.restarts, 0);
  assert.equal(await fetchText(now.addresses.web!), "hello\n");
  assert.ok(!logged().some((e) => e.event === "exited" && e.name === "neighbour"));
  assert.equal((await daemon.get("neighbour").stats()).stale, false);
});
