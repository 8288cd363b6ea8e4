/**
 * tsuki/kv on the real tender: put, get, delete, list, group commit and reopening, each through a
 * unikernel booted on a block file.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { blockFile, checksum, okSteps, runSteps } from "./driver.ts";

describe("tsuki/kv basics", () => {
  test("put, get, has, delete and size; put says whether the key was new, delete whether it existed", async () => {
    const file = blockFile();
    const r = await okSteps(file, [["put", "a", "1"], ["put", "a", "2"], ["get", "a"], ["has", "a"], ["get", "nope"], ["delete", "a"], ["delete", "a"], ["has", "a"], ["put", "é/ключ/🔑", ""], ["get", "é/ключ/🔑"], ["size"]], { size: "1M" });
    assert.deepEqual(r, [true, false, "2", true, null, true, false, false, true, "", 1]);
  });

  test("list returns keys in order, filtered by prefix and start, at most limit", async () => {
    const keys = ["b", "a/2", "a/10", "a/1", "c", "ab", "a"];
    const r = await okSteps(blockFile(), [
      ["together", keys.map((k) => ["put", k, k])],
      ["list"],
      ["list", { prefix: "a/" }],
      ["list", { prefix: "a/", start: "a/10" }],
      ["list", { start: "ab", limit: 2 }],
      ["list", { prefix: "zz" }],
      ["list", { limit: 0 }],
    ], { size: "1M" });
    assert.deepEqual(r.slice(1), [["a", "a/1", "a/10", "a/2", "ab", "b", "c"], ["a/1", "a/10", "a/2"], ["a/10", "a/2"], ["ab", "b"], [], []]);
  });

  test("binary values up to the maximum round-trip; larger ones are E2BIG", async () => {
    const { results } = await runSteps(blockFile(), [
      ["fill", "big", 1024 * 1024, 7],
      ["summary", "big"],
      ["fill", "small", 3, 250],
      ["summary", "small"],
      ["fill", "huge", 1024 * 1024 + 1, 1],
    ], { size: "16M" });
    assert.deepEqual(results[1]!.ok, { length: 1024 * 1024, sum: checksum(1024 * 1024, 7) });
    assert.deepEqual(results[3]!.ok, { length: 3, sum: checksum(3, 250) });
    assert.equal(results[4]!.error, "E2BIG");
  });

  test("changes survive a restart, deletions included, and later writes continue the log", async () => {
    const file = blockFile();
    await okSteps(file, [["put", "keep", "v1"], ["put", "gone", "x"], ["put", "keep", "v2"], ["delete", "gone"]], { size: "1M" });
    assert.deepEqual(await okSteps(file, [["get", "keep"], ["get", "gone"], ["list"], ["put", "new", "n"]], { size: "1M" }), ["v2", null, ["keep"], true]);
    assert.deepEqual(await okSteps(file, [["list"], ["get", "new"]], { size: "1M" }), [["keep", "new"], "n"]);
  });

  test("puts issued in the same turn share one frame and one flush (group commit); the last put of a key wins", async () => {
    const puts = Array.from({ length: 100 }, (_, i) => ["put", `k${i % 50}`, `v${i}`]);
    const [before, created, after, last] = (await okSteps(blockFile(), [["stats"], ["together", puts], ["stats"], ["get", "k7"]], { size: "1M" })) as [Stats, boolean[], Stats, string];
    assert.deepEqual(created, [...Array(50).fill(true), ...Array(50).fill(false)]);
    assert.equal(after.flushes - before.flushes, 1);
    assert.equal(after.commits - before.commits, 1);
    assert.equal(after.keys, 50);
    assert.equal(last, "v57");
  });

  test("a sector size of 4096 works the same", async () => {
    const file = blockFile();
    await okSteps(file, [["put", "a", "1"], ["fill", "b", 5000, 3]], { size: "1M", sector: 4096 });
    const [a, b, stats] = (await okSteps(file, [["get", "a"], ["summary", "b"], ["stats"]], { size: "1M", sector: 4096 })) as [string, unknown, Stats];
    assert.equal(a, "1");
    assert.deepEqual(b, { length: 5000, sum: checksum(5000, 3) });
    assert.equal(stats.usedBytes, 4096 * 3);
  });
});

interface Stats {
  keys: number;
  commits: number;
  flushes: number;
  usedBytes: number;
}
