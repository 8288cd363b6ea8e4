/**
 * The block device end to end on the isolate target: creation at the bound size, many-sector
 * reads and writes that reach the file, alignment and bounds as EINVAL values, flush, and the
 * boot errors for a file of the wrong size.
 */

import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import type { Image } from "../../src/host/image/image.ts";
import { buildSource, tempDir, testTender } from "../helpers.ts";

async function run(image: Image, uri: string) {
  const { tender, lines } = testTender("isolate");
  const unikernel = await tender.boot(image, { bindings: [{ name: "data", uri }] });
  const status = await unikernel.exited;
  return { status, out: lines.map((l) => l.text) };
}

let writer: Promise<Image> | undefined;
const writerImage = () =>
  (writer ??= buildSource(`import { unikernel, block } from "tsuki";
    export default unikernel({ devices: { data: block() }, async start({ data, console }) {
      console.log(data.size, data.sectorSize);
      const big = new Uint8Array(3 * 1024 * 1024 + 4096);
      for (let i = 0; i < big.length; i++) big[i] = i % 251;
      data.write(4096, big);
      await data.flush();
      const back = data.read(4096, big.length);
      console.log(back.every((b, i) => b === i % 251));
      const errors = [];
      for (const bad of [() => data.read(100, 512), () => data.read(0, 100), () => data.write(data.size, new Uint8Array(512)), () => data.read(0, 2 * 1024 * 1024 + 512).length]) {
        try { const r = bad(); errors.push(typeof r === "number" ? "ok" : "no error"); } catch (e) { errors.push(e.code); }
      }
      console.log(errors.join(" "));
    } });`));

describe("block device", () => {
  test("is created at the bound size; writes of many sectors reach the file and read back", async () => {
    const file = path.join(tempDir(), "disk.img");
    const r = await run(await writerImage(), `file:${file}?size=8M`);
    assert.equal(r.status.code, 0, r.status.reason);
    assert.deepEqual(r.out, [`${8 * 2 ** 20} 512`, "true", "EINVAL EINVAL EINVAL ok"]);
    assert.equal(statSync(file).size, 8 * 2 ** 20);
    const bytes = readFileSync(file);
    assert.equal(bytes[4096 + 300], 300 % 251);
    assert.equal(bytes[0], 0);
  });

  test("an existing file keeps its contents across boots, and its size is checked", async () => {
    const file = path.join(tempDir(), "disk.img");
    const image = await buildSource(`import { unikernel, block } from "tsuki";
      export default unikernel({ devices: { data: block() }, async start({ data, console }) {
        const first = data.read(0, 512);
        console.log(first[0]);
        first[0] += 1;
        data.write(0, first);
        await data.flush();
      } });`);
    writeFileSync(file, Buffer.alloc(1024 * 1024));
    assert.deepEqual((await run(image, `file:${file}`)).out, ["0"]);
    assert.deepEqual((await run(image, `file:${file}?size=1M`)).out, ["1"]);
    const { tender } = testTender("isolate");
    await assert.rejects(tender.boot(image, { bindings: [{ name: "data", uri: `file:${file}?size=2M` }] }), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ERR_DEV_OPEN");
      assert.match(error.message, /1048576 bytes but the binding says size=2M/);
      return true;
    });
  });

  test("a missing file without a size, a bad sector size and an odd-sized file are boot errors", async () => {
    const dir = tempDir();
    const image = await writerImage();
    const { tender } = testTender("isolate");
    const boot = (uri: string) => tender.boot(image, { bindings: [{ name: "data", uri }] });
    await assert.rejects(boot(`file:${path.join(dir, "absent.img")}`), /does not exist; give its size/);
    await assert.rejects(boot(`file:${path.join(dir, "x.img")}?size=1M&sector=1000`), /power of two/);
    writeFileSync(path.join(dir, "odd.img"), Buffer.alloc(1000));
    await assert.rejects(boot(`file:${path.join(dir, "odd.img")}`), /not a positive multiple of the sector size/);
  });
});
