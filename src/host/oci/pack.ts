/**
 * @module host/oci/pack
 * `tsuki oci pack`: a `.tsuki` image as an OCI image (image-spec v1.1), as an image layout folder
 * and as an oci-archive (the same files in one tar) that `ctr images import` and skopeo read.
 *
 * One uncompressed layer holds the `.tsuki` at `/unikernel.tsuki` (written by the image's own
 * deterministic tar writer: mode 0644, uid/gid 0, mtime 0). Uncompressed on purpose: a gzip
 * stream's bytes depend on the compressor's version and level, so the digest would too; a
 * registry may still compress it on the way (unpack accepts `tar+gzip`). The config has no
 * `created` field and no history, the JSON is written with keys in a fixed order, and the files
 * of the archive are in a fixed order: the same `.tsuki` on the same platform gives the same
 * manifest digest, on any machine, at any time (the tag is the index's, so retagging keeps it).
 */

import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TsukiError } from "../common/errors.ts";
import { readImage, sha256 } from "../image/image.ts";
import { type TarEntry, writeTar } from "../image/tar.ts";
import { parseReference } from "./reference.ts";
import { ANNOTATION, type Descriptor, ENTRYPOINT, LAYER_FILE, LAYOUT_VERSION, MEDIA_TYPE, hostPlatform } from "./spec.ts";

export interface PackedImage {
  /** The manifest's digest, `sha256:…`: what names this OCI image. */
  readonly digest: string;
  readonly ref: string;
  /** The containerd name `ctr images import` gives it (`docker.io/library/hello:1.0`). */
  readonly fullName: string;
  /** The SHA-256 of the `.tsuki` inside. */
  readonly imageSha256: string;
  /** The layout's files, relative to its folder, in the order they are written. */
  readonly files: readonly TarEntry[];
}

export interface PackOptions {
  /** Another platform than this host's, as OCI spells it. */
  readonly platform?: { os: string; architecture: string };
}

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value), "utf8");
const blobPath = (digest: string) => `blobs/sha256/${digest.slice("sha256:".length)}`;

function blob(mediaType: string, data: Uint8Array, annotations?: Record<string, string>): { descriptor: Descriptor; data: Uint8Array } {
  return { descriptor: { mediaType, digest: `sha256:${sha256(data)}`, size: data.length, ...(annotations ? { annotations } : {}) }, data };
}

/** Packs the `.tsuki` bytes (checked in full first) as an OCI image tagged `tag` (NAME:VERSION). */
export function packImage(tsuki: Uint8Array, tag: string, options: PackOptions = {}): PackedImage {
  const reference = parseReference(tag);
  const image = readImage(tsuki);
  const { name, version } = image.manifest;
  const labels = { [ANNOTATION.tsukiName]: name, [ANNOTATION.tsukiVersion]: version, [ANNOTATION.tsukiSha256]: image.sha256 };
  const layer = blob(MEDIA_TYPE.layer, writeTar([{ path: LAYER_FILE, data: tsuki }]));
  const { os, architecture } = options.platform ?? hostPlatform();
  const config = blob(
    MEDIA_TYPE.config,
    json({
      architecture,
      os,
      config: { Entrypoint: [ENTRYPOINT], Labels: labels },
      rootfs: { type: "layers", diff_ids: [layer.descriptor.digest] },
    }),
  );
  const manifest = blob(
    MEDIA_TYPE.manifest,
    json({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.manifest,
      config: config.descriptor,
      layers: [layer.descriptor],
      annotations: { [ANNOTATION.title]: name, [ANNOTATION.version]: version, ...labels },
    }),
    { [ANNOTATION.containerdName]: reference.fullName, [ANNOTATION.refName]: reference.ref },
  );
  const index = json({ schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: [manifest.descriptor] });
  const blobs = [config, layer, manifest].map((b) => ({ path: blobPath(b.descriptor.digest), data: b.data }));
  return {
    digest: manifest.descriptor.digest,
    ref: reference.ref,
    fullName: reference.fullName,
    imageSha256: image.sha256,
    files: [{ path: "oci-layout", data: json({ imageLayoutVersion: LAYOUT_VERSION }) }, { path: "index.json", data: index }, ...blobs],
  };
}

/** The oci-archive: the layout's files in one deterministic tar. */
export function archiveBytes(packed: PackedImage): Uint8Array {
  return writeTar(packed.files);
}

/** Writes the layout folder `dir`, which must not exist or be empty. */
export function writeLayout(dir: string, packed: PackedImage): void {
  let existing: string[] = [];
  try {
    existing = readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new TsukiError("OCI_OUT", `${dir} is a file, not a folder: --out names the layout folder to make`);
    if (code !== "ENOENT") throw new TsukiError("OCI_OUT", `cannot read ${dir}: ${(error as Error).message}`);
  }
  if (existing.length > 0) throw new TsukiError("OCI_OUT", `${dir} exists and is not empty: remove it or choose another --out`);
  try {
    mkdirSync(path.join(dir, "blobs", "sha256"), { recursive: true });
    for (const file of packed.files) writeFileSync(path.join(dir, file.path), file.data);
  } catch (error) {
    throw new TsukiError("OCI_OUT", `cannot write the layout ${dir}: ${(error as Error).message}`);
  }
}
