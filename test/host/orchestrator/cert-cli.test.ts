/**
 * The certificate tooling end to end, through the real `tsuki` commands: `tsuki ca create`,
 * `tsuki cert issue` for a tenant and a sub-tenant (refused when it asks for more than its
 * parent), `tsuki cert show`, then a daemon started with those files; the sub-tenant deploys
 * hello-http with `tsuki create --remote`, and curl — a peer we did not write — talks to the API
 * over mutual TLS with the tenant's files and fetches the unikernel's answer.
 *
 * Each test stands alone: what it needs from an earlier step (the CA, the tenants' files) is made
 * once, by whichever test asks first, so any one of them can run by itself (--test-name-pattern).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../../helpers.ts";
import { tsuki } from "../../cli/spawn.ts";
import { type RunningDaemon, helloHttpImage, startDaemon } from "./harness.ts";

const T = { timeout: 60_000 };
const dir = tempDir("tsuki-cert-cli-");
const at = (...p: string[]) => path.join(dir, ...p);
let daemon: RunningDaemon | undefined;
let helloPath: string;

before(async () => {
  helloPath = at("hello-http.tsuki");
  writeFileSync(helloPath, await helloHttpImage());
});
after(async () => {
  if (daemon) assert.equal(await daemon.stop(), 0);
});

/** Runs `make` once, for whichever test asks first. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

const caCreated = once(() => tsuki(["ca", "create", "--out", at("ca"), "--host", "127.0.0.1", "--host", "localhost"]));

const tenantsIssued = once(async () => {
  assert.equal((await caCreated()).code, 0);
  writeFileSync(at("acme.yaml"), "unikernels: 3\nmemory: 256M\nstorage: 64M\nports: [18200-18299]\n");
  const acme = await tsuki(["cert", "issue", "--ca-dir", at("ca"), "--name", "acme", "--policy", at("acme.yaml"), "--out", at("acme")]);
  const web = await tsuki(["cert", "issue", "--parent", at("acme"), "--name", "web", "--max-unikernels", "2", "--memory", "128M", "--ports", "18250-18259", "--out", at("web")]);
  return { acme, web };
});

/** A port of web's policy (18250–18259) that nothing on this host listens on now. */
async function freePortOfWeb(): Promise<number> {
  for (let port = 18250; port <= 18259; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer().once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("every port of 18250-18259 is taken on this host");
}

describe("tsuki ca and tsuki cert", () => {
  test("tsuki ca create writes the CA and the daemon's certificate, keys 0600, and never overwrites", T, async () => {
    const r = await caCreated();
    assert.equal(r.code, 0, r.stderr);
    for (const f of ["ca.pem", "ca.key", "server.pem", "server.key"]) assert.match(r.stdout, new RegExp(`wrote .*${f.replace(".", "\\.")}`));
    assert.equal(statSync(at("ca", "ca.key")).mode & 0o777, 0o600);
    const again = await tsuki(["ca", "create", "--out", at("ca")]);
    assert.equal(again.code, 78);
    assert.match(again.stderr, /^tsuki: error ERR_CERT_FILE: .*ca\.key exists already; tsuki never overwrites/m);
  });

  test("tsuki cert issue makes a tenant and a sub-tenant; one asking for more than its parent is ERR_POLICY_EXCEEDS_PARENT", T, async () => {
    const { acme, web } = await tenantsIssued();
    assert.equal(acme.code, 0, acme.stderr);
    assert.match(acme.stdout, /tenant acme: 3 unikernels, 256M memory, 64M storage, targets isolate, addresses 127\.0\.0\.1, ports 18200-18299/);
    assert.equal(web.code, 0, web.stderr);
    assert.match(web.stdout, /tenant acme\/web: 2 unikernels, 128M memory, 64M storage/);
    const greedy = await tsuki(["cert", "issue", "--parent", at("acme"), "--name", "greedy", "--memory", "1G", "--out", at("greedy")]);
    assert.equal(greedy.code, 77);
    assert.match(greedy.stderr, /^tsuki: error ERR_POLICY_EXCEEDS_PARENT: the policy of "greedy" exceeds its parent "acme": memory 1024M > 256M; ask for less/m);
    const missing = await tsuki(["cert", "issue", "--ca-dir", at("ca"), "--name", "x", "--out", at("x")]);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /ERR_POLICY_INVALID: the policy needs the number of unikernels: give --max-unikernels N/);
  });

  test("tsuki cert show prints the chain, the tenant path, validity and each policy", T, async () => {
    await tenantsIssued();
    const r = await tsuki(["cert", "show", at("web", "client.pem")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /client\.pem: 3 certificates, tenant path acme\/web/);
    assert.match(r.stdout, /\[1\] tenant "web", issued by "acme"\n +valid .* \(valid now\)\n +policy: 2 unikernels, 128M memory/);
    const json = JSON.parse((await tsuki(["cert", "show", at("acme", "tenant.pem"), "--json"])).stdout);
    assert.equal(json.tenant, "acme");
    assert.equal(json.certificates[0].policy.unikernels, 3);
  });

  test("the daemon runs with those files; the sub-tenant deploys with tsuki create --remote; curl speaks to both over TLS", T, async () => {
    await tenantsIssued();
    daemon = await startDaemon(undefined, ["--listen", "127.0.0.1:0", "--ca", at("ca", "ca.pem"), "--cert", at("ca", "server.pem"), "--key", at("ca", "server.key")]);
    const port = (await daemon.waitFor((e) => e.event === "tls-listening")).port as number;
    const url = `https://127.0.0.1:${port}`;
    const as = ["--remote", url, "--cert", at("web", "client.pem"), "--key", at("web", "client.key"), "--ca", at("web", "ca.pem")];
    const listen = await freePortOfWeb();
    const created = await tsuki(["create", "hello", helloPath, "--dev", `web=tcp://127.0.0.1:${listen}`, "--mem", "32M", "--json", ...as]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).name, "hello");
    // curl: the unikernel's answer, and the API as the tenant (its chain in the tsuki-chain header).
    const answer = spawnSync("curl", ["-sS", `http://127.0.0.1:${listen}/`], { encoding: "utf8" });
    assert.equal(answer.stdout, "hello\n", answer.stderr);
    const pems = readFileSync(at("web", "client.pem"), "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    const chain = pems.slice(1).map((p) => p.replace(/-----[A-Z ]+-----|\s/g, "")).join(",");
    const curl = (extra: string[]) => spawnSync("curl", ["-sS", "--tlsv1.3", "--cacert", at("ca", "ca.pem"), ...extra, `${url}/v1/unikernels`], { encoding: "utf8" });
    const listed = curl(["--cert", at("web", "client.pem"), "--key", at("web", "client.key"), "-H", `tsuki-chain: ${chain}`]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).unikernels.map((u: { name: string }) => u.name), ["hello"]);
    // Without a client certificate, curl gets no answer at all.
    const anonymous = curl([]);
    assert.notEqual(anonymous.status, 0);
    assert.equal(anonymous.stdout, "");
    // The parent sees it under its sub-tenant's name; the administrator under the full path.
    const parent = await tsuki(["list", "--json", "--remote", url, "--cert", at("acme", "client.pem"), "--key", at("acme", "client.key"), "--ca", at("acme", "ca.pem")]);
    assert.deepEqual(JSON.parse(parent.stdout).map((u: { name: string }) => u.name), ["web/hello"]);
    assert.deepEqual((await daemon.client.listUnikernels()).map((u) => u.name), ["acme/web/hello"]);
  });
});
