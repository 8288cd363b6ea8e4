/**
 * tsuki oci pack: what the OCI image holds (image-spec v1.1), that the same .tsuki and tag give
 * the same digest, and that unpack gives the same bytes back from a folder and from an archive.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, test } from "node:test";
import { sha256 } from "../../../src/host/image/image.ts";
import { readTar } from "../../../src/host/image/tar.ts";
import { archiveBytes, packImage } from "../../../src/host/oci/pack.ts";
import { parseReference } from "../../../src/host/oci/reference.ts";
import { ANNOTATION, MEDIA_TYPE, hostPlatform } from "../../../src/host/oci/spec.ts";
import { unpackImage } from "../../../src/host/oci/unpack.ts";
import { craftImage, tempDir } from "../../helpers.ts";
import { TAG, TSUKI, customLayout, packedLayout } from "./layouts.ts";

const file = (packed: ReturnType<typeof packImage>, name: string) => packed.files.find((f) => f.path === name)!.data;
const json = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString("utf8"));
const blob = (packed: ReturnType<typeof packImage>, digest: string) => file(packed, `blobs/sha256/${digest.slice(7)}`);

describe("tsuki oci pack", () => {
  const packed = packImage(TSUKI, TAG);
  const index = json(file(packed, "index.json"));
  const manifest = json(blob(packed, packed.digest));
  const config = json(blob(packed, manifest.config.digest));

  test("an image layout: oci-layout 1.0.0 and an index whose one manifest carries the tag and containerd's name", () => {
    assert.deepEqual(json(file(packed, "oci-layout")), { imageLayoutVersion: "1.0.0" });
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, MEDIA_TYPE.index);
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0].digest, packed.digest);
    assert.equal(index.manifests[0].mediaType, MEDIA_TYPE.manifest);
    assert.deepEqual(index.manifests[0].annotations, { [ANNOTATION.containerdName]: "docker.io/library/oci-test:1.2.3", [ANNOTATION.refName]: TAG });
  });

  test("the manifest: one uncompressed tar layer, a config, annotations naming the .tsuki and its SHA-256", () => {
    assert.equal(manifest.schemaVersion, 2);
    assert.equal(manifest.mediaType, MEDIA_TYPE.manifest);
    assert.equal(manifest.config.mediaType, MEDIA_TYPE.config);
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0].mediaType, MEDIA_TYPE.layer);
    assert.equal(manifest.annotations[ANNOTATION.tsukiSha256], sha256(TSUKI));
    assert.equal(manifest.annotations[ANNOTATION.tsukiName], "oci-test");
    assert.equal(manifest.annotations[ANNOTATION.tsukiVersion], "1.2.3");
    for (const d of [manifest.config, manifest.layers[0]]) {
      assert.equal(d.digest, `sha256:${sha256(blob(packed, d.digest))}`);
      assert.equal(d.size, blob(packed, d.digest).length);
    }
  });

  test("the config: this host's os and architecture in Go's spelling, the Entrypoint, the layer's diff_id, no created time", () => {
    const { os, architecture } = hostPlatform();
    assert.equal(config.os, os);
    assert.equal(config.architecture, architecture);
    if (process.arch === "x64") assert.equal(config.architecture, "amd64");
    assert.deepEqual(config.config.Entrypoint, ["/unikernel.tsuki"]);
    assert.deepEqual(config.rootfs, { type: "layers", diff_ids: [manifest.layers[0].digest] });
    assert.equal(config.created, undefined);
    assert.equal(config.history, undefined);
  });

  test("the layer is a tar of exactly unikernel.tsuki, the image's bytes", () => {
    const entries = readTar(blob(packed, manifest.layers[0].digest));
    assert.deepEqual(entries.map((e) => e.path), ["unikernel.tsuki"]);
    assert.deepEqual(Buffer.from(entries[0]!.data), Buffer.from(TSUKI));
  });

  test("deterministic: the same .tsuki and tag give the same digest and archive bytes; another image another digest, another tag only another index", () => {
    const again = packImage(Uint8Array.from(TSUKI), TAG);
    assert.equal(again.digest, packed.digest);
    assert.deepEqual(Buffer.from(archiveBytes(again)), Buffer.from(archiveBytes(packed)));
    // The tag is the index's, not the manifest's: retagging keeps the digest, as it does in a registry.
    const retagged = packImage(TSUKI, "oci-test:1.2.4");
    assert.equal(retagged.digest, packed.digest);
    assert.notDeepEqual(Buffer.from(file(retagged, "index.json")), Buffer.from(file(packed, "index.json")));
    assert.notEqual(packImage(craftImage("export default { start() { } };", { name: "oci-test", version: "1.2.3" }), TAG).digest, packed.digest);
  });

  test("unpack gives the same bytes back from the layout folder and from the archive", () => {
    const dir = packedLayout();
    const archive = path.join(tempDir(), "image.tar");
    writeFileSync(archive, archiveBytes(packed));
    for (const where of [dir, archive]) {
      const back = unpackImage(where, { tag: TAG });
      assert.deepEqual(Buffer.from(back.tsuki), Buffer.from(TSUKI));
      assert.equal(back.digest, packed.digest);
      assert.equal(back.ref, TAG);
      assert.equal(back.name, "oci-test");
    }
    // Without --tag: the index holds one manifest. By containerd's full name too.
    assert.equal(unpackImage(dir).digest, packed.digest);
    assert.equal(unpackImage(dir, { tag: "docker.io/library/oci-test:1.2.3" }).digest, packed.digest);
  });

  test("unpack takes a gzip layer (what skopeo and registries may make of ours)", () => {
    const layer = readFileSync(path.join(packedLayout(), "blobs/sha256", manifest.layers[0].digest.slice(7)));
    const dir = customLayout({ layers: [{ data: gzipSync(layer), mediaType: MEDIA_TYPE.layerGzip }], config: (c) => ((c.rootfs as { diff_ids: string[] }).diff_ids = [manifest.layers[0].digest]) });
    assert.deepEqual(Buffer.from(unpackImage(dir).tsuki), Buffer.from(TSUKI));
  });
});

describe("--tag NAME:VERSION", () => {
  test("short names get containerd's docker.io/library/, names with a registry keep it", () => {
    assert.equal(parseReference("hello:1.0").fullName, "docker.io/library/hello:1.0");
    assert.equal(parseReference("team/hello:1.0").fullName, "docker.io/team/hello:1.0");
    assert.equal(parseReference("localhost:5000/hello:v2").fullName, "localhost:5000/hello:v2");
    assert.equal(parseReference("registry.example/a/b:1").fullName, "registry.example/a/b:1");
  });

  for (const bad of ["hello", "Hello:1.0", "hello:", "hello:-x", "hello@sha256:00", "a//b:1", ":1.0", "hello:1.0/x", "bad host!/x:1"]) {
    test(`${JSON.stringify(bad)} is refused with ERR_FLAG_VALUE`, () => {
      assert.throws(() => parseReference(bad), { code: "ERR_FLAG_VALUE" });
    });
  }
});
