/**
 * readImage / loadImage: what the tender trusts. Every way an image can be missing, cut short,
 * damaged, changed after its build or built for another ABI is refused with a stable code.
 */

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { ABI_VERSION, SUPPORTED_ABI_VERSIONS } from "../../../src/abi/index.ts";
import { loadImage, manifestBytes, readImage, sha256, writeImage } from "../../../src/host/image/image.ts";
import { type TarEntry, readTar, writeTar } from "../../../src/host/image/tar.ts";
import { craftImage, tempDir } from "../../helpers.ts";

const CODE = `import "./nothing";\nexport default 1;\n`.repeat(40); // more than one block of main.js
const ASSETS = [
  { path: "css/site.css", data: Buffer.from("h1 { color: red }\n") },
  { path: "index.html", data: Buffer.from("<h1>hi</h1>\n") },
];

/** A valid image holding main.js and two assets. */
function imageWithAssets(): Uint8Array {
  const base = readImage(craftImage(CODE)).manifest;
  const manifest = { ...base, assets: ASSETS.map((a) => ({ path: a.path, size: a.data.length, sha256: sha256(a.data) })) };
  return writeImage(manifest, CODE, ASSETS.map((a) => a.data));
}

/** The archive's entries as a plain list, to change and write back with writeTar. */
const entries = (image: Uint8Array): TarEntry[] => readTar(image).map((e) => ({ path: e.path, data: Uint8Array.from(e.data) }));

/** Where `file`'s data begins in `image`. */
function offsetOf(image: Uint8Array, file: string): number {
  const entry = readTar(image).find((e) => e.path === file);
  assert.ok(entry, `the image holds ${file}`);
  return entry.data.byteOffset - image.byteOffset;
}

function writeFile(bytes: Uint8Array | string): string {
  const file = path.join(tempDir(), "image.tsuki");
  writeFileSync(file, bytes);
  return file;
}

describe("a good image", () => {
  test("readImage returns its manifest, entry, assets and the SHA-256 of the whole archive", () => {
    const bytes = imageWithAssets();
    const image = readImage(bytes);
    assert.equal(image.sha256, sha256(bytes));
    assert.equal(image.size, bytes.length);
    assert.equal(image.entry, CODE);
    assert.deepEqual(image.manifest.assets.map((a) => a.path), ["css/site.css", "index.html"]);
    assert.deepEqual(image.assets.map((a) => Buffer.from(a)), ASSETS.map((a) => a.data));
  });

  test("loadImage reads an image from a file", () => {
    const bytes = craftImage(CODE);
    assert.equal(loadImage(writeFile(bytes)).sha256, sha256(bytes));
  });
});

describe("an image that cannot be read", () => {
  test("a missing file is ERR_IMAGE_NOT_FOUND, naming the path", () => {
    const file = path.join(tempDir(), "nope.tsuki");
    assert.throws(() => loadImage(file), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ERR_IMAGE_NOT_FOUND");
      assert.ok(error.message.includes(file), error.message);
      assert.match(error.message, /tsuki build/);
      return true;
    });
  });

  test("a folder given as the image is ERR_IMAGE_NOT_FOUND, saying it is a folder", () => {
    const dir = path.join(tempDir(), "hello.tsuki");
    mkdirSync(dir);
    assert.throws(() => loadImage(dir), { code: "ERR_IMAGE_NOT_FOUND", message: /is a folder/ });
  });

  test("an empty file is ERR_IMAGE_TRUNCATED", () => {
    assert.throws(() => loadImage(writeFile("")), { code: "ERR_IMAGE_TRUNCATED", message: /empty/ });
  });

  test("random bytes of an odd length are ERR_IMAGE_TRUNCATED", () => {
    assert.throws(() => readImage(Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + 13) & 0xff)), { code: "ERR_IMAGE_TRUNCATED" });
  });

  test("random bytes in whole blocks are ERR_IMAGE_MALFORMED, saying it is not an image", () => {
    assert.throws(() => readImage(Uint8Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) & 0xff)), { code: "ERR_IMAGE_MALFORMED", message: /not a tsuki image/ });
  });

  test("a text file is refused", () => {
    assert.throws(() => loadImage(writeFile("export default 1;\n".repeat(100))), { code: /^ERR_IMAGE_(TRUNCATED|MALFORMED)$/ });
  });

  test("an image cut in half is ERR_IMAGE_TRUNCATED", () => {
    const bytes = imageWithAssets();
    assert.throws(() => readImage(bytes.subarray(0, bytes.length / 2)), { code: "ERR_IMAGE_TRUNCATED" });
    assert.throws(() => readImage(bytes.subarray(0, Math.floor(bytes.length / 2) + 1)), { code: "ERR_IMAGE_TRUNCATED" });
  });

  test("an image with its last byte cut off is ERR_IMAGE_TRUNCATED", () => {
    const bytes = craftImage(CODE);
    assert.throws(() => readImage(bytes.subarray(0, bytes.length - 1)), { code: "ERR_IMAGE_TRUNCATED" });
  });

  test("a tar archive with no manifest.json is ERR_IMAGE_MALFORMED, saying it is not a tsuki image", () => {
    assert.throws(() => readImage(writeTar([{ path: "main.js", data: Buffer.from(CODE) }])), { code: "ERR_IMAGE_MALFORMED", message: /no manifest\.json/ });
  });
});

describe("an image changed after its build", () => {
  test("one byte flipped inside main.js is ERR_IMAGE_TAMPERED, naming main.js", () => {
    const bytes = imageWithAssets();
    bytes[offsetOf(bytes, "main.js") + 100]! ^= 0x01;
    assert.throws(() => readImage(bytes), { code: "ERR_IMAGE_TAMPERED", message: /main\.js does not match/ });
  });

  test("one byte flipped inside an asset is ERR_IMAGE_TAMPERED, naming the asset", () => {
    const bytes = imageWithAssets();
    bytes[offsetOf(bytes, "assets/index.html")]! ^= 0x20;
    assert.throws(() => readImage(bytes), { code: "ERR_IMAGE_TAMPERED", message: /assets\/index\.html does not match/ });
  });

  test("main.js replaced by other code of the same size is ERR_IMAGE_TAMPERED", () => {
    const files = entries(craftImage(CODE));
    files[1] = { path: "main.js", data: Buffer.from(CODE.replace("nothing", "evil!!!")) };
    assert.equal(files[1].data.length, Buffer.byteLength(CODE));
    assert.throws(() => readImage(writeTar(files)), { code: "ERR_IMAGE_TAMPERED" });
  });

  test("a manifest listing an asset the image does not hold is ERR_IMAGE_TAMPERED, naming the file", () => {
    const files = entries(imageWithAssets()).filter((e) => e.path !== "assets/css/site.css");
    assert.throws(() => readImage(writeTar(files)), { code: "ERR_IMAGE_TAMPERED", message: /lists assets\/css\/site\.css but the image does not hold it/ });
  });

  test("an image without main.js is ERR_IMAGE_TAMPERED, naming main.js", () => {
    const files = entries(craftImage(CODE)).filter((e) => e.path !== "main.js");
    assert.throws(() => readImage(writeTar(files)), { code: "ERR_IMAGE_TAMPERED", message: /lists main\.js/ });
  });

  test("an image holding a file its manifest does not list is ERR_IMAGE_TAMPERED, naming the file", () => {
    for (const extra of ["assets/extra.js", "preload.js"]) {
      const files = [...entries(imageWithAssets()), { path: extra, data: Buffer.from("evil()") }];
      assert.throws(() => readImage(writeTar(files)), { code: "ERR_IMAGE_TAMPERED", message: new RegExp(`holds ${extra.replace(".", "\\.")}, which its manifest does not list`) });
    }
  });

  test("an entry whose size differs from the manifest's is ERR_IMAGE_TAMPERED", () => {
    const files = entries(craftImage(CODE));
    files[1] = { path: "main.js", data: Buffer.from(`${CODE}\n`) };
    assert.throws(() => readImage(writeTar(files)), { code: "ERR_IMAGE_TAMPERED" });
  });
});

describe("a bad manifest", () => {
  /** An image whose manifest.json holds `text`, with a good main.js. */
  const withManifest = (text: string | Uint8Array) => writeTar([{ path: "manifest.json", data: Buffer.from(text) }, { path: "main.js", data: Buffer.from(CODE) }]);

  test("a manifest that is not JSON is ERR_IMAGE_MANIFEST", () => {
    assert.throws(() => readImage(withManifest("{ name: hello")), { code: "ERR_IMAGE_MANIFEST", message: /not valid JSON/ });
  });

  test("a manifest that is not valid UTF-8 JSON is ERR_IMAGE_MANIFEST", () => {
    assert.throws(() => readImage(withManifest(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]))), { code: "ERR_IMAGE_MANIFEST" });
  });

  test("a manifest that is JSON but not an object is ERR_IMAGE_MANIFEST", () => {
    for (const text of ["[]", "null", '"manifest"', "42"]) assert.throws(() => readImage(withManifest(text)), { code: "ERR_IMAGE_MANIFEST" });
  });

  test("an invalid manifest is ERR_IMAGE_MANIFEST, its details naming every bad key", () => {
    const good = JSON.parse(Buffer.from(entries(craftImage(CODE))[0]!.data).toString("utf8"));
    const bad = { ...good, name: "Bad Name", devices: { console: { kind: "tape" } } };
    assert.throws(
      () => readImage(withManifest(JSON.stringify(bad))),
      (error: Error & { code?: string; details?: readonly string[] }) => {
        assert.equal(error.code, "ERR_IMAGE_MANIFEST");
        for (const key of ["manifest.name", "manifest.devices.console ", "manifest.devices.console.kind"]) {
          assert.ok(error.details!.some((d) => d.startsWith(key)), `${key} in ${JSON.stringify(error.details)}`);
        }
        return true;
      },
    );
  });

  test("an entry path other than main.js is ERR_IMAGE_MANIFEST", () => {
    const base = readImage(craftImage(CODE)).manifest;
    const manifest = { ...base, entry: { ...base.entry, path: "evil.js" } };
    const bytes = writeTar([{ path: "manifest.json", data: manifestBytes(manifest) }, { path: "main.js", data: Buffer.from(CODE) }]);
    assert.throws(() => readImage(bytes), { code: "ERR_IMAGE_MANIFEST", message: /main\.js/ });
  });

  test("ABI version 99 is ERR_IMAGE_ABI, saying which versions this tender speaks and to rebuild", () => {
    assert.throws(() => readImage(craftImage(CODE, { abi: 99 })), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ERR_IMAGE_ABI");
      assert.match(error.message, /ABI version 99/);
      assert.ok(error.message.includes(`speaks ${SUPPORTED_ABI_VERSIONS.join(", ")}`), error.message);
      assert.match(error.message, /rebuild/);
      assert.match(error.message, /"crafted"/);
      return true;
    });
    assert.ok(SUPPORTED_ABI_VERSIONS.includes(ABI_VERSION));
  });
});
