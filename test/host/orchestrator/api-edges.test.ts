/**
 * The edges of tsukid's API that a client can push on, against the real daemon: a malformed
 * percent-encoding in the path and a body nested too deep are 400s (not 500s), an error that
 * would quote a huge upload is short, and a manifest nested too deep is the client's error too.
 */

import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { sha256 } from "../../../src/host/build/image.ts";
import { writeTar } from "../../../src/host/build/tar.ts";
import { MANIFEST_PATH } from "../../../src/abi/manifest.ts";
import { DaemonClient } from "../../../src/host/orchestrator/client.ts";
import type { RemoteError } from "../../../src/host/orchestrator/errors.ts";
import { craftImage } from "../../helpers.ts";
import { type RunningDaemon, helloHttpImage, startDaemon } from "./harness.ts";
import { type Ca, POLICY, type TenantFiles, makeCa, makeTenant, target } from "./pki.ts";

const T = { timeout: 60_000 };
let daemon: RunningDaemon;
let hello: Uint8Array;
let ca: Ca;
let acme: TenantFiles;
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

before(async () => {
  hello = await helloHttpImage();
  ca = await makeCa();
  acme = await makeTenant(ca, "acme", POLICY);
  globex = await makeTenant(ca, "globex", POLICY);
  daemon = await startDaemon(undefined, [
    ...["--max-image", "1M", "--listen", "127.0.0.1:0", "--ca", ca.caPem, "--cert", ca.serverPem, "--key", ca.serverKey],
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
