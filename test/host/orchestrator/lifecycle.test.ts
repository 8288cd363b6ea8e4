/**
 * tsukid end to end: a real daemon process, driven through the real `tsuki` commands and its
 * socket. hello-http is created bound to port 0, found through info, fetched, listed, inspected,
 * its console read and followed, its stats read, and destroyed.
 *
 * The daemon is shared; each test makes the unikernels it needs and destroys them, so any one of
 * them runs alone (--test-name-pattern) and sees the daemon as it found it.
 */

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RemoteError } from "../../../src/host/orchestrator/api/errors.ts";
import type { RingLine } from "../../../src/host/orchestrator/supervision/console-ring.ts";
import { tempDir } from "../../helpers.ts";
import { tsuki } from "../../cli/spawn.ts";
import { type RunningDaemon, fetchText, helloHttpImage, startDaemon } from "./harness.ts";
import { writeFileSync } from "node:fs";
import path from "node:path";

const T = { timeout: 60_000 };
let daemon: RunningDaemon;
let hello: Uint8Array;
let helloPath: string;

before(async () => {
  hello = await helloHttpImage();
  helloPath = path.join(tempDir(), "hello-http.tsuki");
  writeFileSync(helloPath, hello);
  daemon = await startDaemon();
});
after(async () => {
  assert.equal(await daemon.stop(), 0);
});

/** A running hello-http named `name` on a port the host picks, as `tsuki create … --mem 32M` makes it. */
async function helloNamed(name: string) {
  return daemon.client.create({ name, devices: ["web=tcp://127.0.0.1:0"], memoryMb: 32 }, hello);
}

describe("tsukid lifecycle", () => {
  test("tsuki create boots hello-http on a port the host picks; info names the port and the unikernel answers there", T, async () => {
    const r = await tsuki(daemon.tsukiArgs("create", "web", helloPath, "--dev", "web=tcp://127.0.0.1:0", "--mem", "32M"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /state: +running/);
    const info = JSON.parse((await tsuki(daemon.tsukiArgs("info", "web", "--json"))).stdout);
    assert.equal(info.state, "running");
    assert.equal(info.memoryMb, 32);
    assert.equal(info.imageName, "hello-http");
    assert.match(info.addresses.web, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(info.addresses.web, /:0$/);
    assert.equal(await fetchText(info.addresses.web), "hello\n");
    assert.ok(daemon.events().some((e) => e.event === "created" && e.name === "web"));
    assert.ok(daemon.events().some((e) => e.event === "started" && e.name === "web"));
    await daemon.client.destroy("web");
  });

  test("tsuki list shows each unikernel with its state and addresses; --json gives the same as info", T, async () => {
    await helloNamed("web");
    const r = await tsuki(daemon.tsukiArgs("list"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME +STATE +RESTARTS +IMAGE +ADDRESSES$/m);
    assert.match(r.stdout, /^web +running +0 +hello-http [0-9a-f]{12} +web=tcp:\/\/127\.0\.0\.1:\d+$/m);
    const all = JSON.parse((await tsuki(daemon.tsukiArgs("list", "--json"))).stdout);
    assert.deepEqual(all.map((u: { name: string }) => u.name), ["web"]);
    await daemon.client.destroy("web");
  });

  test("tsuki console prints the unikernel's lines from the ring buffer, by count and since a time", T, async () => {
    await helloNamed("web");
    const r = await tsuki(daemon.tsukiArgs("console", "web"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^listening on http:\/\/127\.0\.0\.1:\d+\/$/m);
    assert.equal((await tsuki(daemon.tsukiArgs("console", "web", "--count", "0"))).stdout, "");
    assert.equal((await tsuki(daemon.tsukiArgs("console", "web", "--since", new Date(Date.now() + 60_000).toISOString()))).stdout, "");
    assert.match((await tsuki(daemon.tsukiArgs("console", "web", "--since", "2000-01-01T00:00:00Z", "--timestamps"))).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z listening on/m);
    await daemon.client.destroy("web");
  });

  test("several followers of one console each get the history and then every new line", T, async () => {
    const echo = await import("./harness.ts").then((h) => h.sourceImage("talker", `import { unikernel, listener } from "tsuki";
export default unikernel({
  devices: { tcp: listener() },
  async start({ tcp, console }) {
    console.log("ready");
    for await (const conn of tcp) void (async () => { for await (const chunk of conn) console.log("got " + new TextDecoder().decode(chunk).trim()); await conn.end(); })();
  },
});`));
    const info = await daemon.client.create({ name: "talker", devices: ["tcp=tcp://127.0.0.1:0"] }, echo);
    const abort = new AbortController();
    const seen: RingLine[][] = [[], [], []];
    const following = seen.map((lines) => daemon.client.console("talker", { follow: true, signal: abort.signal }, (l) => lines.push(l)));
    await waitUntil(() => seen.every((l) => l.length >= 1));
    const { connect } = await import("node:net");
    const [host, port] = info.addresses.tcp!.replace("tcp://", "").split(":");
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), host!, () => socket.end("one\n"));
      socket.on("close", () => resolve());
      socket.resume();
    });
    await waitUntil(() => seen.every((l) => l.some((line) => line.text === "got one")));
    for (const lines of seen) assert.deepEqual(lines.map((l) => l.text), ["ready", "got one"]);
    const stats = await daemon.client.stats("talker");
    assert.equal(stats.console.followers, 3);
    abort.abort();
    await Promise.all(following);
    await waitUntil(async () => (await daemon.client.stats("talker")).console.followers === 0);
    await daemon.client.destroy("talker");
  });

  test("tsuki stats shows heap in use and its limit, connections, restarts", T, async () => {
    assert.equal(await fetchText((await helloNamed("web")).addresses.web!), "hello\n");
    const s = await daemon.client.stats("web");
    assert.equal(s.state, "running");
    assert.ok(s.heap !== null && s.heap.used > 0 && s.heap.limit >= 32 * 2 ** 20, JSON.stringify(s.heap));
    assert.equal(s.memoryLimitBytes, 32 * 2 ** 20);
    // fetch keeps its connection alive, so the earlier requests may still hold one.
    assert.ok(Number.isInteger(s.connections) && s.connections >= 0);
    assert.equal(s.restarts, 0);
    const r = await tsuki(daemon.tsukiArgs("stats", "web"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^heap: +[\d.]+ MiB of [\d.]+ MiB$/m);
    await daemon.client.destroy("web");
  });

  test("tsuki restart stops the unikernel and boots it again", T, async () => {
    await helloNamed("web");
    const r = await tsuki(daemon.tsukiArgs("restart", "web", "--json"));
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.state, "running");
    assert.equal(info.lastExit.kind, "stopped");
    assert.equal(await fetchText(info.addresses.web), "hello\n");
    await daemon.client.destroy("web");
  });

  test("two creates of the same name at once: exactly one wins, the other gets ERR_NAME_TAKEN", T, async () => {
    const results = await Promise.allSettled([0, 1, 2].map(() => daemon.client.create({ name: "twin", devices: ["web=tcp://127.0.0.1:0"] }, hello)));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.equal(won.length, 1);
    assert.equal(lost.length, 2);
    for (const l of lost) assert.equal((l.reason as RemoteError).code, "ERR_NAME_TAKEN");
    assert.equal((await daemon.client.listUnikernels()).filter((u) => u.name === "twin").length, 1);
    await daemon.client.destroy("twin");
  });

  test("tsuki destroy stops the unikernel, forgets it and frees its port; info then says ERR_NOT_FOUND", T, async () => {
    const { addresses } = await helloNamed("web");
    assert.equal(await fetchText(addresses.web!), "hello\n");
    const r = await tsuki(daemon.tsukiArgs("destroy", "web"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^destroyed web/);
    await assert.rejects(fetchText(addresses.web!));
    const gone = await tsuki(daemon.tsukiArgs("info", "web"));
    assert.equal(gone.code, 66);
    assert.match(gone.stderr, /^tsuki: error ERR_NOT_FOUND: no unikernel named "web"/m);
    assert.ok(daemon.events().some((e) => e.event === "destroyed" && e.name === "web"));
  });

  test("a client without a daemon says so with ERR_DAEMON_UNREACHABLE and exit 69", T, async () => {
    const r = await tsuki(["list", "--socket", path.join(tempDir(), "none.sock")]);
    assert.equal(r.code, 69);
    assert.match(r.stderr, /^tsuki: error ERR_DAEMON_UNREACHABLE: cannot reach tsukid at .*none\.sock: no daemon listens there/m);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
