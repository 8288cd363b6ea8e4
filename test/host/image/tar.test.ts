/**
 * The image container, a deterministic ustar archive, checked against a real peer we did not
 * write: GNU tar lists and unpacks what we write, and our strict reader accepts the regular-file
 * archives GNU tar writes and refuses everything an image must not be.
 */

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { type TarEntry, readTar, writeTar } from "../../../src/host/image/tar.ts";
import { craftImage, tempDir } from "../../helpers.ts";

const BLOCK = 512;

const gnuTar = spawnSync("tar", ["--version"], { encoding: "utf8" });
const NO_GNU_TAR = gnuTar.status === 0 && gnuTar.stdout.includes("GNU tar") ? undefined : "GNU tar is not on PATH: the container cannot be checked against a real peer";
/** Runs GNU tar in UTC (its listing shows dates in the local time zone). */
const tar = (...args: string[]) => execFileSync("tar", args, { encoding: "utf8", env: { ...process.env, TZ: "UTC", LC_ALL: "C" } });

/** Deterministic bytes (xorshift32), so a failure can be replayed. */
function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Entries whose sizes straddle block boundaries, the empty file included. */
const ENTRIES: TarEntry[] = [
  { path: "manifest.json", data: Buffer.from('{"x":1}\n') },
  { path: "main.js", data: bytes(513, 2) },
  { path: "assets/empty", data: new Uint8Array(0) },
  { path: "assets/one-block.bin", data: bytes(512, 3) },
  { path: "assets/sub/dir/last.bin", data: bytes(5000, 4) },
];
/** An asset path of 126 bytes: longer than the 100-byte name field, so the ustar prefix holds its folders. */
const LONG_PATH = `assets/${"folder-name-".repeat(5)}x/${"d".repeat(40)}/${"file".repeat(5)}.txt`;

function writeArchiveBytes(archive: Uint8Array): string {
  const file = path.join(tempDir(), "archive.tsuki");
  writeFileSync(file, archive);
  return file;
}

const writeArchive = (entries: readonly TarEntry[]): string => writeArchiveBytes(writeTar(entries));

/** Recomputes a header's checksum after a test changed it. */
function fixChecksum(archive: Uint8Array, at: number): void {
  const h = archive.subarray(at, at + BLOCK);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  Buffer.from(`${sum.toString(8).padStart(6, "0")}\0 `, "ascii").copy(h, 148);
}

describe("GNU tar reads what we write", { skip: NO_GNU_TAR }, () => {
  test("tar -tvf lists an image's entries in order, as 0644 files of 0/0 dated 1970-01-01", () => {
    const listing = tar("-tvf", writeArchive(ENTRIES)).trimEnd().split("\n");
    assert.equal(listing.length, ENTRIES.length);
    listing.forEach((line, i) => {
      const entry = ENTRIES[i]!;
      const fields = line.split(/\s+/);
      assert.deepEqual(fields.slice(0, 3), ["-rw-r--r--", "0/0", String(entry.data.length)], line);
      assert.deepEqual(fields.slice(3, 5), ["1970-01-01", "00:00"], line);
      assert.equal(fields.slice(5).join(" "), entry.path, line);
    });
  });

  test("tar -tvf lists a built image's manifest.json then main.js", () => {
    const listing = tar("-tvf", writeArchiveBytes(craftImage("export default 1;\n")));
    assert.match(listing, /^-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00 manifest\.json\n-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00 main\.js\n$/);
  });

  test("tar -xf extracts files byte-identical to what was written", () => {
    const out = tempDir();
    tar("-xf", writeArchive(ENTRIES), "-C", out);
    for (const entry of ENTRIES) assert.ok(readFileSync(path.join(out, entry.path)).equals(Buffer.from(entry.data)), entry.path);
  });

  test("a path longer than 100 bytes is stored with the ustar prefix and unpacked whole", () => {
    assert.ok(Buffer.byteLength(LONG_PATH) > 100);
    const data = bytes(700, 5);
    const file = writeArchive([{ path: LONG_PATH, data }]);
    assert.equal(tar("-tf", file), `${LONG_PATH}\n`);
    const out = tempDir();
    tar("-xf", file, "-C", out);
    assert.ok(readFileSync(path.join(out, LONG_PATH)).equals(Buffer.from(data)));
  });
});

describe("our reader reads what GNU tar writes", { skip: NO_GNU_TAR }, () => {
  test("a ustar archive of regular files made by GNU tar, long path included, reads back byte for byte", () => {
    const src = tempDir();
    const files = [{ path: "a.txt", data: Buffer.from("a\n") }, { path: LONG_PATH, data: Buffer.from(bytes(1500, 6)) }];
    for (const f of files) {
      mkdirSync(path.dirname(path.join(src, f.path)), { recursive: true });
      writeFileSync(path.join(src, f.path), f.data);
    }
    const archive = path.join(tempDir(), "gnu.tar");
    tar("--format=ustar", "-cf", archive, "-C", src, ...files.map((f) => f.path));
    const read = readTar(readFileSync(archive));
    assert.deepEqual(
      read.map((e) => ({ path: e.path, data: Buffer.from(e.data) })),
      files,
    );
  });

  test("a symbolic link made by GNU tar is refused as not a regular file", () => {
    const src = tempDir();
    writeFileSync(path.join(src, "target.txt"), "t");
    symlinkSync("target.txt", path.join(src, "link"));
    const archive = path.join(tempDir(), "link.tar");
    tar("--format=ustar", "-cf", archive, "-C", src, "target.txt", "link");
    assert.throws(() => readTar(readFileSync(archive)), { code: "ERR_IMAGE_MALFORMED", message: /"link" is not a regular file/ });
  });

  test("a folder entry made by GNU tar is refused as not a regular file", () => {
    const src = tempDir();
    mkdirSync(path.join(src, "dir"));
    writeFileSync(path.join(src, "dir/f"), "f");
    const archive = path.join(tempDir(), "dir.tar");
    tar("--format=ustar", "-cf", archive, "-C", src, "dir");
    assert.throws(() => readTar(readFileSync(archive)), { code: "ERR_IMAGE_MALFORMED", message: /"dir\/" is not a regular file/ });
  });

  test("an archive in GNU tar's own format (not ustar) is refused", () => {
    const src = tempDir();
    writeFileSync(path.join(src, "f"), "f");
    const archive = path.join(tempDir(), "gnu.tar");
    tar("--format=gnu", "-cf", archive, "-C", src, "f");
    assert.throws(() => readTar(readFileSync(archive)), { code: "ERR_IMAGE_MALFORMED", message: /not a ustar header/ });
  });
});

describe("our own round trip", () => {
  test("what writeTar writes, readTar reads back: same paths, same bytes, same order", () => {
    const read = readTar(writeTar(ENTRIES));
    assert.deepEqual(
      read.map((e) => [e.path, Buffer.from(e.data)]),
      ENTRIES.map((e) => [e.path, Buffer.from(e.data)]),
    );
  });

  test("a path longer than 100 bytes round-trips through the ustar prefix", () => {
    const [entry] = readTar(writeTar([{ path: LONG_PATH, data: bytes(10) }]));
    assert.equal(entry!.path, LONG_PATH);
  });

  test("a UTF-8 path round-trips", () => {
    const [entry] = readTar(writeTar([{ path: "assets/月/ツキ.txt", data: bytes(3) }]));
    assert.equal(entry!.path, "assets/月/ツキ.txt");
  });

  test("the archive is a whole number of blocks ending in two zero blocks", () => {
    const archive = writeTar(ENTRIES);
    assert.equal(archive.length % BLOCK, 0);
    assert.ok(archive.subarray(archive.length - 2 * BLOCK).every((b) => b === 0));
  });

  test("the same entries always give the same bytes", () => {
    assert.ok(Buffer.from(writeTar(ENTRIES)).equals(Buffer.from(writeTar(ENTRIES))));
  });

  test("a path longer than 255 bytes cannot be written", () => {
    assert.throws(() => writeTar([{ path: `assets/${"a/".repeat(130)}f`, data: bytes(1) }]), { code: "ERR_BUILD_ASSETS" });
  });

  test("a path whose last segment is longer than 100 bytes cannot be written", () => {
    assert.throws(() => writeTar([{ path: `assets/${"a".repeat(120)}`, data: bytes(1) }]), { code: "ERR_BUILD_ASSETS", message: /last segment/ });
  });
});

describe("our reader refuses what an image must not be", () => {
  const good = () => writeTar(ENTRIES);

  test("an archive whose length is not a multiple of 512 is truncated", () => {
    for (const cut of [1, 100, 511]) {
      const archive = good();
      assert.throws(() => readTar(archive.subarray(0, archive.length - cut)), { code: "ERR_IMAGE_TRUNCATED" });
    }
  });

  test("an archive cut at a block boundary before its end marker is truncated", () => {
    const archive = good();
    // Every whole-block cut short of the full end marker: inside data, after an entry, half a marker.
    for (let length = BLOCK; length < archive.length; length += BLOCK) {
      assert.throws(() => readTar(archive.subarray(0, length)), { code: "ERR_IMAGE_TRUNCATED" }, `cut at ${length}`);
    }
  });

  test("a header with a wrong checksum is malformed", () => {
    const archive = good();
    archive[0] = "n".charCodeAt(0); // "manifest.json" → "nanifest.json", checksum left as it was
    assert.throws(() => readTar(archive), { code: "ERR_IMAGE_MALFORMED", message: /checksum/ });
  });

  test("a header whose size field is not octal is malformed", () => {
    const archive = good();
    Buffer.from("0000000009x\0", "ascii").copy(archive, 124);
    fixChecksum(archive, 0);
    assert.throws(() => readTar(archive), { code: "ERR_IMAGE_MALFORMED", message: /number field/ });
  });

  test("a header whose size runs past the end of the archive is truncated", () => {
    const archive = good();
    Buffer.from(`${(archive.length * 2).toString(8).padStart(11, "0")}\0`, "ascii").copy(archive, 124);
    fixChecksum(archive, 0);
    assert.throws(() => readTar(archive), { code: "ERR_IMAGE_TRUNCATED", message: /manifest\.json/ });
  });

  test("the same name twice is malformed", () => {
    const archive = writeTar([ENTRIES[0]!, ENTRIES[1]!, ENTRIES[0]!]);
    assert.throws(() => readTar(archive), { code: "ERR_IMAGE_MALFORMED", message: /"manifest\.json" appears twice/ });
  });

  test("data after the end marker is malformed", () => {
    const archive = good();
    const extra = writeTar([{ path: "smuggled.js", data: Buffer.from("evil()") }]);
    const joined = Buffer.concat([archive, extra]);
    assert.throws(() => readTar(joined), { code: "ERR_IMAGE_MALFORMED", message: /after its end-of-archive marker/ });
  });

  test("zero blocks after the end marker are accepted, as tar pads archives to whole records", () => {
    const padded = Buffer.concat([good(), new Uint8Array(8 * BLOCK)]);
    assert.equal(readTar(padded).length, ENTRIES.length);
  });

  test("a non-zero byte in the padding after an entry's data is malformed", () => {
    const archive = good();
    const padding = BLOCK + ENTRIES[0]!.data.length + 10; // inside manifest.json's padding
    archive[padding] = 1;
    assert.throws(() => readTar(archive), { code: "ERR_IMAGE_MALFORMED", message: /padding/ });
  });

  test("an entry of another type (a hard link) is malformed", () => {
    const archive = good();
    archive[156] = "1".charCodeAt(0);
    fixChecksum(archive, 0);
    assert.throws(() => readTar(archive), { code: "ERR_IMAGE_MALFORMED", message: /not a regular file/ });
  });

  test("a block that is not a ustar header is malformed", () => {
    const archive = Buffer.concat([bytes(BLOCK, 9), new Uint8Array(2 * BLOCK)]);
    assert.throws(() => readTar(archive), { code: "ERR_IMAGE_MALFORMED", message: /not a ustar header/ });
  });
});
