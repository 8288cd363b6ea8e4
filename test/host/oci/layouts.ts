/**
 * OCI layouts for the unpack tests: a good one made by pack, and hand-made ones with one thing
 * wrong each, every blob still hashed right (so the check that fires is the one under test).
 */

import { writeFileSync } from "node:fs";
import path from "node:path";
import { sha256 } from "../../../src/host/image/image.ts";
import { writeTar } from "../../../src/host/image/tar.ts";
import { packImage, writeLayout } from "../../../src/host/oci/pack.ts";
import { ANNOTATION, LAYER_FILE, MEDIA_TYPE } from "../../../src/host/oci/spec.ts";
import { craftImage, tempDir } from "../../helpers.ts";

export const TSUKI = craftImage("export default { start() {} };", { name: "oci-test", version: "1.2.3" });
export const TAG = "oci-test:1.2.3";

/** A layout folder made by pack. */
export function packedLayout(tsuki: Uint8Array = TSUKI, tag = TAG): string {
  const dir = path.join(tempDir("tsuki-oci-"), "layout");
  writeLayout(dir, packImage(tsuki, tag));
  return dir;
}

export interface Parts {
  layers?: { data: Uint8Array; mediaType?: string }[];
  annotations?: Record<string, string>;
  /** Changes the config (as an object) before it is written. */
  config?: (config: Record<string, unknown>) => void;
  /** Changes the manifest (as an object) before it is written. */
  manifest?: (manifest: Record<string, unknown>) => void;
  /** Changes the index's manifest descriptor. */
  descriptor?: (descriptor: Record<string, unknown>) => void;
  layoutVersion?: string;
}

const put = (dir: string, data: Uint8Array) => {
  const digest = `sha256:${sha256(data)}`;
  writeFileSync(path.join(dir, "blobs", "sha256", digest.slice(7)), data);
  return digest;
};

/** A layout written by hand from `parts`; by default what pack writes for TSUKI. */
export function customLayout(parts: Parts = {}): string {
  const dir = packedLayout(); // for its folders; its files are overwritten or left unreferenced
  const layers = parts.layers ?? [{ data: writeTar([{ path: LAYER_FILE, data: TSUKI }]) }];
  const layerDescriptors = layers.map((l) => ({ mediaType: l.mediaType ?? MEDIA_TYPE.layer, digest: put(dir, l.data), size: l.data.length }));
  const config: Record<string, unknown> = { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layerDescriptors.map((d) => d.digest) } };
  parts.config?.(config);
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.manifest,
    config: { mediaType: MEDIA_TYPE.config, digest: put(dir, configBytes), size: configBytes.length },
    layers: layerDescriptors,
    annotations: parts.annotations ?? { [ANNOTATION.tsukiName]: "oci-test", [ANNOTATION.tsukiSha256]: sha256(TSUKI) },
  };
  parts.manifest?.(manifest);
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const descriptor: Record<string, unknown> = { mediaType: MEDIA_TYPE.manifest, digest: put(dir, manifestBytes), size: manifestBytes.length, annotations: { [ANNOTATION.refName]: TAG } };
  parts.descriptor?.(descriptor);
  writeFileSync(path.join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [descriptor] }));
  if (parts.layoutVersion !== undefined) writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: parts.layoutVersion }));
  return dir;
}

/** Sets a tar header's type flag (and its checksum) to make entries writeTar does not. */
export function retype(tar: Uint8Array, headerAt: number, type: string): Uint8Array {
  const out = Uint8Array.from(tar);
  out[headerAt + 156] = type.charCodeAt(0);
  out.fill(0x20, headerAt + 148, headerAt + 156);
  let sum = 0;
  for (let i = headerAt; i < headerAt + 512; i++) sum += out[i]!;
  Buffer.from(`${sum.toString(8).padStart(6, "0")}\0 `, "latin1").copy(out, headerAt + 148);
  return out;
}
