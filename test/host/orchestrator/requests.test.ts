/**
 * Bad input to tsukid's socket: each request that is malformed, out of range, oversized or not
 * HTTP at all gets a clear error with a stable code, and the daemon stays up. The socket is for
 * the daemon's user only, and a second daemon on the same state directory is refused.
 */

import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { sha256 } from "../../../src/host/image/image.ts";
import type { RemoteError } from "../../../src/host/orchestrator/api/errors.ts";
import { tsuki } from "../../cli/spawn.ts";
import { type RunningDaemon, helloHttpImage, startDaemon } from "./harness.ts";

const T = { timeout: 60_000 };
let daemon: RunningDaemon;
let hello: Uint8Array;

before(async () => {
  hello = await helloHttpImage();
  daemon = await startDaemon(undefined, ["--max-image", "1M"]);
});
after(async () => {
  assert.equal(await daemon.stop(), 0);
});

/** A raw HTTP request on the socket: status and parsed JSON body. */
function raw(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string | number> = {}): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: daemon.socket, method, path, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : {} }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function stillUp(): Promise<void> {
  const answer = await daemon.client.call<{ pid: number }>("GET", "/v1/daemon");
  assert.equal(answer.pid, daemon.child.pid);
}

describe("tsukid refuses bad requests and stays up", () => {
  test("a bad memory limit, CPU limit or device binding is named as the create request spells it, never as a flag", T, async () => {
    const sha = await daemon.client.uploadImage(hello);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: "x", image: sha, memoryMb: 4 }, "ERR_REQUEST_VALUE", /^memoryMb 4 is out of range: give 8–16384 MiB/],
      [{ name: "x", image: sha, cpuMs: 0 }, "ERR_REQUEST_VALUE", /^cpuMs 0 is out of range: give 1–3600000 ms/],
      [{ name: "x", image: sha, devices: ["web=tcp://127.0.0.1"] }, "ERR_DEV_MALFORMED", /^device "web": tcp:\/\/127\.0\.0\.1 \(devices\[0\]\) is malformed: it names no port .*; e\.g\. "web=tcp:\/\/127\.0\.0\.1:8080" in devices$/],
      [{ name: "x", image: sha, devices: ["web=tcp://127.0.0.1:0", "web"] }, "ERR_DEV_MALFORMED", /^devices\[1\] "web" is malformed: write "NAME=URI"/],
      [{ name: "x", image: sha }, "ERR_DEV_UNBOUND", /add "web=tcp:\/\/127\.0\.0\.1:8080" in devices$/],
    ];
    for (const [body, code, message] of cases) {
      await assert.rejects(daemon.client.call("POST", "/v1/unikernels", body), (e: RemoteError) => {
        assert.equal(e.code, code, `${JSON.stringify(body).slice(0, 100)}: ${e.message}`);
        assert.match(e.message, message);
        assert.doesNotMatch(e.message, /--mem|--cpu-ms|--dev/);
        return true;
      });
    }
    await stillUp();
  });

  test("a body that is not JSON: 400 ERR_REQUEST_MALFORMED", T, async () => {
    const r = await raw("POST", "/v1/unikernels", "{not json", { "content-type": "application/json" });
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, "ERR_REQUEST_MALFORMED");
    await stillUp();
  });

  test("an unknown key, a wrong type, a bad name, a value out of range: each with its own code and the field named", T, async () => {
    const sha = await daemon.client.uploadImage(hello);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: "x", image: sha, colour: "red" }, "ERR_REQUEST_MALFORMED", /unknown key "colour"/],
      [{ name: "x", image: sha, memoryMb: "lots" }, "ERR_REQUEST_MALFORMED", /memoryMb must be a whole number/],
      [{ name: "Not_A_Name", image: sha }, "ERR_NAME_INVALID", /lower-case letters/],
      [{ name: "x".repeat(64), image: sha }, "ERR_NAME_INVALID", /1–63/],
      [{ name: "x", image: sha, memoryMb: 1 }, "ERR_REQUEST_VALUE", /memoryMb 1 is out of range/],
      [{ name: "x", image: sha, restart: "sometimes" }, "ERR_REQUEST_VALUE", /restart "sometimes" is not one of never, on-failure, always/],
      [{ name: "x", image: sha, target: "unix" }, "ERR_REQUEST_VALUE", /target "unix" is not one of isolate, process/],
      [{ name: "x", image: "abc" }, "ERR_REQUEST_MALFORMED", /SHA-256/],
      [{ name: "x", image: "0".repeat(64) }, "ERR_IMAGE_NOT_FOUND", /upload it first/],
      [{ name: "x", image: sha, devices: ["web"] }, "ERR_DEV_MALFORMED", /NAME=URI/],
      [{ name: "x", image: sha, devices: "web=tcp://127.0.0.1:0" }, "ERR_REQUEST_MALFORMED", /list/],
    ];
    for (const [body, code, message] of cases) {
      await assert.rejects(daemon.client.call("POST", "/v1/unikernels", body), (e: RemoteError) => {
        assert.equal(e.code, code, `${JSON.stringify(body).slice(0, 100)}: ${e.message}`);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.deepEqual(await daemon.client.listUnikernels(), []);
    await stillUp();
  });

  test("an image upload larger than --max-image is refused with 413 ERR_REQUEST_TOO_LARGE, before and while it is sent", T, async () => {
    const big = new Uint8Array(2 * 2 ** 20);
    const declared = await raw("PUT", `/v1/images/${sha256(big)}`, undefined, { "content-length": big.length, "content-type": "application/octet-stream" }).catch((e: Error) => e);
    assert.ok(!(declared instanceof Error), String(declared));
    assert.equal(declared.status, 413);
    assert.equal(declared.body.error?.code, "ERR_REQUEST_TOO_LARGE");
    // Chunked, so the daemon counts it as it comes.
    const streamed = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ socketPath: daemon.socket, method: "PUT", path: `/v1/images/${sha256(big)}`, agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, text }));
      });
      req.on("error", (e) => (e.message.includes("EPIPE") || e.message.includes("ECONNRESET") ? undefined : reject(e)));
      for (let i = 0; i < 32; i++) req.write(big.subarray(i * 65536, (i + 1) * 65536));
      req.end();
    });
    assert.equal(streamed.status, 413);
    assert.match(streamed.text, /ERR_REQUEST_TOO_LARGE/);
    await stillUp();
  });

  test("an upload that does not hash to its name, and one that is not an image, are refused", T, async () => {
    const wrong = await raw("PUT", `/v1/images/${"1".repeat(64)}`, hello, { "content-type": "application/octet-stream" });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error?.code, "ERR_IMAGE_HASH");
    const junk = Buffer.from("not an image at all");
    const notImage = await raw("PUT", `/v1/images/${sha256(junk)}`, junk, { "content-type": "application/octet-stream" });
    assert.equal(notImage.status, 422);
    assert.match(notImage.body.error?.code ?? "", /^ERR_IMAGE_/);
    await stillUp();
  });

  test("an unknown route is ERR_REQUEST_MALFORMED; a name that is not one is ERR_NAME_INVALID", T, async () => {
    assert.equal((await raw("GET", "/nowhere")).body.error?.code, "ERR_REQUEST_MALFORMED");
    assert.equal((await raw("PATCH", "/v1/unikernels")).body.error?.code, "ERR_REQUEST_MALFORMED");
    assert.equal((await raw("GET", "/v1/unikernels/..%2F..%2Fetc")).body.error?.code, "ERR_NAME_INVALID");
    assert.equal((await raw("GET", "/v1/unikernels/x/console?count=-1")).body.error?.code, "ERR_NOT_FOUND");
    await stillUp();
  });

  test("bytes that are not HTTP get a JSON 400 and the connection is closed", T, async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(daemon.socket, () => socket.write("\x00\x01garbage\r\n\r\n"));
      let text = "";
      socket.setEncoding("utf8").on("data", (c: string) => (text += c));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request/);
    assert.match(answer, /"code":"ERR_REQUEST_MALFORMED"/);
    await stillUp();
  });

  test("the socket is the daemon's user's alone (mode 0600)", T, () => {
    assert.equal(statSync(daemon.socket).mode & 0o777, 0o600);
    assert.equal(statSync(daemon.stateDir).mode & 0o777, 0o700);
  });

  test("a second daemon on the same state directory is refused with ERR_DAEMON_RUNNING, and the first goes on", T, async () => {
    const r = await tsuki(["daemon", "--state", daemon.stateDir]);
    assert.equal(r.code, 69, r.stderr);
    assert.match(r.stderr, /^tsuki: error ERR_DAEMON_RUNNING: a daemon already answers on /m);
    await stillUp();
  });

  test("a second daemon on the same state directory but another socket is refused by the state's lock before it boots anything", T, async () => {
    const r = await tsuki(["daemon", "--state", daemon.stateDir, "--socket", `${daemon.stateDir}/other.sock`]);
    assert.equal(r.code, 69, r.stderr);
    assert.match(r.stderr, /^tsuki: error ERR_DAEMON_RUNNING: another tsukid holds .*state\.db/m);
    assert.doesNotMatch(r.stdout, /"event":"(started|restored|images-collected)"/);
    await stillUp();
  });

  test("client flags are checked before anything is sent: a bad name or --restart value exits 64", T, async () => {
    const bad = await tsuki(daemon.tsukiArgs("create", "Bad_Name", "x.tsuki"));
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /^tsuki: error ERR_FLAG_VALUE: unikernel name "Bad_Name" is not valid/m);
    const policy = await tsuki(daemon.tsukiArgs("create", "ok", "x.tsuki", "--restart", "sometimes"));
    assert.equal(policy.code, 64);
    assert.match(policy.stderr, /--restart sometimes is not one of never, on-failure, always/);
  });
});
