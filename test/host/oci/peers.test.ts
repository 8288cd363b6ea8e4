/**
 * What tsuki oci pack writes, read by peers we did not write: skopeo (inspect a layout, copy an
 * archive to a layout and a layout to an archive, each unpacked back to the same .tsuki) and
 * containerd (`ctr images import` into a containerd the test starts as root with its own root,
 * state and socket; `ctr images export` unpacked back). Each skips with the reason when the tool
 * is absent or the test is not root.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { archiveBytes, packImage, writeLayout } from "../../../src/host/oci/pack.ts";
import { hostPlatform } from "../../../src/host/oci/spec.ts";
import { unpackImage } from "../../../src/host/oci/unpack.ts";
import { type Containerd, startContainerd } from "../../containerd.ts";
import { tempDir, hasTool } from "../../helpers.ts";
import { TAG, TSUKI } from "./layouts.ts";

const T = { timeout: 60_000 };
const run = (command: string, args: string[]) => execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const packed = packImage(TSUKI, TAG);
const work = tempDir("tsuki-oci-peers-");
const layout = path.join(work, "layout");
const archive = path.join(work, "image.tar");
writeLayout(layout, packed);
writeFileSync(archive, archiveBytes(packed));
const same = (where: string, tag?: string) => assert.deepEqual(Buffer.from(unpackImage(where, tag === undefined ? {} : { tag }).tsuki), Buffer.from(TSUKI));

describe("skopeo reads what pack writes, and unpack reads what skopeo writes", { skip: hasTool("skopeo") ? undefined : "skopeo is not installed (Debian package skopeo)" }, () => {
  test("skopeo inspect oci:DIR:TAG shows the manifest digest, this host's platform and the tsuki labels", T, () => {
    const info = JSON.parse(run("skopeo", ["inspect", `oci:${layout}:${TAG}`]));
    assert.equal(info.Digest, packed.digest);
    assert.equal(info.Os, hostPlatform().os);
    assert.equal(info.Architecture, hostPlatform().architecture);
    assert.equal(info.Labels["dev.tsuki.image.sha256"], packed.imageSha256);
    assert.equal(info.Layers.length, 1);
  });

  test("skopeo copy oci-archive:FILE oci:OTHER:TAG, then unpack OTHER gives the same .tsuki", T, () => {
    const other = path.join(work, "skopeo-layout");
    run("skopeo", ["--insecure-policy", "copy", "-q", `oci-archive:${archive}`, `oci:${other}:${TAG}`]);
    same(other, TAG);
  });

  test("skopeo copy oci:DIR:TAG oci-archive:FILE, then unpack FILE (skopeo's tar: folders, its own headers) gives the same .tsuki", T, () => {
    const file = path.join(work, "skopeo.tar");
    run("skopeo", ["--insecure-policy", "copy", "-q", `oci:${layout}:${TAG}`, `oci-archive:${file}:${TAG}`]);
    same(file, TAG);
  });
});

const containerdSkip = process.getuid?.() !== 0 ? "not root: containerd needs root" : !hasTool("containerd") || !hasTool("ctr") ? "containerd is not installed (Debian package containerd)" : undefined;

describe("ctr images import takes the archive into a containerd the test starts", { skip: containerdSkip }, () => {
  const dir = tempDir("tsuki-ctrd-");
  let containerd: Containerd | undefined;
  const ctr = (...args: string[]) => containerd!.ctr(...args);

  before(async () => {
    containerd = await startContainerd(dir);
  });

  after(async () => {
    await containerd?.stop();
  });

  test("the image is imported under containerd's full name with the manifest digest, and unpacks (snapshot) on import", T, () => {
    const out = ctr("images", "import", archive);
    assert.match(out, /docker\.io\/library\/oci-test:1\.2\.3/);
    const listed = ctr("images", "ls").split("\n").find((line) => line.startsWith("docker.io/library/oci-test:1.2.3 "));
    assert.ok(listed, "ctr images ls lists it");
    assert.ok(listed.includes(packed.digest), listed);
    assert.ok(listed.includes(`${hostPlatform().os}/${hostPlatform().architecture}`), listed);
  });

  test("ctr images export, then unpack by the tag or containerd's name gives the same .tsuki", T, () => {
    const exported = path.join(work, "exported.tar");
    ctr("images", "export", exported, "docker.io/library/oci-test:1.2.3");
    same(exported, TAG);
    same(exported, "docker.io/library/oci-test:1.2.3");
  });
});
