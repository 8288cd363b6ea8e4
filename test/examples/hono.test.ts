/**
 * examples/hono-api end to end: a Hono app (the npm package, unmodified) written as a Workers-style
 * module, built through the real build and booted on the isolate target with its run
 * configuration's memory and args, then driven by curl (spawned asynchronously: the server runs in
 * this very process): its JSON API, a streamed response that arrives line by line, a signed
 * session cookie kept in curl's cookie jar (and one tampered with), and a JWT for a protected route.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { buildImage } from "../../src/host/build/build.ts";
import { loadImage } from "../../src/host/image/image.ts";
import { loadRunConfig } from "../../src/host/config/index.ts";
import type { Unikernel } from "../../src/host/tender/unikernel.ts";
import { ROOT, tempDir, testTender } from "../helpers.ts";

const EXAMPLE = path.join(ROOT, "examples/hono-api");
const NO_CURL = spawnSync("sh", ["-c", "command -v curl"]).status === 0 ? false : "curl is not installed (apt-get install curl): these tests drive the server with it";

let unikernel: Unikernel;
let port: number;
const url = (p: string) => `http://127.0.0.1:${port}${p}`;
const jar = path.join(tempDir(), "cookies.txt");

before(async () => {
  const built = await buildImage(EXAMPLE, { out: path.join(tempDir(), "hono-api.tsuki") });
  const config = loadRunConfig(path.join(EXAMPLE, "run.yaml"));
  const { tender } = testTender("isolate");
  unikernel = await tender.boot(loadImage(built.image), { bindings: [{ name: "http", uri: "tcp://127.0.0.1:0" }], memoryMb: config.limits.memoryMb, args: config.args });
  port = unikernel.addresses.http!.port;
});

after(async () => {
  unikernel.stop();
  await unikernel.exited;
});

/** curl with `args`; resolves with its output, and the moments (ms after the start) each chunk of it arrived. */
function curl(...args: string[]): Promise<{ code: number | null; out: string; arrivals: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn("curl", ["-s", "--max-time", "10", ...args]);
    const started = performance.now();
    let out = "";
    const arrivals: number[] = [];
    child.stdout.on("data", (c: Buffer) => ((out += c), arrivals.push(performance.now() - started)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, arrivals }));
  });
}

const json = (body: unknown) => ["-H", "content-type: application/json", "--data-binary", JSON.stringify(body)];

describe("examples/hono-api, driven by curl", { skip: NO_CURL }, () => {
  test("the JSON API: create, list, update, and a 400 for a bad body", async () => {
    const created = JSON.parse((await curl(...json({ title: "write the tests" }), url("/api/todos"))).out);
    assert.deepEqual(created, { id: 1, title: "write the tests", done: false });
    const done = JSON.parse((await curl("-X", "PATCH", ...json({ done: true }), url("/api/todos/1"))).out);
    assert.equal(done.done, true);
    assert.deepEqual(JSON.parse((await curl(url("/api/todos"))).out), [{ id: 1, title: "write the tests", done: true }]);
    const bad = await curl("-w", "%{http_code}", "-o", "/dev/null", ...json({ title: "" }), url("/api/todos"));
    assert.equal(bad.out, "400");
  });

  test("a streamed response arrives line by line, chunked", async () => {
    const { out, arrivals } = await curl("-N", "-i", url("/stream?lines=4"));
    assert.match(out, /\r\ntransfer-encoding: chunked\r\n/i);
    assert.ok(out.endsWith("line 1 of 4\nline 2 of 4\nline 3 of 4\nline 4 of 4\n"), out);
    assert.ok(arrivals.length >= 3, `the lines came in ${arrivals.length} pieces`);
  });

  test("a signed session cookie: set by /login, accepted by /me; a tampered one is refused", async () => {
    const login = JSON.parse((await curl("-c", jar, ...json({ user: "ada" }), url("/login"))).out);
    assert.match(login.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(readFileSync(jar, "utf8"), /\tsession\tada\.[A-Za-z0-9%+/=_-]+/);
    assert.deepEqual(JSON.parse((await curl("-b", jar, url("/me"))).out), { user: "ada" });
    writeFileSync(jar, readFileSync(jar, "utf8").replace(/\tsession\tada\./, "\tsession\teve."));
    const forged = await curl("-b", jar, "-w", "\n%{http_code}", url("/me"));
    assert.match(forged.out, /\n401$/);
  });

  test("a JWT from /login opens /api/private; a token signed with another key does not", async () => {
    const { token } = JSON.parse((await curl(...json({ user: "grace" }), url("/login"))).out);
    assert.deepEqual(JSON.parse((await curl("-H", `authorization: Bearer ${token}`, url("/api/private"))).out), { hello: "grace" });
    const [head, payload] = token.split(".");
    const forged = await curl("-H", `authorization: Bearer ${head}.${payload}.${"A".repeat(43)}`, "-w", "%{http_code}", "-o", "/dev/null", url("/api/private"));
    assert.equal(forged.out, "401");
    assert.equal((await curl("-w", "%{http_code}", "-o", "/dev/null", url("/api/private"))).out, "401");
  });
});
