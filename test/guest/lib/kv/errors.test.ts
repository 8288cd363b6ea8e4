/**
 * tsuki/kv refusing what it must not touch or store: a device holding something else, a newer
 * format, a device of another size, and keys and values that are not valid. Refusing to open
 * never writes to the device.
 */

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { crc32c } from "../../../../src/guest/lib/kv/crc32c.ts";
import { blockFile, okSteps, runSteps } from "./driver.ts";

const hash = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

async function refusal(file: string, options: { size?: string; sector?: number } = {}) {
  const before = hash(file);
  const { open } = await runSteps(file, [], options);
  assert.equal(hash(file), before, "refusing to open must not write");
  return open;
}

describe("tsuki/kv refuses", () => {
  test("a device holding something else (ERR_KV_FOREIGN), and never reformats it", async () => {
    const file = blockFile();
    writeFileSync(file, randomBytes(1024 * 1024));
    const open = await refusal(file);
    assert.equal(open.error, "ERR_KV_FOREIGN");
    assert.match(open.message!, /not a tsuki\/kv store; nothing was changed/);
  });

  test("a device whose header sectors are zero but which holds data further on (like ext4's first KiB)", async () => {
    const file = blockFile();
    const bytes = Buffer.alloc(1024 * 1024);
    bytes.write("\x53\xef", 1024 + 0x38, "latin1");
    writeFileSync(file, bytes);
    assert.equal((await refusal(file)).error, "ERR_KV_FOREIGN");
  });

  test("an all-zero device is formatted: slot 1 gets the first superblock", async () => {
    const file = blockFile();
    writeFileSync(file, Buffer.alloc(256 * 1024));
    assert.deepEqual(await okSteps(file, [["put", "a", "1"]]), [true]);
    const bytes = readFileSync(file);
    assert.equal(bytes.subarray(512, 520).toString(), "tsuki-kv");
    assert.ok(bytes.subarray(0, 512).every((b) => b === 0));
  });

  test("a store of a newer format version (ERR_KV_VERSION)", async () => {
    const file = blockFile();
    await okSteps(file, [["put", "a", "1"]], { size: "256K" });
    const bytes = readFileSync(file);
    const slot = bytes.subarray(512, 1024);
    slot.writeUInt32LE(2, 8);
    slot.writeUInt32LE(crc32c(slot.subarray(0, 60)), 60);
    writeFileSync(file, bytes);
    const open = await refusal(file);
    assert.equal(open.error, "ERR_KV_VERSION");
    assert.match(open.message!, /format version 2; this library reads version 1/);
  });

  test("a store whose superblocks are both damaged (ERR_KV_CORRUPT)", async () => {
    const file = blockFile();
    await okSteps(file, [["put", "a", "1"]], { size: "256K" });
    const bytes = readFileSync(file);
    bytes[512 + 20]! ^= 0xff;
    writeFileSync(file, bytes);
    assert.equal((await refusal(file)).error, "ERR_KV_CORRUPT");
  });

  test("a store on a device that changed size, and a device too small for a store (ERR_KV_GEOMETRY)", async () => {
    const file = blockFile();
    await okSteps(file, [["put", "a", "1"]], { size: "256K" });
    truncateSync(file, 512 * 1024);
    const open = await refusal(file);
    assert.equal(open.error, "ERR_KV_GEOMETRY");
    assert.match(open.message!, /made on a device of 262144 bytes/);
    const tiny = blockFile();
    assert.equal((await runSteps(tiny, [], { size: "4K" })).open.error, "ERR_KV_GEOMETRY");
  });

  test("invalid keys and values with ERR_KV_KEY, ERR_KV_VALUE and E2BIG, without touching the store", async () => {
    const { results } = await runSteps(blockFile(), [
      ["put", "", "x"],
      ["put", "a\ud800b", "x"],
      ["put", "k".repeat(1025), "x"],
      ["put", "é".repeat(513), "x"],
      ["put", "k".repeat(1024), "ok"],
      ["get", null],
      ["delete", ""],
      ["put", "v", 42],
      ["list", { limit: -1 }],
      ["fill", "big", 2 * 1024 * 1024, 0],
      ["size"],
    ], { size: "1M" });
    assert.deepEqual(results.map((r) => r.error ?? r.ok), ["ERR_KV_KEY", "ERR_KV_KEY", "ERR_KV_KEY", "ERR_KV_KEY", true, "ERR_KV_KEY", "ERR_KV_KEY", "ERR_KV_VALUE", "ERR_KV_VALUE", "E2BIG", 1]);
    assert.match(results[3]!.message!, /1026 bytes of UTF-8; the most is 1024/);
    assert.match(results[1]!.message!, /lone surrogate/);
  });
});

describe("crc32c", () => {
  test("matches the standard check value and continues across chunks", () => {
    const text = new TextEncoder().encode("123456789");
    assert.equal(crc32c(text), 0xe3069283);
    assert.equal(crc32c(text.subarray(4), crc32c(text.subarray(0, 4))), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  });
});
