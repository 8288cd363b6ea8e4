/**
 * tsuki/kv compaction and running out of space, on small devices so that the log fills quickly:
 * overwritten and deleted records are dropped, live data is kept across compactions and restarts,
 * and a store that is truly full refuses puts with ENOSPC without losing anything.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { blockFile, checksum, okSteps, runSteps } from "./driver.ts";

interface Stats {
  keys: number;
  liveBytes: number;
  usedBytes: number;
  capacityBytes: number;
  generation: number;
  compactions: number;
}

describe("tsuki/kv compaction", () => {
  test("overwriting keys many times compacts the log and keeps the live values, also after a restart", async () => {
    const file = blockFile();
    // 64 KiB: two regions of 63 sectors. Each commit below takes a sector; 300 of them need several compactions.
    const steps = [["repeat", 300, ["put", "k$i", "v$i"]], ["repeat", 300, ["put", "hot", "value $i"]], ["repeat", 290, ["delete", "k$i"]], ["stats"]];
    const r = await okSteps(file, steps, { size: "64K" });
    const stats = r[3] as Stats;
    assert.ok(stats.compactions >= 5, `compactions: ${stats.compactions}`);
    assert.equal(stats.keys, 11);
    assert.ok(stats.usedBytes <= stats.capacityBytes);
    const [list, hot, k295, after] = (await okSteps(file, [["list"], ["get", "hot"], ["get", "k295"], ["stats"]], { size: "64K" })) as [string[], string, string, Stats];
    assert.deepEqual(list, ["hot", ...Array.from({ length: 10 }, (_, i) => `k${290 + i}`)]);
    assert.equal(hot, "value 299");
    assert.equal(k295, "v295");
    assert.equal(after.generation, stats.generation);
    assert.equal(after.liveBytes, stats.liveBytes);
  });

  test("compact() drops garbage now and keeps every value byte for byte", async () => {
    const file = blockFile();
    const [, , before, , after, big] = await okSteps(file, [["fill", "big", 200_000, 5], ["repeat", 20, ["fill", "x", 10_000, 1]], ["stats"], ["compact"], ["stats"], ["summary", "big"]], { size: "4M" });
    assert.ok((before as Stats).usedBytes > 400_000);
    assert.ok((after as Stats).usedBytes < 215_000, `used after compaction: ${(after as Stats).usedBytes}`);
    assert.deepEqual(big, { length: 200_000, sum: checksum(200_000, 5) });
    assert.deepEqual(await okSteps(file, [["summary", "big"], ["summary", "x"]], { size: "4M" }), [
      { length: 200_000, sum: checksum(200_000, 5) },
      { length: 10_000, sum: checksum(10_000, 1) },
    ]);
  });

  test("a full store refuses puts with ENOSPC, keeps what it has, and takes puts again after a delete", async () => {
    const file = blockFile();
    const { results } = await runSteps(file, [["repeat", 40, ["fill", "k$i", 1500, 0]], ["size"], ["delete", "k0"], ["delete", "k1"], ["fill", "again", 1500, 2], ["summary", "k5"]], { size: "64K" });
    const outcomes = results[0]!.ok as (boolean | string)[];
    const stored = outcomes.filter((o) => o === true).length;
    assert.ok(stored >= 15 && stored < 40, `stored ${stored}`);
    assert.deepEqual(outcomes.slice(stored), Array(40 - stored).fill("ENOSPC"));
    assert.equal(results[1]!.ok, stored);
    assert.equal(results[4]!.ok, true);
    assert.deepEqual(results[5]!.ok, { length: 1500, sum: checksum(1500, 0) });
    const { results: again } = await runSteps(file, [["size"], ["summary", "again"], ["fill", "one-too-many", 20_000, 0]], { size: "64K" });
    assert.equal(again[0]!.ok, stored - 1);
    assert.deepEqual(again[1]!.ok, { length: 1500, sum: checksum(1500, 2) });
    assert.equal(again[2]!.error, "ENOSPC");
    assert.match(again[2]!.message!, /full/);
  });

  test("deletes succeed on a full store (compaction drops the deleted records instead of adding tombstones)", async () => {
    const file = blockFile();
    const { results } = await runSteps(file, [["repeat", 40, ["fill", "k$i", 1500, 0]], ["repeat", 40, ["delete", "k$i"]], ["size"], ["stats"]], { size: "64K" });
    assert.ok((results[1]!.ok as unknown[]).every((o) => typeof o === "boolean"));
    assert.equal(results[2]!.ok, 0);
  });

  test("maxValueBytes is lowered to what one region can hold", async () => {
    const { results } = await runSteps(blockFile(), [["stats"], ["fill", "v", 40_000, 0]], { size: "64K" });
    const max = (results[0]!.ok as { maxValueBytes: number }).maxValueBytes;
    assert.ok(max > 25_000 && max < 32_256, `maxValueBytes ${max}`);
    assert.equal(results[1]!.error, "E2BIG");
  });
});
