/**
 * examples/kv end to end, the way an operator runs it: the example built through the real build,
 * run by the tsuki command in a child process on a temporary block file, driven by curl (a peer we
 * did not write, spawned asynchronously) and by Node's fetch. Then the crash test: the tender is
 * killed with SIGKILL in the middle of a stream of PUTs from concurrent clients, restarted on the
 * same file, and every PUT that got a 2xx answer must be there with its value (or with a value sent
 * later to the same key, whose answer the kill cut off), and nothing else may appear.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { buildImage } from "../../src/host/build/build.ts";
import { loadRunConfig } from "../../src/host/config/index.ts";
import { type Child, finished, start as startTsuki, waitForOutput } from "../cli/spawn.ts";
import { ROOT, tempDir } from "../helpers.ts";

const EXAMPLE = path.join(ROOT, "examples/kv");
const HAS_CURL = spawnSync("sh", ["-c", "command -v curl"]).status === 0;
const NO_CURL = HAS_CURL ? false : "curl is not installed (apt-get install curl): these tests drive the server with it";

let image: string;
const running = new Set<Child>();

before(async () => {
  image = (await buildImage(EXAMPLE, { out: path.join(tempDir(), "kv.tsuki") })).image;
});

after(() => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts the example on `file` (created at `size`) and an ephemeral port; resolves once it listens. */
async function serve(file: string, size = "16M"): Promise<{ child: Child; base: string }> {
  const child = startTsuki(["run", image, "--dev", "web=tcp://127.0.0.1:0", "--dev", `data=file:${file}?size=${size}`, "--mem", "64M"]);
  running.add(child);
  child.on("close", () => running.delete(child));
  await waitForOutput(child, (out) => /listening on http:\/\/127\.0\.0\.1:\d+\//.test(out));
  const port = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(child.stdoutText())![1];
  return { child, base: `http://127.0.0.1:${port}` };
}

/** Runs curl asynchronously; returns the status code and body. */
function curl(args: readonly string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("curl", ["-s", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`curl ${args.join(" ")} exited with ${code}`));
      const cut = out.lastIndexOf("\n");
      resolve({ status: Number(out.slice(cut + 1)), body: out.slice(0, cut) });
    });
  });
}

describe("examples/kv", { skip: NO_CURL }, () => {
  test("its run configuration binds a listener on 127.0.0.1:8081 and a 16 MiB block file under examples/kv/data", () => {
    const config = loadRunConfig(path.join(EXAMPLE, "run.yaml"));
    assert.deepEqual(
      config.devices.map((b) => [b.name, b.uri]),
      [
        ["web", "tcp://127.0.0.1:8081"],
        ["data", `file:${path.join(EXAMPLE, "data/kv.img")}?size=16777216`],
      ],
    );
  });

  test("curl: PUT, GET, list, DELETE, and the errors", async () => {
    const { child, base } = await serve(path.join(tempDir(), "kv.img"));
    try {
      assert.deepEqual(await curl(["-X", "PUT", "--data-binary", "hello", `${base}/kv/greeting`]), { status: 201, body: "" });
      assert.deepEqual(await curl(["-X", "PUT", "--data-binary", "hello again", `${base}/kv/greeting`]), { status: 204, body: "" });
      assert.deepEqual(await curl([`${base}/kv/greeting`]), { status: 200, body: "hello again" });
      assert.deepEqual(await curl(["-X", "PUT", "--data-binary", "π", `${base}/kv/a%2Fb%20c`]), { status: 201, body: "" });
      assert.deepEqual(await curl([`${base}/kv?prefix=a`]), { status: 200, body: '{"keys":["a/b c"],"next":null}' });
      assert.deepEqual(await curl([`${base}/kv?limit=1`]), { status: 200, body: '{"keys":["a/b c"],"next":"greeting"}' });
      assert.equal((await curl([`${base}/kv?limit=x`])).status, 400);
      assert.deepEqual(await curl(["-X", "DELETE", `${base}/kv/greeting`]), { status: 204, body: "" });
      assert.equal((await curl(["-X", "DELETE", `${base}/kv/greeting`])).status, 404);
      assert.equal((await curl([`${base}/kv/greeting`])).status, 404);
      assert.equal((await curl(["-X", "POST", `${base}/kv/x`])).status, 405);
      assert.equal((await curl(["-X", "PUT", `${base}/kv`])).status, 405);
      assert.equal((await curl([`${base}/kv/%FF`])).status, 400);
      assert.equal((await curl([`${base}/kv/${"k".repeat(1025)}`])).status, 400);
      assert.equal((await curl([`${base}/elsewhere`])).status, 404);
      const big = await fetch(`${base}/kv/big`, { method: "PUT", body: new Uint8Array(1024 * 1024 + 1) });
      assert.equal(big.status, 413);
    } finally {
      child.kill("SIGTERM");
      await finished(child);
    }
  });

  test("a graceful stop and a restart keep every acknowledged change", async () => {
    const file = path.join(tempDir(), "kv.img");
    const first = await serve(file);
    for (let i = 0; i < 20; i++) assert.equal((await curl(["-X", "PUT", "--data-binary", `value ${i}`, `${first.base}/kv/k${i}`])).status, 201);
    assert.equal((await curl(["-X", "DELETE", `${first.base}/kv/k3`])).status, 204);
    first.child.kill("SIGTERM");
    assert.equal((await finished(first.child)).code, 143);
    const second = await serve(file);
    try {
      assert.deepEqual(await curl([`${second.base}/kv/k7`]), { status: 200, body: "value 7" });
      assert.equal((await curl([`${second.base}/kv/k3`])).status, 404);
      const list = JSON.parse((await curl([`${second.base}/kv`])).body) as { keys: string[] };
      assert.equal(list.keys.length, 19);
    } finally {
      second.child.kill("SIGTERM");
      await finished(second.child);
    }
  });

  test("kill -9 in the middle of concurrent PUTs: after a restart every acknowledged PUT is there, and nothing else", async (t) => {
    // A 1 MiB device (two regions of about 512 KiB) so that compactions happen during the stream too.
    const file = path.join(tempDir(), "kv.img");
    const { child, base } = await serve(file, "1M");
    const WORKERS = 16;
    const KEYS_PER_WORKER = 40;
    /** Per key: every value sent, in order, and how many of them were acknowledged (2xx) — the last acknowledged index. */
    const sent = new Map<string, string[]>();
    const acked = new Map<string, number>();
    let acknowledged = 0;
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const key = `w${w}/k${i % KEYS_PER_WORKER}`;
        const value = `${key}=${i};`.repeat(1 + ((i * 7 + w) % 60));
        const values = sent.get(key) ?? [];
        values.push(value);
        sent.set(key, values);
        try {
          const response = await fetch(`${base}/kv/${encodeURIComponent(key)}`, { method: "PUT", body: value });
          await response.arrayBuffer();
          assert.ok(response.status === 201 || response.status === 204, `PUT ${key}: ${response.status}`);
          acked.set(key, values.length - 1);
          acknowledged++;
        } catch (error) {
          if (!stop) throw error;
          return; // cut off by the kill: not acknowledged
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
    while (acknowledged < 2000) await new Promise((resolve) => setTimeout(resolve, 20));
    stop = true;
    child.kill("SIGKILL");
    const killed = await finished(child);
    assert.equal(killed.signal, "SIGKILL");
    await Promise.all(workers);

    const restarted = await serve(file, "1M");
    try {
      let checked = 0;
      for (const [key, values] of sent) {
        const response = await fetch(`${restarted.base}/kv/${encodeURIComponent(key)}`);
        const body = await response.text();
        const last = acked.get(key);
        if (last === undefined) {
          // Never acknowledged: absent, or one of the values sent (the kill cut off the answer).
          if (response.status === 200) assert.ok(values.includes(body), `${key} holds a value never sent: ${body.slice(0, 80)}`);
          else assert.equal(response.status, 404);
          continue;
        }
        assert.equal(response.status, 200, `${key} was acknowledged but is missing`);
        assert.ok(values.slice(last).includes(body), `${key} holds ${body.slice(0, 40)}…, not its last acknowledged value or a later one`);
        checked++;
      }
      assert.equal(checked, acked.size);
      const listed = JSON.parse(await (await fetch(`${restarted.base}/kv?limit=10000`)).text()) as { keys: string[] };
      assert.ok(listed.keys.every((k) => sent.has(k)), "a key that was never sent appeared");
      assert.ok(listed.keys.length >= acked.size);
      const stats = (await (await fetch(`${restarted.base}/stats`)).json()) as { generation: number; tornTail: boolean };
      const attempted = [...sent.values()].reduce((n, v) => n + v.length, 0);
      t.diagnostic(`${acknowledged} PUTs acknowledged, ${attempted - acknowledged} cut off by the kill; ${listed.keys.length} keys after the restart, generation ${stats.generation}, torn tail ${stats.tornTail}`);
      assert.ok(stats.generation > 1, `the stream was meant to compact the 1 MiB store (generation ${stats.generation})`);
    } finally {
      restarted.child.kill("SIGTERM");
      await finished(restarted.child);
    }
  });
});
