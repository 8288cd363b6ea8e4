/**
 * Block volumes on a real tsukid (the Unix socket and mutual TLS): made, listed, shown and
 * destroyed through `tsuki block` and the client; accounted against the storage of the tenant
 * and every ancestor from their create to their destroy; refused for destroy while a unikernel
 * binds them; kept across a unikernel's destroy and create with a new image (a counter unikernel
 * reads and writes its volume); hidden from other tenants (404); consistent after a `kill -9` of
 * the daemon between the row and the file, either way (failpoints); and adopted from schema 2,
 * when a tenant's block files lived as long as the unikernels that bound them.
 */

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { DatabaseSync } from "node:sqlite";
import { sha256 } from "../../../src/host/image/image.ts";
import { DaemonClient } from "../../../src/host/orchestrator/api/client.ts";
import type { RemoteError } from "../../../src/host/orchestrator/api/errors.ts";
import { ImageStore } from "../../../src/host/orchestrator/store/image-store.ts";
import { StateDb } from "../../../src/host/orchestrator/store/state-db.ts";
import { tempDir } from "../../helpers.ts";
import { finished, tsuki } from "../../cli/spawn.ts";
import { type RunningDaemon, sourceImage, startDaemon } from "./harness.ts";
import { type Ca, POLICY, type TenantFiles, makeCa, makeTenant, target } from "./pki.ts";

const T = { timeout: 90_000 };
let ca: Ca;
let counter: Uint8Array;
let counterV2: Uint8Array;
let daemon: RunningDaemon;
let url: string;
let acme: TenantFiles;
let globex: TenantFiles;
const clients: DaemonClient[] = [];

const counterSource = (version: string) => `import { unikernel, block } from "tsuki";
export default unikernel({
  devices: { data: block() },
  async start({ console, data }) {
    const head = data.read(0, data.sectorSize);
    const count = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
    console.log("${version} count " + count + " of " + data.size);
    const next = new Uint8Array(data.sectorSize);
    new DataView(next.buffer).setUint32(0, count + 1);
    data.write(0, next);
    await data.flush();
    console.log("${version} flushed " + (count + 1));
    await new Promise((r) => setTimeout(r, 3_600_000));
  },
});`;

const rejectsWith = (promise: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(promise, (e: RemoteError) => {
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });

function remote(tenant: TenantFiles): DaemonClient {
  const client = new DaemonClient(target(url, ca, tenant));
  clients.push(client);
  return client;
}

async function startTls(stateDir?: string): Promise<RunningDaemon> {
  const d = await startDaemon(stateDir, ["--listen", "127.0.0.1:0", "--ca", ca.caPem, "--cert", ca.serverPem, "--key", ca.serverKey]);
  const listening = await d.waitFor((e) => e.event === "tls-listening", "tls-listening");
  url = `https://127.0.0.1:${listening.port as number}`;
  return d;
}

/** Waits until the unikernel's console has a line matching `pattern`; returns it. */
async function consoleLine(client: DaemonClient, name: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const lines: string[] = [];
    await client.console(name, { count: 100 }, (line) => lines.push(line.text));
    const found = lines.find((l) => pattern.test(l));
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no console line of ${name} matches ${pattern}; it has: ${JSON.stringify(lines)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The counter a volume's file holds (its first 4 bytes, big-endian). */
const counted = (file: string) => readFileSync(file).readUInt32BE(0);

const remoteFlags = (tenant: TenantFiles) => ["--remote", url, "--cert", tenant.clientPem, "--key", tenant.clientKey, "--ca", ca.caPem];

before(async () => {
  ca = await makeCa();
  counter = await sourceImage("counter", counterSource("v1"));
  counterV2 = await sourceImage("counter2", counterSource("v2"));
  acme = await makeTenant(ca, "acme", { ...POLICY, storageMb: 16 });
  globex = await makeTenant(ca, "globex", { ...POLICY, storageMb: 16 });
  daemon = await startTls();
});
after(async () => {
  for (const c of clients) c.close();
  assert.equal(await daemon.stop(), 0);
});

describe("block volumes", () => {
  test("tsuki block create, list, info and destroy, as a tenant over --remote and on the socket", T, async () => {
    const made = await tsuki(["block", "create", "data", "--size", "2M", "--json", ...remoteFlags(acme)]);
    assert.equal(made.code, 0, made.stderr);
    const info = JSON.parse(made.stdout);
    assert.deepEqual([info.name, info.size, info.sizeMb, info.boundBy, info.missing, "file" in info], ["data", 2 * 2 ** 20, 2, [], false, false]);
    const file = path.join(daemon.stateDir, "volumes", "acme+data");
    assert.equal(statSync(file).size, 2 * 2 ** 20);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(daemon.events().some((e) => e.event === "block-created" && e.name === "acme/data" && e.tenant === "acme"));

    const listed = await tsuki(["block", "list", ...remoteFlags(acme)]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME +SIZE +BOUND BY +FILE\ndata +2M +- +ok$/m);
    assert.match((await tsuki(["block", "info", "data", ...remoteFlags(acme)])).stdout, /^name: +data\nsize: +2M \(2097152 bytes\)$/m);
    // The administrator sees the full name, the file and the tenant.
    const admin = await tsuki(daemon.tsukiArgs("block", "info", "acme/data"));
    assert.match(admin.stdout, new RegExp(`^file: +${file.replaceAll("+", "\\+")}$`, "m"));
    assert.match(admin.stdout, /^tenant: +acme$/m);
    assert.deepEqual((await daemon.client.listBlocks()).map((v) => v.name), ["acme/data"]);

    // A name is taken once; a volume needs a size of at least 1 MiB, in whole MiB.
    await rejectsWith(remote(acme).createBlock("data", 1), "ERR_NAME_TAKEN", /^a block volume named "data" already exists: "tsuki block info" shows it/);
    const noSize = await tsuki(["block", "create", "x", ...remoteFlags(acme)]);
    assert.equal(noSize.code, 64);
    assert.match(noSize.stderr, /ERR_MISSING_ARGUMENT: "tsuki block create" needs --size, e.g. tsuki block create x --size 64M/);
    assert.match((await tsuki(["block", "create", "x", "--size", "1536K", ...remoteFlags(acme)])).stderr, /--size 1536K is not a whole number of MiB/);
    await rejectsWith(remote(acme).createBlock("Bad/name", 1), "ERR_POLICY_DENIED", /under its own path only/);
    await rejectsWith(remote(acme).createBlock("..", 1), "ERR_NAME_INVALID");
    await rejectsWith(remote(acme).createBlock("big", 0), "ERR_REQUEST_VALUE", /sizeMb 0 is out of range/);

    const gone = await tsuki(["block", "destroy", "data", ...remoteFlags(acme)]);
    assert.equal(gone.code, 0, gone.stderr);
    assert.equal(gone.stdout, "destroyed block volume data (2M)\n");
    assert.ok(!existsSync(file));
    assert.deepEqual(await remote(acme).listBlocks(), []);
    assert.ok(daemon.events().some((e) => e.event === "block-destroyed" && e.name === "acme/data"));
    // On the socket, the administrator makes and destroys its own.
    assert.equal((await tsuki(daemon.tsukiArgs("block", "create", "shared", "--size", "1"))).code, 0);
    assert.ok(existsSync(path.join(daemon.stateDir, "volumes", "shared")));
    assert.equal((await tsuki(daemon.tsukiArgs("block", "destroy", "shared"))).code, 0);
  });

  test("a volume counts against the storage of the tenant and every ancestor from create to destroy, not per unikernel", T, async () => {
    const parent = await makeTenant(ca, "parent", { ...POLICY, storageMb: 8 });
    const left = await makeTenant(parent, "left", { ...POLICY, storageMb: 8 });
    const right = await makeTenant(parent, "right", { ...POLICY, storageMb: 8 });
    // An image counts too (whole MiB): right's upload of the counter takes 1M of right's and parent's.
    await remote(right).uploadImage(counter);
    await remote(left).createBlock("a", 4);
    await rejectsWith(remote(right).createBlock("b", 4), "ERR_POLICY_BUDGET", /tenant "parent" \(which "parent\/right" is under\) has 3M of its 8M block storage left and this volume asks for 4M: destroy a volume first/);
    await remote(right).createBlock("b", 3);
    await rejectsWith(remote(right).createBlock("c", 1), "ERR_POLICY_BUDGET", /tenant "parent"/);
    const { budgets } = await remote(right).call<{ budgets: { tenant: string; used: { storageMb: number } }[] }>("GET", "/v1/daemon");
    assert.deepEqual(budgets.map((b) => [b.tenant, b.used.storageMb]), [["parent", 8], ["parent/right", 4]]);
    // Two unikernels binding one volume take no more storage (nor does one, with the budget full).
    await remote(right).create({ name: "one", devices: ["data=file:b"], memoryMb: 32 }, counter);
    await consoleLine(remote(right), "one", /v1 flushed 1/);
    await remote(right).create({ name: "two", devices: ["data=file:b"], memoryMb: 32 }, counter);
    assert.deepEqual((await remote(right).blockInfo("b")).boundBy, ["one", "two"]);
    // The parent sees its sub-tenants' volumes by their relative names.
    assert.deepEqual((await remote(parent).listBlocks()).map((v) => [v.name, v.boundBy]), [["left/a", []], ["right/b", ["right/one", "right/two"]]]);
    // Destroying the unikernels frees no volume's storage (only the image's, which right no longer runs); destroying a volume does.
    await remote(right).destroy("one");
    await remote(right).destroy("two");
    await rejectsWith(remote(right).createBlock("c", 2), "ERR_POLICY_BUDGET", /has 1M of its 8M block storage left/);
    await remote(parent).destroyBlock("left/a");
    await remote(right).createBlock("c", 5);
    await remote(right).destroyBlock("b");
    await remote(right).destroyBlock("c");
  });

  test("a volume a unikernel binds cannot be destroyed; destroying the unikernel keeps it; a create with a new image finds the data", T, async () => {
    const client = remote(acme);
    await client.createBlock("kv", 1);
    const file = path.join(daemon.stateDir, "volumes", "acme+kv");
    const info = await client.create({ name: "app", devices: ["data=file:kv"], memoryMb: 32 }, counter);
    // Shown back as the tenant bound it.
    assert.deepEqual(info.devices, ["data=file:kv"]);
    assert.match(await consoleLine(client, "app", /v1 count/), /^v1 count 0 of 1048576$/);
    await consoleLine(client, "app", /v1 flushed 1/);
    await rejectsWith(client.destroyBlock("kv"), "ERR_BLOCK_IN_USE", /^block volume "kv" is bound by the unikernel "app": destroy it first \(tsuki destroy\), then the volume$/);
    const refused = await tsuki(["block", "destroy", "kv", ...remoteFlags(acme)]);
    assert.equal(refused.code, 75);
    assert.match(refused.stderr, /^tsuki: error ERR_BLOCK_IN_USE: /m);

    await client.destroy("app");
    assert.ok(!daemon.events().some((e) => e.event === "destroyed" && e.name === "acme/app" && "files" in e));
    assert.equal(counted(file), 1, "the data outlives the unikernel");
    // A new version of the image: the only way to change a unikernel's image is destroy and create.
    await client.create({ name: "app", devices: ["data=file:kv?size=1M"], memoryMb: 32 }, counterV2);
    assert.equal(await consoleLine(client, "app", /v2 count/), "v2 count 1 of 1048576");
    await consoleLine(client, "app", /v2 flushed 2/);
    assert.equal(counted(file), 2);
    // size= must be the volume's, if given at all.
    await rejectsWith(client.create({ name: "other", devices: ["data=file:kv?size=2M"], memoryMb: 32 }, counter), "ERR_REQUEST_VALUE", /block volume "kv" is 1M \(1048576 bytes\), not size=2M: drop \?size=/);
    await client.destroy("app");
    await client.destroyBlock("kv");
    assert.ok(!existsSync(file));
  });

  test("a create that names a missing volume is ERR_BLOCK_NOT_FOUND with the command that makes it; ?size= makes none", T, async () => {
    const client = remote(acme);
    await rejectsWith(
      client.create({ name: "app", devices: ["data=file:nope?size=4M"], memoryMb: 32 }, counter),
      "ERR_BLOCK_NOT_FOUND",
      /^device "data": no block volume named "nope": create it first with "tsuki block create nope --size 4M", then create the unikernel again/,
    );
    assert.deepEqual(await client.listBlocks(), []);
    assert.deepEqual(await client.listUnikernels(), []);
    assert.ok(!existsSync(path.join(daemon.stateDir, "tenants", "acme", "nope")));
    assert.ok(!existsSync(path.join(daemon.stateDir, "volumes", "acme+nope")));
    // Host paths and other tenants' volumes cannot be named.
    await rejectsWith(client.create({ name: "app", devices: ["data=file:/etc/passwd"], memoryMb: 32 }, counter), "ERR_POLICY_DENIED", /by their bare names/);
    await rejectsWith(client.create({ name: "app", devices: ["data=volume:globex/x"], memoryMb: 32 }, counter), "ERR_POLICY_DENIED", /by their bare names/);
  });

  test("another tenant's volume is answered as one that does not exist (404 ERR_NOT_FOUND); its own namespace is its own", T, async () => {
    await remote(acme).createBlock("secret", 1);
    const other = remote(globex);
    assert.deepEqual(await other.listBlocks(), []);
    for (const name of ["secret", "acme/secret", "../acme/secret"]) {
      await rejectsWith(other.blockInfo(name), name.startsWith("..") ? "ERR_NAME_INVALID" : "ERR_NOT_FOUND", name.startsWith("..") ? undefined : new RegExp(`^no block volume named "${name.replace("/", "\\/")}" here: "tsuki block list" shows yours$`));
      await rejectsWith(other.destroyBlock(name), name.startsWith("..") ? "ERR_NAME_INVALID" : "ERR_NOT_FOUND");
    }
    const cli = await tsuki(["block", "info", "secret", ...remoteFlags(globex)]);
    assert.equal(cli.code, 66);
    assert.match(cli.stderr, /ERR_NOT_FOUND: no block volume named "secret" here/);
    await rejectsWith(other.create({ name: "thief", devices: ["data=file:secret"], memoryMb: 32 }, counter), "ERR_BLOCK_NOT_FOUND", /no block volume named "secret"/);
    // globex may have a "secret" of its own.
    await other.createBlock("secret", 1);
    assert.deepEqual((await daemon.client.listBlocks()).map((v) => v.name), ["acme/secret", "globex/secret"]);
    await other.destroyBlock("secret");
  });

  test("the administrator binds host paths as before (never deleted) and volumes by full name; a tenant is not told the administrator's names", T, async () => {
    const own = path.join(tempDir(), "admin.img");
    await daemon.client.create({ name: "host-disk", devices: [`data=file:${own}?size=1M`], memoryMb: 32 }, counter);
    await consoleLine(daemon.client, "host-disk", /v1 flushed 1/);
    await daemon.client.destroy("host-disk");
    assert.equal(counted(own), 1, "a host file is the administrator's, never deleted");

    const info = await daemon.client.create({ name: "backup", devices: ["data=volume:acme/secret"], memoryMb: 32 }, counter);
    assert.deepEqual(info.devices, [`data=file:${path.join(daemon.stateDir, "volumes", "acme+secret")}`]);
    await consoleLine(daemon.client, "backup", /v1 flushed 1/);
    await rejectsWith(remote(acme).destroyBlock("secret"), "ERR_BLOCK_IN_USE", /bound by the unikernel "\(a unikernel of the host's administrator\)"/);
    assert.deepEqual((await remote(acme).blockInfo("secret")).boundBy, ["(a unikernel of the host's administrator)"]);
    await rejectsWith(daemon.client.create({ name: "none", devices: ["data=volume:acme/nope"], memoryMb: 32 }, counter), "ERR_BLOCK_NOT_FOUND", /"tsuki block create acme\/nope --size 64M"/);
    await daemon.client.destroy("backup");
    await remote(acme).destroyBlock("secret");
  });
});

describe("block volumes across a kill -9 of the daemon", () => {
  test("between the file and the row of a create, and between the row and the file of a destroy: the next start is consistent", T, async () => {
    const stateDir = path.join(tempDir("tsukid-crash-"), "state");
    const files = (name: string) => path.join(stateDir, "volumes", name);
    process.env.TSUKID_FAILPOINT = "block-create:file-made";
    let crashing = await startDaemon(stateDir);
    delete process.env.TSUKID_FAILPOINT;
    let ended = finished(crashing.child);
    await assert.rejects(crashing.client.createBlock("half", 1));
    assert.equal((await ended).signal, "SIGKILL");
    assert.ok(existsSync(files("half")), "the file was made; the row was not committed");

    let d = await startDaemon(stateDir);
    const removed = await d.waitFor((e) => e.event === "block-files-removed", "block-files-removed");
    assert.deepEqual(removed.files, [files("half")]);
    assert.ok(!existsSync(files("half")));
    assert.deepEqual(await d.client.listBlocks(), []);
    // The name is free again, and an acknowledged volume and its data survive a kill -9.
    await d.client.createBlock("half", 1);
    await d.client.createBlock("kept", 1);
    await d.client.create({ name: "app", devices: ["data=volume:kept"], memoryMb: 32 }, counter);
    await consoleLine(d.client, "app", /v1 flushed 1/);
    await d.kill9();

    process.env.TSUKID_FAILPOINT = "block-destroy:row-removed";
    crashing = await startDaemon(stateDir);
    delete process.env.TSUKID_FAILPOINT;
    assert.ok(!crashing.events().some((e) => e.event === "block-files-removed"), "nothing to remove after acknowledged creates");
    await consoleLine(crashing.client, "app", /v1 flushed 2/);
    ended = finished(crashing.child);
    await assert.rejects(crashing.client.destroyBlock("half"));
    assert.equal((await ended).signal, "SIGKILL");
    assert.ok(existsSync(files("half")), "the row was deleted; the file not yet");

    d = await startDaemon(stateDir);
    assert.deepEqual((await d.waitFor((e) => e.event === "block-files-removed", "block-files-removed")).files, [files("half")]);
    assert.deepEqual((await d.client.listBlocks()).map((v) => [v.name, v.boundBy]), [["kept", ["app"]]]);
    await consoleLine(d.client, "app", /v1 flushed 3/);
    assert.equal(counted(files("kept")), 3);

    // A volume whose file went behind the daemon's back: reported, never made again empty.
    await d.client.destroy("app");
    await d.kill9();
    rmSync(files("kept"));
    d = await startDaemon(stateDir);
    const missing = await d.waitFor((e) => e.event === "block-files-missing", "block-files-missing");
    assert.deepEqual(missing.volumes, [{ name: "kept", file: files("kept") }]);
    assert.equal((await d.client.blockInfo("kept")).missing, true);
    await rejectsWith(d.client.create({ name: "app", devices: ["data=volume:kept"], memoryMb: 32 }, counter), "ERR_BLOCK_NOT_FOUND", /the file of block volume "kept" is missing .*: destroy the volume \(tsuki block destroy kept\) and create it again/);
    assert.ok(!existsSync(files("kept")));
    await d.client.destroyBlock("kept");
    assert.deepEqual(await d.client.listBlocks(), []);
    assert.equal(await d.stop(), 0);
  });
});

describe("the state database, schema 2 to 4", () => {
  test("a tenant's block files bound by its unikernels become its volumes, data and all; files nothing bound are removed", T, async () => {
    const stateDir = path.join(tempDir("tsukid-v2-"), "state");
    const tenants = path.join(stateDir, "tenants", "acme");
    mkdirSync(tenants, { recursive: true });
    const dataFile = path.join(tenants, "data.img");
    const data = Buffer.alloc(2 ** 20);
    data.writeUInt32BE(41, 0);
    writeFileSync(dataFile, data);
    writeFileSync(path.join(tenants, "old.img"), Buffer.alloc(4096));
    const sha = sha256(counter);
    new ImageStore(path.join(stateDir, "images")).put(sha, counter);
    const spec = { name: "acme/app", image: sha, devices: [`data=file:${dataFile}?size=1M`], memoryMb: 32, cpuMs: 1000, target: "isolate", restart: "on-failure", priority: 50, args: {} };
    const db = new DatabaseSync(path.join(stateDir, "state.db"));
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      CREATE TABLE unikernels (name TEXT PRIMARY KEY, image TEXT NOT NULL, priority INTEGER NOT NULL, spec TEXT NOT NULL, created INTEGER NOT NULL, tenant TEXT) STRICT;
      CREATE TABLE tenant_policies (path TEXT PRIMARY KEY, policy TEXT NOT NULL, recorded INTEGER NOT NULL) STRICT;
      INSERT INTO meta VALUES ('schema', '2');`);
    db.prepare("INSERT INTO unikernels VALUES (?, ?, ?, ?, ?, ?)").run(spec.name, sha, 50, JSON.stringify(spec), 1, "acme");
    db.prepare("INSERT INTO tenant_policies VALUES (?, ?, ?)").run("acme", JSON.stringify(POLICY), 1);
    db.close();

    const d = await startTls(stateDir);
    const migrated = await d.waitFor((e) => e.event === "state-migrated", "state-migrated");
    assert.deepEqual([migrated.from, migrated.to, migrated.volumes], [2, 4, ["acme/data.img"]]);
    assert.deepEqual((await d.waitFor((e) => e.event === "block-files-removed", "block-files-removed")).files, [path.join(tenants, "old.img")]);
    // The unikernel comes back on its data, and the binding lost its size (the volume has one).
    assert.equal(await consoleLine(d.client, "acme/app", /v1 count/), "v1 count 41 of 1048576");
    assert.deepEqual((await d.client.info("acme/app")).devices, [`data=file:${dataFile}`]);
    const [volume] = await d.client.listBlocks();
    assert.deepEqual([volume!.name, volume!.file, volume!.sizeMb, volume!.tenant, volume!.boundBy], ["acme/data.img", dataFile, 1, "acme", ["acme/app"]]);
    // The tenant sees it as before, counted once against its storage, as is the image it runs (its own now: schema 4).
    const tenant = remote(acme);
    assert.deepEqual((await tenant.info("app")).devices, ["data=file:data.img"]);
    assert.deepEqual((await tenant.listBlocks()).map((v) => v.name), ["data.img"]);
    assert.equal((await tenant.call<unknown>("HEAD", `/v1/images/${sha}`).then(() => 200)), 200);
    const { budgets } = await tenant.call<{ budgets: { used: { storageMb: number } }[] }>("GET", "/v1/daemon");
    assert.equal(budgets[0]!.used.storageMb, 1 + 1);
    // Destroying the unikernel keeps the file now; the volume goes with tsuki block destroy.
    await consoleLine(tenant, "app", /v1 flushed 42/);
    await tenant.destroy("app");
    assert.equal(counted(dataFile), 42);
    await tenant.destroyBlock("data.img");
    assert.ok(!existsSync(dataFile));
    assert.equal(await d.stop(), 0);

    // Opened again, schema 4 is not migrated twice.
    const again = new StateDb(path.join(stateDir, "state.db"), path.join(stateDir, "tenants"));
    assert.equal(again.migration, undefined);
    assert.deepEqual(again.volumes(), []);
    again.close();
  });
});
