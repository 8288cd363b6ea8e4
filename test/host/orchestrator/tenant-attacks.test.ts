/**
 * What a hostile tenant of tsukid tried, over the real mutual-TLS API, each refused: block
 * bindings that reach another tenant's volume, the daemon's database or a new file anywhere (a
 * control character after the path, a path instead of a volume's name, another tenant's volume by
 * name), options a policy has no word for (`?max=1000000`, an option given twice, a udp peer, a
 * connector to anywhere, a turn of an hour, a TAP), and images: another tenant's image by its
 * SHA-256 is answered as one the daemon does not hold, uploads count against storage, wait a
 * grace for their create and are then let go, and only so many run at once.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { sha256 } from "../../../src/host/image/image.ts";
import { DaemonClient } from "../../../src/host/orchestrator/api/client.ts";
import type { RemoteError } from "../../../src/host/orchestrator/api/errors.ts";
import { CHAIN_HEADER, chainHeader } from "../../../src/host/orchestrator/pki/peer-chain.ts";
import { tempDir } from "../../helpers.ts";
import { type RunningDaemon, helloHttpImage, sourceImage, startDaemon } from "./harness.ts";
import { type Ca, POLICY, type TenantFiles, makeCa, makeTenant, target } from "./pki.ts";

const T = { timeout: 90_000 };
let ca: Ca;
let acme: TenantFiles;
let globex: TenantFiles;
let hello: Uint8Array;
let reader: Uint8Array;
const clients: DaemonClient[] = [];

const rejectsWith = (promise: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(promise, (e: RemoteError) => {
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });

async function startTls(extra: string[] = []): Promise<{ daemon: RunningDaemon; url: string }> {
  const daemon = await startDaemon(undefined, ["--listen", "127.0.0.1:0", "--ca", ca.caPem, "--cert", ca.serverPem, "--key", ca.serverKey, ...extra]);
  const port = (await daemon.waitFor((e) => e.event === "tls-listening", "tls-listening")).port as number;
  return { daemon, url: `https://127.0.0.1:${port}` };
}

function remote(url: string, tenant: TenantFiles): DaemonClient {
  const client = new DaemonClient(target(url, ca, tenant));
  clients.push(client);
  return client;
}

before(async () => {
  ca = await makeCa();
  acme = await makeTenant(ca, "acme", { ...POLICY, storageMb: 8 });
  globex = await makeTenant(ca, "globex", { ...POLICY, storageMb: 8 });
  hello = await helloHttpImage();
  reader = await sourceImage(
    "reader",
    `import { unikernel, block, listener } from "tsuki";
export default unikernel({
  devices: { data: block(), web: listener({ optional: true }) },
  start({ data, console }) { console.log("read " + new TextDecoder().decode(data.read(0, data.sectorSize)).replace(/\\0+$/, "")); },
});`,
  );
});
after(() => {
  for (const c of clients) c.close();
});

describe("bindings a tenant may not make", () => {
  let daemon: RunningDaemon;
  let url: string;
  let secret: string;

  before(async () => {
    ({ daemon, url } = await startTls());
    await remote(url, globex).createBlock("secret.img", 1);
    secret = path.join(daemon.stateDir, "volumes", "globex+secret.img");
    const marker = Buffer.alloc(512);
    marker.write("globex's secret");
    writeFileSync(secret, Buffer.concat([marker, Buffer.alloc(2 ** 20 - 512)]));
  });
  after(async () => {
    assert.equal(await daemon.stop(), 0);
  });

  test("block bindings that would reach another tenant's volume, the daemon's files or a new file are refused; nothing is created or read", T, async () => {
    const client = remote(url, acme);
    const created = path.join(tempDir(), "created-by-a-tenant.img");
    const attempts = [
      ...["\n", "\r", "\u2028", "\u0000", "\t", " ", "\u200b"].map((c) => `data=file:${secret}?sector=512${c}`),
      `data=file:${secret}`,
      `data=file:${secret}\n`,
      `data=file:${path.join(daemon.stateDir, "state.db")}?sector=512\n`,
      `data=file:${created}?size=1M\r`,
      `data=file:${created}?size=1M`,
      "data=file:../globex+secret.img",
      "data=file:secret.img/../../globex+secret.img",
      "data=volume:globex/secret.img",
      "data=volume:../globex/secret.img",
      "data=file:%2e%2e%2fglobex+secret.img",
      "data=file:secret.img?sector=512&sector=4096",
      "data=file:secret.img?sector=0x200",
      "data=file:secret.img?owner=root",
    ];
    for (const binding of attempts) {
      await assert.rejects(client.create({ name: "thief", devices: [binding], memoryMb: 16 }, reader), (e: RemoteError) => {
        assert.ok(["ERR_POLICY_DENIED", "ERR_DEV_MALFORMED", "ERR_BLOCK_NOT_FOUND", "ERR_NAME_INVALID"].includes(e.code), `${JSON.stringify(binding)}: ${e.code} ${e.message}`);
        return true;
      }, JSON.stringify(binding));
    }
    assert.deepEqual(await client.listUnikernels(), []);
    assert.equal(existsSync(created), false, "no file was created outside the tenant's volumes");
    assert.ok(!daemon.child.stdoutText().includes("globex's secret"), "no unikernel read the secret");
    assert.equal(readFileSync(secret).subarray(0, 15).toString(), "globex's secret", "the volume is as it was");
  });

  test("options the policy has no word for are refused, each naming what to change", T, async () => {
    const client = remote(url, acme);
    await rejectsWith(client.create({ name: "a", devices: ["web=tcp://127.0.0.1:18120?max=1000000"] }, hello), "ERR_POLICY_BUDGET", /connections left and this create's listeners and connectors ask for 1000000/);
    await rejectsWith(client.create({ name: "a", devices: ["web=tcp://127.0.0.1:18120?max=5&max=6"] }, hello), "ERR_DEV_MALFORMED", /gives the option max twice/);
    await rejectsWith(client.create({ name: "a", devices: ["web=tcp://127.1:18120"] }, hello), "ERR_DEV_MALFORMED", /dotted-quad/);
    await rejectsWith(client.create({ name: "a", devices: ["web=tcp://127.0.0.1:18120"], cpuMs: 3_600_000 }, hello), "ERR_POLICY_DENIED", /--cpu-ms 3600000 is more than tenant "acme" may ask for/);
    await rejectsWith(client.create({ name: "a", devices: ["web=tls://127.0.0.1:18120?cert=/etc/ssl/private/k.pem&key=/etc/ssl/private/k.pem"] }, hello), "ERR_POLICY_DENIED", /tls: listener/);
    assert.deepEqual(await client.listUnikernels(), []);
    // Within the policy it works, and the cap written out is the fair share.
    const info = await client.create({ name: "a", devices: ["web=tcp://127.0.0.1:18120"] }, hello);
    assert.deepEqual(info.devices, ["web=tcp://127.0.0.1:18120?max=1024"]);
    await client.destroy("a");
  });
});

describe("images belong to the tenant that uploaded them", () => {
  let daemon: RunningDaemon;
  let url: string;

  before(async () => {
    ({ daemon, url } = await startTls(["--image-grace", "2s"]));
  });
  after(async () => {
    assert.equal(await daemon.stop(), 0);
  });

  test("another tenant's image is answered as one the daemon does not hold; a parent sees its sub-tenant's", T, async () => {
    const sha = sha256(hello);
    const a = remote(url, acme);
    await a.create({ name: "web", devices: ["web=tcp://127.0.0.1:18121"] }, hello);
    const g = remote(url, globex);
    const head = (client: DaemonClient, image: string) => client.call("HEAD", `/v1/images/${image}`).then(() => 200, (e: RemoteError) => e.code);
    assert.equal(await head(a, sha), 200);
    assert.notEqual(await head(g, sha), 200);
    const other = "ab".repeat(32);
    const theirs = await g.call("POST", "/v1/unikernels", { name: "x", image: sha, devices: ["web=tcp://127.0.0.1:18122"] }).catch((e: RemoteError) => e);
    const missing = await g.call("POST", "/v1/unikernels", { name: "x", image: other, devices: ["web=tcp://127.0.0.1:18122"] }).catch((e: RemoteError) => e);
    assert.equal((theirs as RemoteError).code, "ERR_IMAGE_NOT_FOUND");
    assert.equal((theirs as RemoteError).message.replace(sha, "SHA"), (missing as RemoteError).message.replace(other, "SHA"), "the same words either way");
    // Uploading it makes it theirs too, and counts against their storage.
    await g.create({ name: "x", devices: ["web=tcp://127.0.0.1:18122"] }, hello);
    const budgets = (await g.call<{ budgets: { used: { storageMb: number } }[] }>("GET", "/v1/daemon")).budgets;
    assert.equal(budgets[0]!.used.storageMb, Math.ceil(hello.length / 2 ** 20));
    // A sub-tenant's upload is visible to its parent, not the other way round.
    const sub = await makeTenant(acme, "sub", { ...POLICY, storageMb: 4 });
    const s = remote(url, sub);
    const subImage = await sourceImage("sub-only", `import { unikernel } from "tsuki";\nexport default unikernel({ devices: {}, async start() { await new Promise((r) => setTimeout(r, 60_000)); } });\n`);
    await s.uploadImage(subImage);
    assert.equal(await head(a, sha256(subImage)), 200);
    assert.notEqual(await head(s, sha), 200);
    await a.destroy("web");
    await g.destroy("x");
  });

  test("uploads count against storage: past it they are refused, before the body is read", T, async () => {
    const poor = remote(url, await makeTenant(ca, "poor", { ...POLICY, storageMb: 0 }));
    await rejectsWith(poor.uploadImage(hello), "ERR_POLICY_BUDGET", /has 0M of its 0M block storage left and this image asks for 1M/);
    await rejectsWith(poor.create({ name: "p", devices: ["web=tcp://127.0.0.1:18123"] }, hello), "ERR_POLICY_BUDGET");
  });

  test("an upload no unikernel runs is let go after the grace, and its file with it", T, async () => {
    const lonely = await sourceImage("lonely", `import { unikernel } from "tsuki";\nexport default unikernel({ devices: {}, start() {} });\n`);
    const sha = sha256(lonely);
    const g = remote(url, globex);
    await g.uploadImage(lonely);
    assert.ok(readdirSync(path.join(daemon.stateDir, "images")).includes(`${sha}.tsuki`));
    await daemon.waitFor((e) => e.event === "images-collected" && (e.images as string[]).includes(sha), "the upload collected");
    assert.ok(!readdirSync(path.join(daemon.stateDir, "images")).includes(`${sha}.tsuki`));
    await assert.rejects(g.call("HEAD", `/v1/images/${sha}`));
  });
});

describe("uploads under way at once", () => {
  let daemon: RunningDaemon;
  let url: string;

  before(async () => {
    ({ daemon, url } = await startTls(["--max-uploads", "1"]));
  });
  after(async () => {
    assert.equal(await daemon.stop(), 0);
  });

  test("past --max-uploads a second is refused with 429 ERR_UPLOADS_BUSY, and the client asks again until the first completes", T, async () => {
    const sha = sha256(hello);
    // The first upload sends half its body and waits.
    const held = request(`${url}/v1/images/${sha}`, {
      method: "PUT",
      ca: readFileSync(ca.caPem),
      cert: readFileSync(acme.clientPem),
      key: readFileSync(acme.clientKey),
      headers: { "content-length": hello.length, "content-type": "application/octet-stream", [CHAIN_HEADER]: chainHeader([new Uint8Array(0), ...acme.chain.map((c) => new Uint8Array(c.rawData))]) },
    });
    const answered = new Promise<number>((resolve, reject) => {
      held.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      held.on("error", reject);
    });
    held.write(hello.subarray(0, hello.length >> 1));
    while (!readdirSync(path.join(daemon.stateDir, "images")).some((f) => f.startsWith(".upload-"))) await new Promise((r) => setTimeout(r, 20));
    const g = remote(url, globex);
    await rejectsWith(g.call("PUT", `/v1/images/${sha}`, hello), "ERR_UPLOADS_BUSY", /takes 1 image uploads at once/);
    // The tsuki client waits its turn: it asks again until the first upload is done.
    const waiting = g.uploadImage(hello);
    await new Promise((r) => setTimeout(r, 300));
    held.end(hello.subarray(hello.length >> 1));
    assert.equal(await answered, 201);
    assert.equal(await waiting, sha);
  });
});
