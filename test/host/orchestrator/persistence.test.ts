/**
 * What tsukid persists: a create acknowledged just before a `kill -9` of the daemon survives it,
 * and the next daemon on the same state directory boots it again (and it answers); unikernels come
 * back in priority order; a destroy is forgotten for good; SIGTERM stops unikernels without
 * forgetting them; images no unikernel uses are collected.
 */

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { sha256 } from "../../../src/host/image/image.ts";
import { tempDir } from "../../helpers.ts";
import { fetchText, helloHttpImage, sourceImage, startDaemon } from "./harness.ts";

const T = { timeout: 90_000 };

describe("tsukid persistence", () => {
  test("kill -9 right after a create was acknowledged: the next daemon brings the unikernel back and it answers", T, async () => {
    const hello = await helloHttpImage();
    const state = path.join(tempDir("tsukid-"), "state");
    const first = await startDaemon(state);
    await first.client.create({ name: "survivor", devices: ["web=tcp://127.0.0.1:0"] }, hello);
    await first.kill9();

    const second = await startDaemon(state);
    try {
      const info = await second.client.info("survivor");
      assert.equal(info.state, "running");
      assert.equal(await fetchText(info.addresses.web!), "hello\n");
      assert.ok(second.events().some((e) => e.event === "restored" && e.unikernels === 1 && e.running === 1));
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });

  test("kill -9 while creates are under way: every acknowledged create comes back, nothing half-made remains", T, async () => {
    const hello = await helloHttpImage();
    const state = path.join(tempDir("tsukid-"), "state");
    const first = await startDaemon(state);
    const acknowledged: string[] = [];
    const creates = Array.from({ length: 20 }, (_, i) =>
      first.client.create({ name: `u${i}`, devices: ["web=tcp://127.0.0.1:0"], memoryMb: 16 }, hello).then(() => acknowledged.push(`u${i}`), () => undefined),
    );
    while (acknowledged.length < 3) await new Promise((r) => setTimeout(r, 2));
    await first.kill9();
    await Promise.all(creates);

    const second = await startDaemon(state);
    try {
      const names = (await second.client.listUnikernels()).map((u) => u.name);
      for (const name of acknowledged) assert.ok(names.includes(name), `${name} was acknowledged but did not come back (${names.join(", ")})`);
      for (const u of await second.client.listUnikernels()) assert.equal(u.state, "running", JSON.stringify(u));
      // The one image, stored once, whole.
      assert.deepEqual(readdirSync(path.join(state, "images")), [`${sha256(hello)}.tsuki`]);
    } finally {
      await second.stop();
    }
  });

  test("on start, unikernels come back in priority order (lower first), then by name", T, async () => {
    const quiet = await sourceImage("quiet", `import { unikernel } from "tsuki";
export default unikernel({ start() { setInterval(() => {}, 60_000); } });`);
    const state = path.join(tempDir("tsukid-"), "state");
    const first = await startDaemon(state);
    await first.client.create({ name: "last", priority: 90 }, quiet);
    await first.client.create({ name: "first", priority: 0 }, quiet);
    await first.client.create({ name: "middle-b", priority: 50 }, quiet);
    await first.client.create({ name: "middle-a", priority: 50 }, quiet);
    assert.equal(await first.stop(), 0);
    assert.ok(first.events().some((e) => e.event === "exited" && e.name === "last" && e.kind === "stopped"));

    const second = await startDaemon(state);
    try {
      const order = second.events().filter((e) => e.event === "started").map((e) => e.name);
      assert.deepEqual(order, ["first", "middle-a", "middle-b", "last"]);
    } finally {
      await second.stop();
    }
  });

  test("a destroyed unikernel does not come back, and its image is removed", T, async () => {
    const quiet = await sourceImage("quiet2", `import { unikernel } from "tsuki";
export default unikernel({ start() { setInterval(() => {}, 60_000); } });`);
    const state = path.join(tempDir("tsukid-"), "state");
    const first = await startDaemon(state);
    await first.client.create({ name: "gone" }, quiet);
    await first.client.destroy("gone");
    assert.deepEqual(readdirSync(path.join(state, "images")), []);
    await first.kill9();
    const second = await startDaemon(state);
    try {
      assert.deepEqual(await second.client.listUnikernels(), []);
    } finally {
      await second.stop();
    }
  });
});
