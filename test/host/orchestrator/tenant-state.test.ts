/**
 * A tenant's unikernels across the daemon's restarts (a real daemon over mutual TLS, `kill -9`
 * and SIGTERM): what the tenant's recorded policy no longer admits is not brought back (failed,
 * with the reason, a `restore-refused` event, still counted, and not restartable by the tenant),
 * the rest is. Block volumes across restarts: blocks.test.ts.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { DaemonClient } from "../../../src/host/orchestrator/api/client.ts";
import type { RemoteError } from "../../../src/host/orchestrator/api/errors.ts";
import { type RunningDaemon, helloHttpImage, startDaemon } from "./harness.ts";
import { type Ca, POLICY, type TenantFiles, makeCa, makeTenant, target } from "./pki.ts";

const T = { timeout: 90_000 };
let ca: Ca;
let hello: Uint8Array;
let stateDir: string;
let daemon: RunningDaemon;
let url: string;
const clients: DaemonClient[] = [];
const base = 18100 + Math.floor(Math.random() * 40);

const rejectsWith = (promise: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(promise, (e: RemoteError) => {
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });

async function start(): Promise<void> {
  daemon = await startDaemon(stateDir, ["--listen", "127.0.0.1:0", "--ca", ca.caPem, "--cert", ca.serverPem, "--key", ca.serverKey]);
  const listening = await daemon.waitFor((e) => e.event === "tls-listening", "tls-listening");
  url = `https://127.0.0.1:${listening.port as number}`;
}

function remote(tenant: TenantFiles): DaemonClient {
  const client = new DaemonClient(target(url, ca, tenant));
  clients.push(client);
  return client;
}

before(async () => {
  ca = await makeCa();
  hello = await helloHttpImage();
  await start();
  stateDir = daemon.stateDir;
});
after(async () => {
  for (const c of clients) c.close();
  assert.equal(await daemon.stop(), 0);
});

describe("a tenant's unikernels when tsukid starts again", () => {
  test("what the tenant's latest policy no longer admits stays stopped with the reason; the rest comes back", T, async () => {
    // Certificate A allows the whole range; the tenant creates two unikernels high in it.
    const wide = await makeTenant(ca, "shrink", { ...POLICY, ports: [{ first: 18100, last: 18199 }] });
    const a = remote(wide);
    await a.create({ name: "high-1", devices: [`web=tcp://127.0.0.1:${base + 50}`], memoryMb: 32 }, hello);
    await a.create({ name: "high-2", devices: [`web=tcp://127.0.0.1:${base + 51}`], memoryMb: 32 }, hello);
    // Certificate B, issued later for the same tenant, allows only the low ports; its create records it.
    const narrow = await makeTenant(ca, "shrink", { ...POLICY, ports: [{ first: 18100, last: 18145 }] });
    const b = remote(narrow);
    await b.create({ name: "low", devices: [`web=tcp://127.0.0.1:${base}`], memoryMb: 32 }, hello);
    assert.deepEqual((await b.listUnikernels()).map((u) => [u.name, u.state]), [["high-1", "running"], ["high-2", "running"], ["low", "running"]]);

    await daemon.kill9();
    await start();
    const restored = await daemon.waitFor((e) => e.event === "restored", "restored");
    assert.equal(restored.refused, 2);
    const refusals = daemon.events().filter((e) => e.event === "restore-refused");
    assert.deepEqual(refusals.map((e) => [e.name, e.tenant, e.code]), [["shrink/high-1", "shrink", "ERR_POLICY_DENIED"], ["shrink/high-2", "shrink", "ERR_POLICY_DENIED"]]);

    const client = remote(narrow);
    const infos = Object.fromEntries((await client.listUnikernels()).map((u) => [u.name, u]));
    assert.equal(infos.low!.state, "running");
    for (const name of ["high-1", "high-2"]) {
      assert.equal(infos[name]!.state, "failed");
      assert.equal(infos[name]!.error?.code, "ERR_POLICY_DENIED");
      assert.match(infos[name]!.error!.message, /^not brought back when tsukid started: device "web": port 181\d\d is outside the ports of tenant "shrink" \(18100-18145\)/);
    }
    // Still held, so still counted against the budget.
    const { budgets } = await client.call<{ budgets: { tenant: string; used: { unikernels: number } }[] }>("GET", "/v1/daemon");
    assert.equal(budgets[0]!.used.unikernels, 3);
    // The tenant cannot restart its way around the policy; it destroys instead.
    await rejectsWith(client.restart("high-1"), "ERR_POLICY_DENIED", /was not brought back when tsukid started: .*destroy it and create it again within the policy/);
    await client.destroy("high-1");
    // The host's administrator is above the policies: its restart boots it.
    assert.equal((await daemon.client.restart("shrink/high-2")).state, "running");
    assert.deepEqual((await client.listUnikernels()).map((u) => [u.name, u.state]), [["high-2", "running"], ["low", "running"]]);
    await client.destroy("high-2");
    await client.destroy("low");
  });

  test("a unikernel that still fits comes back after SIGTERM and a start, with nothing refused", T, async () => {
    const tenant = await makeTenant(ca, "steady", POLICY);
    await remote(tenant).create({ name: "web", devices: [`web=tcp://127.0.0.1:${base + 2}`], memoryMb: 32 }, hello);
    assert.equal(await daemon.stop(), 0);
    await start();
    const restored = await daemon.waitFor((e) => e.event === "restored", "restored");
    assert.equal(restored.refused, 0);
    assert.equal((await remote(tenant).info("web")).state, "running");
    await remote(tenant).destroy("web");
  });
});

describe("the state database", () => {
  test("schema 1 (before tenants were recorded) is migrated in place: its unikernels come back as the administrator's", async () => {
    const { DatabaseSync } = await import("node:sqlite");
    const { StateDb } = await import("../../../src/host/orchestrator/store/state-db.ts");
    const file = path.join(path.dirname(stateDir), "v1.db");
    const old = new DatabaseSync(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      CREATE TABLE unikernels (name TEXT PRIMARY KEY, image TEXT NOT NULL, priority INTEGER NOT NULL, spec TEXT NOT NULL, created INTEGER NOT NULL) STRICT;
      INSERT INTO meta VALUES ('schema', '1');`);
    old.prepare("INSERT INTO unikernels VALUES (?, ?, ?, ?, ?)").run("acme/web", "0".repeat(64), 50, JSON.stringify({ name: "acme/web", image: "0".repeat(64) }), 1);
    old.close();
    const db = new StateDb(file);
    assert.deepEqual(db.all().map((u) => [u.spec.name, u.tenant]), [["acme/web", undefined]]);
    assert.equal(db.tenantPolicies().size, 0);
    assert.deepEqual(db.migration, { from: 1, to: 4, volumes: [] });
    db.close();
    const again = new StateDb(file);
    assert.equal(again.all().length, 1);
    again.close();
  });
});
