/**
 * tsuki oci unpack refuses every malformed OCI image with its own stable code, before it writes
 * anything: each case below breaks one thing of an otherwise good layout or archive.
 */

import assert from "node:assert/strict";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { sha256 } from "../../../src/host/image/image.ts";
import { writeTar } from "../../../src/host/image/tar.ts";
import { archiveBytes, packImage } from "../../../src/host/oci/pack.ts";
import { ANNOTATION, LAYER_FILE, MEDIA_TYPE } from "../../../src/host/oci/spec.ts";
import { unpackImage } from "../../../src/host/oci/unpack.ts";
import { tempDir } from "../../helpers.ts";
import { TAG, TSUKI, customLayout, packedLayout, retype } from "./layouts.ts";

const layerOf = (entries: { path: string; data: Uint8Array }[]) => [{ data: writeTar(entries) }];
const index = (dir: string) => JSON.parse(readFileSync(path.join(dir, "index.json"), "utf8"));
const blobFile = (dir: string, digest: string) => path.join(dir, "blobs/sha256", digest.slice(7));
const archiveFile = (bytes: Uint8Array) => {
  const file = path.join(tempDir(), "bad.tar");
  writeFileSync(file, bytes);
  return file;
};

const CASES: { name: string; code: string; where: () => string; tag?: string; maxImageBytes?: number }[] = [
  { name: "a folder that is no layout", code: "ERR_OCI_LAYOUT", where: () => tempDir() },
  { name: "a path where nothing is", code: "ERR_OCI_LAYOUT", where: () => path.join(tempDir(), "absent") },
  { name: "a device, which could be read without end", code: "ERR_OCI_LAYOUT", where: () => "/dev/zero" },
  { name: "a layout of version 2.0.0", code: "ERR_OCI_LAYOUT", where: () => customLayout({ layoutVersion: "2.0.0" }) },
  { name: "an index.json that is not JSON", code: "ERR_OCI_MALFORMED", where: () => { const d = packedLayout(); writeFileSync(path.join(d, "index.json"), "{"); return d; } },
  { name: "an index.json over 4 MiB", code: "ERR_OCI_TOO_LARGE", where: () => { const d = packedLayout(); writeFileSync(path.join(d, "index.json"), " ".repeat(5 * 2 ** 20)); return d; } },
  { name: "a descriptor whose digest is not sha256", code: "ERR_OCI_MALFORMED", where: () => customLayout({ descriptor: (d) => (d.digest = `sha512:${"0".repeat(128)}`) }) },
  { name: "a manifest of schemaVersion 1", code: "ERR_OCI_MALFORMED", where: () => customLayout({ manifest: (m) => (m.schemaVersion = 1) }) },
  { name: "a missing blob (the layer deleted)", code: "ERR_OCI_BLOB_MISSING", where: () => { const d = packedLayout(); const m = JSON.parse(readFileSync(blobFile(d, index(d).manifests[0].digest), "utf8")); unlinkSync(blobFile(d, m.layers[0].digest)); return d; } },
  { name: "a blob changed by one byte (the config)", code: "ERR_OCI_DIGEST", where: () => { const d = packedLayout(); const m = JSON.parse(readFileSync(blobFile(d, index(d).manifests[0].digest), "utf8")); const f = blobFile(d, m.config.digest); const b = readFileSync(f); b[b.length - 2]! ^= 1; writeFileSync(f, b); return d; } },
  { name: "a descriptor whose size is not the blob's", code: "ERR_OCI_DIGEST", where: () => customLayout({ descriptor: (d) => (d.size = (d.size as number) + 1) }) },
  { name: "a Docker manifest media type in the index", code: "ERR_OCI_MEDIA_TYPE", where: () => customLayout({ descriptor: (d) => (d.mediaType = "application/vnd.docker.distribution.manifest.v2+json") }) },
  { name: "a nested index", code: "ERR_OCI_MEDIA_TYPE", where: () => customLayout({ descriptor: (d) => (d.mediaType = MEDIA_TYPE.index) }) },
  { name: "a zstd layer", code: "ERR_OCI_MEDIA_TYPE", where: () => customLayout({ manifest: (m) => ((m.layers as { mediaType: string }[])[0]!.mediaType = "application/vnd.oci.image.layer.v1.tar+zstd") }) },
  { name: "a config of another media type", code: "ERR_OCI_MEDIA_TYPE", where: () => customLayout({ manifest: (m) => ((m.config as { mediaType: string }).mediaType = "application/vnd.example+json") }) },
  { name: "two layers", code: "ERR_OCI_LAYER", where: () => customLayout({ layers: [...layerOf([{ path: LAYER_FILE, data: TSUKI }]), ...layerOf([{ path: "other", data: new Uint8Array(1) }])] }) },
  { name: "no layer", code: "ERR_OCI_LAYER", where: () => customLayout({ layers: [] }) },
  { name: "a layer with a second file", code: "ERR_OCI_LAYER", where: () => customLayout({ layers: layerOf([{ path: LAYER_FILE, data: TSUKI }, { path: "etc/passwd", data: new Uint8Array(3) }]) }) },
  { name: "a layer whose file has another name", code: "ERR_OCI_LAYER", where: () => customLayout({ layers: layerOf([{ path: "hello.tsuki", data: TSUKI }]) }) },
  { name: "a layer whose entry is a symlink", code: "ERR_OCI_LAYER", where: () => customLayout({ layers: [{ data: retype(writeTar([{ path: LAYER_FILE, data: new Uint8Array(0) }]), 0, "2") }] }) },
  { name: "a layer that climbs out with ..", code: "ERR_OCI_LAYER_PATH", where: () => customLayout({ layers: layerOf([{ path: `../${LAYER_FILE}`, data: TSUKI }]) }) },
  { name: "a layer with an absolute path", code: "ERR_OCI_LAYER_PATH", where: () => customLayout({ layers: layerOf([{ path: `/etc/${LAYER_FILE}`, data: TSUKI }]) }) },
  { name: "a layer that is not a tar", code: "ERR_OCI_LAYER", where: () => customLayout({ layers: [{ data: new Uint8Array(1024).fill(7) }] }) },
  { name: "a gzip layer that is not gzip", code: "ERR_OCI_LAYER", where: () => customLayout({ layers: [{ data: new Uint8Array(100).fill(7), mediaType: MEDIA_TYPE.layerGzip }] }) },
  { name: "a .tsuki over --max-size", code: "ERR_OCI_TOO_LARGE", where: () => packedLayout(), maxImageBytes: 1024 },
  { name: "a config whose diff_id is not the layer's", code: "ERR_OCI_DIGEST", where: () => customLayout({ config: (c) => ((c.rootfs as { diff_ids: string[] }).diff_ids = [`sha256:${"0".repeat(64)}`]) }) },
  { name: "a .tsuki whose SHA-256 is not the annotation's", code: "ERR_OCI_DIGEST", where: () => customLayout({ annotations: { [ANNOTATION.tsukiName]: "oci-test", [ANNOTATION.tsukiSha256]: "0".repeat(64) } }) },
  { name: "no dev.tsuki.image.sha256 annotation", code: "ERR_OCI_ANNOTATION", where: () => customLayout({ annotations: { [ANNOTATION.tsukiName]: "oci-test" } }) },
  { name: "a dev.tsuki.image.name that is not the image's", code: "ERR_OCI_ANNOTATION", where: () => customLayout({ annotations: { [ANNOTATION.tsukiName]: "other", [ANNOTATION.tsukiSha256]: sha256(TSUKI) } }) },
  { name: "a layer holding what is not a tsuki image", code: "ERR_IMAGE_MALFORMED", where: () => { const junk = new Uint8Array(1024).fill(1); return customLayout({ layers: layerOf([{ path: LAYER_FILE, data: junk }]), annotations: { [ANNOTATION.tsukiName]: "x", [ANNOTATION.tsukiSha256]: sha256(junk) } }); } },
  { name: "a --tag the index does not hold", code: "ERR_OCI_REF", where: () => packedLayout(), tag: "oci-test:9" },
  { name: "two manifests and no --tag", code: "ERR_OCI_REF", where: () => { const d = packedLayout(); const i = index(d); i.manifests.push({ ...i.manifests[0], annotations: { [ANNOTATION.refName]: "b" } }); writeFileSync(path.join(d, "index.json"), JSON.stringify(i)); return d; } },
  { name: "an archive with an entry no layout has", code: "ERR_OCI_LAYOUT", where: () => archiveFile(writeTar([...packImage(TSUKI, TAG).files, { path: "etc/passwd", data: new Uint8Array(1) }])) },
  { name: "an archive with an entry that climbs out", code: "ERR_OCI_LAYER_PATH", where: () => archiveFile(writeTar([{ path: "../oci-layout", data: new Uint8Array(1) }])) },
  { name: "an archive cut short", code: "ERR_OCI_LAYOUT", where: () => archiveFile(archiveBytes(packImage(TSUKI, TAG)).subarray(0, 2048)) },
  { name: "an archive with a damaged header", code: "ERR_OCI_LAYOUT", where: () => { const b = Uint8Array.from(archiveBytes(packImage(TSUKI, TAG))); b[3]! ^= 1; return archiveFile(b); } },
  { name: "an archive with a hard link", code: "ERR_OCI_LAYOUT", where: () => archiveFile(retype(archiveBytes(packImage(TSUKI, TAG)), 0, "1")) },
];

describe("tsuki oci unpack refuses a malformed OCI image", () => {
  for (const c of CASES) {
    test(`${c.name}: ${c.code}`, () => {
      const where = c.where();
      assert.throws(() => unpackImage(where, { ...(c.tag ? { tag: c.tag } : {}), ...(c.maxImageBytes ? { maxImageBytes: c.maxImageBytes } : {}) }), (error: Error & { code?: string }) => {
        assert.equal(error.code, c.code, error.message);
        assert.ok(error.message.length > 20);
        return true;
      });
    });
  }

  test("the good layout the cases start from unpacks", () => {
    assert.deepEqual(Buffer.from(unpackImage(customLayout()).tsuki), Buffer.from(TSUKI));
  });
});
