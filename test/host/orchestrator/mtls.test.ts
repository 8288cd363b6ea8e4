/**
 * tsukid's remote API over mutually authenticated TLS 1.3: a real daemon (`tsuki daemon --listen
 * … --ca … --cert … --key …`) and tenants whose client certificates carry their policies. A
 * tenant deploys hello-http and fetches its answer; every refusal is tested: a certificate from
 * another CA, an expired one, a sub-policy larger than its parent, a create past the tenant's
 * budget and past its parent's (two sub-tenants together), a port outside the range, a tenant
 * naming another tenant's unikernel, and two creates of one name at once. `openssl s_client` is
 * the peer we did not write: TLS 1.3 negotiated, and no certificate, no connection.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { DaemonClient, REMOTE_SOCKETS } from "../../../src/host/orchestrator/api/client.ts";
import type { RemoteError } from "../../../src/host/orchestrator/api/errors.ts";
import { tempDir } from "../../helpers.ts";
import { tsuki } from "../../cli/spawn.ts";
import { type RunningDaemon, fetchText, helloHttpImage, startDaemon } from "./harness.ts";
import { type Ca, POLICY, type TenantFiles, makeCa, makeTenant, target } from "./pki.ts";

const T = { timeout: 60_000 };
let daemon: RunningDaemon;
let hello: Uint8Array;
let helloPath: string;
let ca: Ca;
let url: string;
let metricsUrl: string;
let acme: TenantFiles;
let globex: TenantFiles;
let nextPort = 18100 + Math.floor(Math.random() * 50);

const port = () => nextPort++;
const remote = (tenant: TenantFiles) => new DaemonClient(target(url, ca, tenant));
const rejectsWith = (promise: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(promise, (e: RemoteError) => {
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });

before(async () => {
  hello = await helloHttpImage();
  helloPath = path.join(tempDir(), "hello-http.tsuki");
  writeFileSync(helloPath, hello);
  ca = await makeCa();
  acme = await makeTenant(ca, "acme", POLICY);
  globex = await makeTenant(ca, "globex", POLICY);
  daemon = await startDaemon(undefined, ["--listen", "127.0.0.1:0", "--ca", ca.caPem, "--cert", ca.serverPem, "--key", ca.serverKey, "--metrics", "127.0.0.1:0"]);
  metricsUrl = (await daemon.waitFor((e) => e.event === "metrics-ready", "metrics-ready")).url as string;
  const listening = await daemon.waitFor((e) => e.event === "tls-listening", "tls-listening");
  url = `https://127.0.0.1:${listening.port as number}`;
});
after(async () => {
  assert.equal(await daemon.stop(), 0);
});

describe("tsukid over mutual TLS", () => {
  test("a tenant creates hello-http through tsuki create --remote; it answers, and the host sees it under the tenant's path", T, async () => {
    const p = port();
    const r = await tsuki(["create", "web", helloPath, "--dev", `web=tcp://127.0.0.1:${p}`, "--remote", url, "--cert", acme.clientPem, "--key", acme.clientKey, "--ca", ca.caPem, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.name, "web");
    assert.equal(info.state, "running");
    assert.equal(await fetchText(info.addresses.web), "hello\n");
    // The administrator, on the socket, sees the full name.
    assert.deepEqual((await daemon.client.listUnikernels()).map((u) => u.name), ["acme/web"]);
    assert.ok(daemon.events().some((e) => e.event === "tls-accepted" && e.tenant === "acme"));
    // Its Prometheus series carry the tenant's path as a label.
    const metrics = await (await fetch(metricsUrl)).text();
    assert.match(metrics, /^tsuki_unikernel_up\{name="acme\/web",tenant="acme"\} 1$/m);
    // Every operator command works remotely too.
    // The children inherit our environment: the remote through $TSUKI_REMOTE, $TSUKI_CERT, $TSUKI_KEY, $TSUKI_CA.
    const env = { TSUKI_REMOTE: url, TSUKI_CERT: acme.clientPem, TSUKI_KEY: acme.clientKey, TSUKI_CA: ca.caPem };
    Object.assign(process.env, env);
    try {
      for (const args of [["list"], ["info", "web"], ["stats", "web"], ["console", "web"], ["restart", "web"]]) {
        const ran = await tsuki(args);
        assert.equal(ran.code, 0, `${args.join(" ")}: ${ran.stderr}`);
      }
      assert.match((await tsuki(["list"])).stdout, /^web +running/m);
      assert.match((await tsuki(["console", "web"])).stdout, /listening on http:\/\/127\.0\.0\.1:/);
      assert.match((await tsuki(["info", "web"])).stdout, /name: +web$/m);
    } finally {
      for (const key of Object.keys(env)) delete process.env[key];
    }
  });

  test("a tenant sees only its own subtree: another tenant's unikernel is 404 ERR_NOT_FOUND, worded as one that does not exist", T, async () => {
    const other = remote(globex);
    assert.deepEqual(await other.listUnikernels(), []);
    for (const name of ["web", "acme/web"]) {
      await rejectsWith(other.info(name), "ERR_NOT_FOUND", new RegExp(`^no unikernel named "${name}" here`));
      await rejectsWith(other.destroy(name), "ERR_NOT_FOUND");
      await rejectsWith(other.restart(name), "ERR_NOT_FOUND");
      await rejectsWith(other.stats(name), "ERR_NOT_FOUND");
      await rejectsWith(other.console(name, {}, () => undefined), "ERR_NOT_FOUND");
    }
    const missing = await other.info("nothing").catch((e: RemoteError) => e.message);
    assert.equal(missing, 'no unikernel named "nothing" here: "tsuki list" shows yours');
    // Names cannot climb out: ".." is not a name.
    await rejectsWith(other.info("../acme/web"), "ERR_NAME_INVALID");
    assert.equal((await daemon.client.info("acme/web")).state, "running");
  });

  test("a port outside the tenant's range, an address it may not bind and a target it may not use are ERR_POLICY_DENIED", T, async () => {
    const client = remote(globex);
    await rejectsWith(client.create({ name: "a", devices: ["web=tcp://127.0.0.1:9999"] }, hello), "ERR_POLICY_DENIED", /port 9999 is outside the ports of tenant "globex" \(18100-18199\)/);
    await rejectsWith(client.create({ name: "b", devices: ["web=tcp://0.0.0.0:18150"] }, hello), "ERR_POLICY_DENIED", /listening on 0\.0\.0\.0 is not allowed/);
    await rejectsWith(client.create({ name: "c", devices: ["web=tcp://127.0.0.1:0"] }, hello), "ERR_POLICY_DENIED", /port 0/);
    await rejectsWith(client.create({ name: "d", devices: [`web=tcp://127.0.0.1:${port()}`], target: "process" }, hello), "ERR_POLICY_DENIED", /target process is not allowed/);
    await rejectsWith(client.create({ name: "sub/e", devices: [`web=tcp://127.0.0.1:${port()}`] }, hello), "ERR_POLICY_DENIED", /under its own path only/);
    assert.deepEqual(await client.listUnikernels(), []);
  });

  test("a create past the tenant's budget is ERR_POLICY_BUDGET (unikernels, memory), and what was created stays", T, async () => {
    const small = await makeTenant(ca, "small", { ...POLICY, unikernels: 2, memoryMb: 96 });
    const client = remote(small);
    await client.create({ name: "one", devices: [`web=tcp://127.0.0.1:${port()}`], memoryMb: 32 }, hello);
    await rejectsWith(client.create({ name: "big", devices: [`web=tcp://127.0.0.1:${port()}`], memoryMb: 128 }, hello), "ERR_POLICY_BUDGET", /tenant "small" has 64M of its 96M memory left and this create asks for 128M/);
    await client.create({ name: "two", devices: [`web=tcp://127.0.0.1:${port()}`], memoryMb: 32 }, hello);
    await rejectsWith(client.create({ name: "three", devices: [`web=tcp://127.0.0.1:${port()}`], memoryMb: 16 }, hello), "ERR_POLICY_BUDGET", /tenant "small" may run 2 unikernels and runs 2 already/);
    assert.deepEqual((await client.listUnikernels()).map((u) => u.name).sort(), ["one", "two"]);
    // Destroying one frees its slot.
    await client.destroy("two");
    await client.create({ name: "three", devices: [`web=tcp://127.0.0.1:${port()}`], memoryMb: 16 }, hello);
  });

  test("usage is accounted across the subtree: two sub-tenants that each fit, together exceed their parent", T, async () => {
    const parent = await makeTenant(ca, "parent", { ...POLICY, unikernels: 3 });
    const left = await makeTenant(parent, "left", { ...POLICY, unikernels: 2 });
    const right = await makeTenant(parent, "right", { ...POLICY, unikernels: 2 });
    const small = { memoryMb: 32 };
    await remote(left).create({ name: "a", devices: [`web=tcp://127.0.0.1:${port()}`], ...small }, hello);
    await remote(left).create({ name: "b", devices: [`web=tcp://127.0.0.1:${port()}`], ...small }, hello);
    await remote(right).create({ name: "a", devices: [`web=tcp://127.0.0.1:${port()}`], ...small }, hello);
    await rejectsWith(remote(right).create({ name: "b", devices: [`web=tcp://127.0.0.1:${port()}`], ...small }, hello), "ERR_POLICY_BUDGET", /tenant "parent" \(which "parent\/right" is under\) may run 3 unikernels and runs 3 already/);
    // The parent sees its sub-tenants' unikernels by their relative names.
    assert.deepEqual((await remote(parent).listUnikernels()).map((u) => u.name).sort(), ["left/a", "left/b", "right/a"]);
    assert.deepEqual((await remote(right).listUnikernels()).map((u) => u.name), ["a"]);
    const budget = await remote(right).call<{ tenant: string; budgets: { tenant: string; used: { unikernels: number } }[] }>("GET", "/v1/daemon");
    assert.equal(budget.tenant, "parent/right");
    assert.deepEqual(budget.budgets.map((b) => [b.tenant, b.used.unikernels]), [["parent", 3], ["parent/right", 1]]);
  });

  test("a sub-tenant whose policy exceeds its parent's is refused with ERR_POLICY_EXCEEDS_PARENT, naming each excess", T, async () => {
    const parent = await makeTenant(ca, "strict", { ...POLICY, unikernels: 2, ports: [{ first: 18100, last: 18109 }] });
    const greedy = await makeTenant(parent, "greedy", { ...POLICY, unikernels: 5, ports: [{ first: 18100, last: 18199 }] });
    await rejectsWith(remote(greedy).listUnikernels(), "ERR_POLICY_EXCEEDS_PARENT", /the policy of "strict\/greedy" exceeds its parent "strict": unikernels 5 > 2; ports 18100-18199 not inside 18100-18109/);
    const r = await tsuki(["list", "--remote", url, "--cert", greedy.clientPem, "--key", greedy.clientKey, "--ca", ca.caPem]);
    assert.equal(r.code, 77);
    assert.match(r.stderr, /^tsuki: error ERR_POLICY_EXCEEDS_PARENT: the policy of "strict\/greedy" exceeds its parent/m);
    assert.ok(daemon.events().some((e) => e.event === "tls-refused" && e.code === "ERR_POLICY_EXCEEDS_PARENT"));
  });

  test("a certificate from another CA is refused in the handshake: ERR_TLS_CERT_UNTRUSTED for the client, tls-refused in the log", T, async () => {
    const other = await makeCa("another CA");
    const stranger = await makeTenant(other, "acme", POLICY);
    const r = await tsuki(["list", "--remote", url, "--cert", stranger.clientPem, "--key", stranger.clientKey, "--ca", ca.caPem]);
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /^tsuki: error ERR_TLS_CERT_UNTRUSTED: the daemon refused our certificate: "acme" in --cert is not issued by the CA the daemon trusts \("tsuki test CA" in --ca\)/m);
    await daemon.waitFor((e) => e.event === "tls-refused" && /not issued by the CA|does not trust/.test(String(e.reason)), "tls-refused for another CA");
  });

  test("an expired client certificate is refused in the handshake: ERR_TLS_CERT_EXPIRED, and CERT_HAS_EXPIRED in the log", T, async () => {
    const expired = await makeTenant(ca, "late", POLICY, { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    await rejectsWith(remote(expired).listUnikernels(), "ERR_TLS_CERT_EXPIRED", /"late-client" in --cert is valid from .* to .*, not now: have a new one issued/);
    await daemon.waitFor((e) => e.event === "tls-refused" && e.code === "CERT_HAS_EXPIRED", "tls-refused CERT_HAS_EXPIRED");
  });

  test("a daemon certificate our --ca did not issue is ERR_TLS_SERVER_UNTRUSTED", T, async () => {
    const other = await makeCa("another CA");
    await rejectsWith(new DaemonClient({ ...target(url, ca, acme), ca: String(other.cert.toString("pem")) }).listUnikernels(), "ERR_TLS_SERVER_UNTRUSTED");
  });

  test("two creates of one name at once over mutual TLS: exactly one wins, the other is ERR_NAME_TAKEN", T, async () => {
    const client = remote(globex);
    const results = await Promise.allSettled([
      client.create({ name: "twin", devices: [`web=tcp://127.0.0.1:${port()}`] }, hello),
      client.create({ name: "twin", devices: [`web=tcp://127.0.0.1:${port()}`] }, hello),
    ]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, JSON.stringify(results.map((r) => (r.status === "rejected" ? (r.reason as Error).message : "ok"))));
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.equal((lost.reason as RemoteError).code, "ERR_NAME_TAKEN");
    assert.deepEqual((await client.listUnikernels()).map((u) => u.name), ["twin"]);
  });

  test("a client's requests share kept-alive connections (one handshake and one chain check for many requests); close() ends them", T, async () => {
    const accepted = () => daemon.events().filter((e) => e.event === "tls-accepted" && e.tenant === "globex").length;
    // The event log reaches us through a pipe, the answers through TCP: let it catch up before counting.
    const settled = async (atLeast: number) => {
      await daemon.waitFor(() => accepted() >= atLeast, `${atLeast} tls-accepted events`);
      await new Promise((r) => setTimeout(r, 300));
      return accepted();
    };
    const before = await settled(0);
    const client = remote(globex);
    for (let i = 0; i < 20; i++) await client.listUnikernels();
    await Promise.all(Array.from({ length: 8 }, () => client.listUnikernels()));
    const used = (await settled(before + 1)) - before;
    assert.ok(used <= REMOTE_SOCKETS.max, `${used} connections for 28 requests`);
    client.close();
    await client.listUnikernels();
    assert.equal((await settled(before + used + 1)) - before, used + 1, "a request after close() opens a new connection");
    client.close();
  });

  test("openssl s_client: TLS 1.3 is negotiated with a tenant's certificate; without one the daemon refuses; TLS 1.2 is refused", T, () => {
    const { port: p } = new URL(url);
    const s = (extra: string[]) => spawnSync("openssl", ["s_client", "-connect", `127.0.0.1:${p}`, "-CAfile", ca.caPem, "-verify_return_error", "-ign_eof", ...extra], { input: "GET /v1/unikernels HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", encoding: "utf8", timeout: 20_000 });
    const ok = s(["-cert", acme.clientPem, "-key", acme.clientKey, "-cert_chain", acme.clientPem]);
    assert.match(ok.stdout, /Protocol *: TLSv1\.3|New, TLSv1\.3/);
    assert.match(ok.stdout, /Verify return code: 0 \(ok\)/);
    // Without the tsuki-chain header the daemon cannot see the tenant certificates: a clear 403.
    assert.match(ok.stdout, /HTTP\/1\.1 403[\s\S]*ERR_CERT_INVALID[\s\S]*tsuki-chain/);
    const none = s([]);
    assert.doesNotMatch(none.stdout, /HTTP\/1\.1/);
    assert.match(none.stdout + none.stderr, /certificate required|alert/i);
    const old = s(["-tls1_2", "-cert", acme.clientPem, "-key", acme.clientKey]);
    assert.doesNotMatch(old.stdout, /HTTP\/1\.1/);
    assert.match(old.stdout + old.stderr, /protocol version|alert|no protocols/i);
  });
});
