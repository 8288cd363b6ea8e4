/**
 * tsuki/kv recovery: crashes and bad disks played by changing the block file between runs. A torn
 * last commit is detected by its checksum and ignored, older acknowledged data stays, a frame left
 * behind a torn tail is never replayed once a newer frame was written in front of it, and a torn
 * superblock falls back to the other slot.
 */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { describe, test } from "node:test";
import { blockFile, okSteps } from "./driver.ts";

const SECTOR = 512;
/** Region 0 starts after the two superblock slots. */
const REGION0 = 2 * SECTOR;
const SIZE = "1M";

function overwrite(file: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(file, "r+");
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

interface Stats {
  usedBytes: number;
  tornTail: boolean;
  generation: number;
  capacityBytes: number;
}

describe("tsuki/kv recovery", () => {
  test("a torn last commit (its second half never reached the disk) is ignored; older data is intact and the log goes on", async () => {
    const file = blockFile();
    // Each sequential put is one frame of one sector: frames at REGION0, +512, +1024.
    await okSteps(file, [["put", "a", "1"], ["put", "b", "2"], ["fill", "c", 400, 9]], { size: SIZE });
    const third = REGION0 + 2 * SECTOR;
    overwrite(file, third + 200, new Uint8Array(SECTOR - 200)); // the frame's tail sector half zeros, as a torn write leaves it
    const [a, b, c, stats] = (await okSteps(file, [["get", "a"], ["get", "b"], ["summary", "c"], ["stats"]], { size: SIZE })) as [string, string, null, Stats];
    assert.deepEqual([a, b, c], ["1", "2", null]);
    assert.equal(stats.tornTail, true);
    assert.equal(stats.usedBytes, 2 * SECTOR);
    await okSteps(file, [["put", "d", "4"]], { size: SIZE });
    const [list, after] = (await okSteps(file, [["list"], ["stats"]], { size: SIZE })) as [string[], Stats];
    assert.deepEqual(list, ["a", "b", "d"]);
    assert.equal(after.tornTail, false);
  });

  test("garbage after the log (a torn write of random bytes) is ignored", async () => {
    const file = blockFile();
    await okSteps(file, [["put", "a", "1"], ["put", "b", "2"]], { size: SIZE });
    overwrite(file, REGION0 + 2 * SECTOR, randomBytes(3 * SECTOR));
    assert.deepEqual(await okSteps(file, [["list"], ["get", "b"], ["put", "c", "3"]], { size: SIZE }), [["a", "b"], "2", true]);
    assert.deepEqual(await okSteps(file, [["list"]], { size: SIZE }), [["a", "b", "c"]]);
  });

  test("a frame left behind a torn commit is never replayed once a newer frame was written in front of it (chained checksums)", async () => {
    // Frames: a @+0, b @+512, c @+1024. Tear b: the log ends after a, and c (intact, same
    // generation) sits behind the tear. The next commit (d) lands where b was; c must stay dead,
    // or a change that was never acknowledged would come back.
    const file = blockFile();
    await okSteps(file, [["put", "a", "1"], ["put", "b", "2"], ["put", "c", "old"]], { size: SIZE });
    overwrite(file, REGION0 + SECTOR + 30, new Uint8Array([0xff]));
    await okSteps(file, [["put", "d", "4"]], { size: SIZE });
    // The log is now a @+0, d @+512, then the stale c=old frame @+1024 with the right generation.
    assert.deepEqual(await okSteps(file, [["list"], ["get", "c"]], { size: SIZE }), [["a", "d"], null]);
  });

  test("a damaged value fails its frame's checksum and is never returned", async () => {
    const file = blockFile();
    await okSteps(file, [["put", "a", "first"], ["put", "b", "BBBBBBBB"]], { size: SIZE });
    const bytes = readFileSync(file);
    const at = bytes.indexOf("BBBBBBBB", REGION0);
    assert.ok(at > REGION0 + SECTOR);
    overwrite(file, at + 3, new TextEncoder().encode("X"));
    assert.deepEqual(await okSteps(file, [["get", "a"], ["get", "b"]], { size: SIZE }), ["first", null]);
  });

  test("a torn superblock write falls back to the other slot and the region it names", async () => {
    const file = blockFile();
    await okSteps(file, [["put", "a", "1"], ["put", "b", "2"]], { size: SIZE });
    const [stats] = (await okSteps(file, [["compact"], ["stats"]], { size: SIZE })).slice(1) as [Stats];
    assert.equal(stats.generation, 2);
    // Generation 2 lives in slot 0 (generation % 2); tear it. Region 0 still holds generation 1's log.
    assert.equal(readFileSync(file).subarray(0, 8).toString(), "tsuki-kv");
    overwrite(file, 20, randomBytes(20));
    const [list, back] = (await okSteps(file, [["list"], ["stats"]], { size: SIZE })) as [string[], Stats];
    assert.deepEqual(list, ["a", "b"]);
    assert.equal(back.generation, 1);
  });

  test("a crash during compaction, before the new superblock, leaves the old store as it was", async () => {
    const file = blockFile();
    await okSteps(file, [["put", "a", "1"], ["put", "b", "2"], ["delete", "a"]], { size: SIZE });
    const before = readFileSync(file);
    await okSteps(file, [["compact"], ["put", "c", "3"]], { size: SIZE });
    // Put back both superblock slots as they were: what the disk holds if the crash came after the
    // new region was written but before its superblock was.
    overwrite(file, 0, before.subarray(0, 2 * SECTOR));
    assert.deepEqual(await okSteps(file, [["list"], ["get", "b"]], { size: SIZE }), [["b"], "2"]);
  });
});
