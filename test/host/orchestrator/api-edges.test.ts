/**
 * The edges of tsukid's API that a client can push on, against the real daemon: a malformed
 * percent-encoding in the path and a body nested too deep are 400s (not 500s), an error that
 * would quote a huge upload is short, a manifest nested too deep is the client's error too, a connection that does not authenticate in time is closed
 * and logged with its peer's address, a tenant's connections (its sub-tenants' with them) are
 * capped with an answer that says so, and an idle tenant connection lives as long as
 * --idle-timeout says.
 */

import assert from "node:assert/strict";
import { request } from "node:http";
import { connect as tcpConnect } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { sha256 } from "../../../src/host/image/image.ts";
import { writeTar } from "../../../src/host/image/tar.ts";
import { MANIFEST_PATH } from "../../../src/abi/manifest.ts";
import { DaemonClient } from "../../../src/host/orchestrator/api/client.ts";
import type { RemoteError } from "../../../src/host/orchestrator/api/errors.ts";
import { craftImage } from "../../helpers.ts";
import { tsuki } from "../../cli/spawn.ts";
import { type RunningDaemon, helloHttpImage, startDaemon } from "./harness.ts";
import { type Ca, POLICY, type TenantFiles, makeCa, makeTenant, target } from "./pki.ts";

const T = { timeout: 60_000 };
let daemon: RunningDaemon;
let hello: Uint8Array;
let ca: Ca;
let acme: TenantFiles;
let acmeWeb: TenantFiles;
let globex: TenantFiles;
let url: string;
let port: number;

interface Answer {
  status: number;
  length: number;
  body: { error?: { code: string; message: string; problems: { code: string; message: string }[] } };
}

/** A raw request on the Unix socket: status, body size and parsed body. */
function raw(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string | number> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: daemon.socket, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode!, length: Buffer.byteLength(text), body: text ? JSON.parse(text) : {} });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const remote = (tenant: TenantFiles) => new DaemonClient(target(url, ca, tenant));
const code = (c: string, message?: RegExp) => (e: RemoteError) => {
  assert.equal(e.code, c, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

/** Resolves with the milliseconds until `socket` closes, or rejects after `ms`. */
function closesWithin(socket: { once(event: "close", f: () => void): unknown }, ms: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
  });
}

/** A TLS connection as `tenant`, once its handshake is done. */
function tenantConnection(tenant: TenantFiles): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(ca.caPem), cert: readFileSync(tenant.clientPem), key: readFileSync(tenant.clientKey), servername: "localhost", minVersion: "TLSv1.3" }, () => resolve(socket));
    socket.once("error", reject);
  });
}

before(async () => {
  hello = await helloHttpImage();
  ca = await makeCa();
  acme = await makeTenant(ca, "acme", POLICY);
  acmeWeb = await makeTenant(acme, "web", POLICY);
  globex = await makeTenant(ca, "globex", POLICY);
  daemon = await startDaemon(undefined, [
    ...["--max-image", "1M", "--listen", "127.0.0.1:0", "--ca", ca.caPem, "--cert", ca.serverPem, "--key", ca.serverKey],
    ...["--handshake-timeout", "2s", "--max-tenant-connections", "2", "--idle-timeout", "20s"],
  ]);
  port = (await daemon.waitFor((e) => e.event === "tls-listening")).port as number;
  url = `https://127.0.0.1:${port}`;
});
after(async () => {
  assert.equal(await daemon.stop(), 0);
});

describe("requests that cannot be read are 400s, and every error is short", () => {
  test("a malformed percent-encoding in the path is 400 ERR_REQUEST_MALFORMED naming the segment, on the socket and over TLS", T, async () => {
    for (const path of ["/v1/unikernels/web%zz", "/v1/unikernels/web%E0%A4%A/stats", "/v1/blocks/%"]) {
      const r = await raw("GET", path);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error?.code, "ERR_REQUEST_MALFORMED");
      assert.match(r.body.error!.message, /^the path segment ".*%.*" is not valid percent-encoding .*write "%" itself as %25/);
    }
    assert.match((await raw("GET", "/v1/unikernels/web%zz")).body.error!.message, /"web%zz"/);
    const client = remote(globex);
    await assert.rejects(client.call("GET", "/v1/unikernels/%zz"), code("ERR_REQUEST_MALFORMED", /"%zz"/));
    client.close();
  });

  test("a create body nested deeper than 32 levels is 400 ERR_REQUEST_MALFORMED, checked before anything recursive reads it; 32 are fine", T, async () => {
    const sha = await daemon.client.uploadImage(hello);
    const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
    const create = (args: string) => raw("POST", "/v1/unikernels", `{"name":"deep","image":"${sha}","devices":["web=tcp://127.0.0.1:0"],"args":{"a":${args}}}`, { "content-type": "application/json" });
    const r = await create(deep(100_000));
    assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.body.error?.code, "ERR_REQUEST_MALFORMED");
    assert.match(r.body.error!.message, /^the request body nests objects and arrays 33 or more levels deep \(at args\.a\[0\]\[0\]/);
    // Anywhere in the body, not only args; and in a block volume's create.
    const other = await raw("POST", "/v1/blocks", `{"name":${deep(40)}}`, { "content-type": "application/json" });
    assert.equal(other.status, 400);
    assert.match(other.body.error!.message, /33 or more levels deep \(at name/);
    // The body itself, args, and 30 levels in it: 32.
    const ok = await create(deep(30));
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    await daemon.client.destroy("deep");
  });

  test("an upload whose error would quote a huge manifest gets a short error body: the message cut, the problems counted", T, async () => {
    const keys: Record<string, number> = { [`k${"x".repeat(600_000)}`]: 1 };
    for (let i = 0; i < 3000; i++) keys[`unknown-key-${i}`] = i;
    const image = craftImage("export default {}", keys as never);
    const r = await raw("PUT", `/v1/images/${sha256(image)}`, image, { "content-type": "application/octet-stream" });
    assert.equal(r.status, 422, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.body.error?.code, "ERR_IMAGE_MANIFEST");
    assert.ok(r.length < 12 * 1024, `an error body of ${r.length} bytes`);
    assert.match(r.body.error!.message, /^the image's manifest\.json is invalid: manifest\.kxxx.*… \(\d+ more characters\)$/);
    assert.equal(r.body.error!.problems.length, 16);
    assert.match(r.body.error!.problems.at(-1)!.message, /^… and 2986 more problems \(only the first 15 are listed\)$/);
    assert.equal((await daemon.client.call<{ pid: number }>("GET", "/v1/daemon")).pid, daemon.child.pid);
  });

  test("an upload whose manifest nests a value deeper than the stack is 422 ERR_IMAGE_MANIFEST naming the key, not a 500", T, async () => {
    const image = writeTar([{ path: MANIFEST_PATH, data: Buffer.from(`{"format":${"[".repeat(200_000)}${"]".repeat(200_000)}}`) }]);
    const r = await raw("PUT", `/v1/images/${sha256(image)}`, image, { "content-type": "application/octet-stream" });
    assert.equal(r.status, 422, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.body.error?.code, "ERR_IMAGE_MANIFEST");
    assert.match(r.body.error!.message, /manifest\.format must be "[^"]+", found an array nested too deeply to show/);
  });
});

describe("connections to the remote API", () => {
  test("a connection that does not authenticate in time is closed, TCP idle or TLS without a request; the event names its peer", T, async () => {
    const idle = tcpConnect(port, "127.0.0.1");
    idle.on("error", () => undefined);
    const took = await closesWithin(idle, 20_000);
    assert.ok(took >= 1500, `closed after ${took} ms, before the 2 s deadline`);
    const quiet = await tenantConnection(acme);
    await closesWithin(quiet, 20_000);
    const timeouts = daemon.events().filter((e) => e.event === "tls-refused" && e.code === "ERR_TLS_HANDSHAKE_TIMEOUT");
    assert.equal(timeouts.length, 2, JSON.stringify(timeouts));
    for (const e of timeouts) assert.equal(e.peer, "127.0.0.1");
    // A peer that hangs up in the handshake is logged with the address it had, not null.
    const gone = tcpConnect(port, "127.0.0.1", () => gone.destroy());
    await daemon.waitFor((e) => e.event === "tls-refused" && e.code === "ECONNRESET", "tls-refused for a hang-up");
    assert.ok(daemon.events().filter((e) => e.event === "tls-refused").every((e) => e.peer === "127.0.0.1"));
  });

  test("a tenant's connections are capped together with its sub-tenants': past the cap a 429 ERR_CONNECTION_LIMIT says which cap; others are served", T, async () => {
    const held = [remote(acme), remote(acme)];
    // Each keeps its connection alive after its request: two of acme's.
    for (const client of held) await client.listUnikernels();
    const tooMany = /tenant "acme" and its sub-tenants hold 2 connections to this daemon already, the most they may \(tsuki daemon --max-tenant-connections\)/;
    const third = remote(acme);
    await assert.rejects(third.listUnikernels(), code("ERR_CONNECTION_LIMIT", tooMany));
    const sub = remote(acmeWeb);
    await assert.rejects(sub.listUnikernels(), code("ERR_CONNECTION_LIMIT", tooMany));
    sub.close();
    const cli = await tsuki(["list", "--remote", url, "--cert", acme.clientPem, "--key", acme.clientKey, "--ca", ca.caPem]);
    assert.equal(cli.code, 75, cli.stderr);
    assert.match(cli.stderr, /^tsuki: error ERR_CONNECTION_LIMIT: tenant "acme"/m);
    const other = remote(globex);
    assert.deepEqual(await other.listUnikernels(), []);
    other.close();
    assert.ok(daemon.events().some((e) => e.event === "tls-refused" && e.limit === "tenant" && e.tenant === "acme/web" && e.peer === "127.0.0.1"));
    // One let go: acme is served again.
    held[0]!.close();
    let answer: unknown;
    for (let i = 0; i < 50 && answer === undefined; i++) {
      answer = await third.listUnikernels().catch(() => new Promise((r) => setTimeout(r, 100)));
    }
    assert.deepEqual(answer, []);
    third.close();
    held[1]!.close();
  });

  test("a tenant's connection idle between requests stays open for --idle-timeout (here 20 s; Node's default closes it after 5)", T, async () => {
    const socket = await tenantConnection(globex);
    const chain = readFileSync(globex.clientPem, "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!.slice(1);
    const header = chain.map((pem) => Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64").toString("base64")).join(",");
    let text = "";
    socket.setEncoding("utf8").on("data", (c: string) => (text += c));
    let closed = false;
    socket.once("close", () => (closed = true));
    socket.write(`GET /v1/unikernels HTTP/1.1\r\nhost: tsukid\r\ntsuki-chain: ${header}\r\n\r\n`);
    for (let i = 0; i < 100 && !/\r\n\r\n.*\n/s.test(text); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(text, /^HTTP\/1\.1 200 /);
    await new Promise((r) => setTimeout(r, 7_500));
    assert.equal(closed, false, "closed before --idle-timeout");
    socket.destroy();
  });
});
