/**
 * @module host/oci/unpack
 * `tsuki oci unpack`: the `.tsuki` back out of an OCI image, from a layout folder or an
 * oci-archive, whoever wrote it (tsuki, skopeo, a registry). Nothing is trusted: the manifest is
 * chosen by its tag (its `ref.name`, or the name containerd gave it), every blob is checked against its descriptor's size and digest, every media
 * type against what tsuki packs, the manifest must have exactly one layer (an uncompressed or
 * gzip tar) whose uncompressed digest is the config's one diff_id and which holds only
 * `unikernel.tsuki`, and that file must hash to the manifest's `dev.tsuki.image.sha256`, carry
 * the name of its `dev.tsuki.image.name`, and be a valid tsuki image.
 */

import { gunzipSync } from "node:zlib";
import { TsukiError } from "../common/errors.ts";
import { readImage, sha256 } from "../image/image.ts";
import { parseConfig, parseIndex, parseLayoutFile, parseManifest } from "./documents.ts";
import { parseReference } from "./reference.ts";
import { type LayoutSource, openSource } from "./source.ts";
import { ANNOTATION, type Descriptor, LAYER_FILE, LIMITS, MEDIA_TYPE } from "./spec.ts";
import { readEntries } from "./tar-entries.ts";

export interface UnpackOptions {
  /** The manifest to take, by its `org.opencontainers.image.ref.name`; needed when the index holds several. */
  readonly tag?: string;
  /** The largest `.tsuki` (and layer) accepted; 256 MiB by default. */
  readonly maxImageBytes?: number;
}

export interface Unpacked {
  /** The `.tsuki`'s bytes, checked in full. */
  readonly tsuki: Uint8Array;
  readonly sha256: string;
  readonly name: string;
  /** The manifest's digest, `sha256:…`, and its tag (if the index gives one). */
  readonly digest: string;
  readonly ref?: string;
  readonly os: string;
  readonly architecture: string;
}

export function unpackImage(where: string, options: UnpackOptions = {}): Unpacked {
  const maxImage = options.maxImageBytes ?? LIMITS.imageBytes;
  const source = openSource(where, maxImage + 64 * 1024);
  const required = (file: string) => {
    const bytes = source.read(file, LIMITS.documentBytes);
    if (bytes === undefined) throw new TsukiError("OCI_LAYOUT", `${source.where} has no ${file}: it is not an OCI image layout`);
    return bytes;
  };
  parseLayoutFile(required("oci-layout"));
  const index = parseIndex(required("index.json"));
  const chosen = chooseManifest(index.manifests, options.tag, source.where);
  expectType(chosen, [MEDIA_TYPE.manifest], "the manifest");
  const manifest = parseManifest(blob(source, chosen, "the manifest", LIMITS.documentBytes), `the manifest ${chosen.digest}`);
  expectType(manifest.config, [MEDIA_TYPE.config], "the image config");
  if (manifest.layers.length !== 1) throw new TsukiError("OCI_LAYER", `the manifest ${chosen.digest} has ${manifest.layers.length} layers; a tsuki OCI image has exactly one, holding ${LAYER_FILE}`);
  const layerDescriptor = manifest.layers[0]!;
  expectType(layerDescriptor, [MEDIA_TYPE.layer, MEDIA_TYPE.layerGzip], "the layer");
  const config = parseConfig(blob(source, manifest.config, "the image config", LIMITS.documentBytes), `the image config ${manifest.config.digest}`);

  let layer = blob(source, layerDescriptor, "the layer", maxImage + 64 * 1024);
  if (layerDescriptor.mediaType === MEDIA_TYPE.layerGzip) layer = gunzip(layer, maxImage + 64 * 1024);
  const diffId = `sha256:${sha256(layer)}`;
  if (config.diffIds.length !== 1 || config.diffIds[0] !== diffId) {
    throw new TsukiError("OCI_DIGEST", `the layer's uncompressed digest ${diffId} is not the image config's one diff_id (${config.diffIds.join(", ") || "none"})`);
  }
  const tsuki = layerFile(layer, maxImage);

  const expected = manifest.annotations[ANNOTATION.tsukiSha256];
  if (expected === undefined) throw new TsukiError("OCI_ANNOTATION", `the manifest ${chosen.digest} has no ${ANNOTATION.tsukiSha256} annotation: it was not packed by tsuki oci pack`);
  const actual = sha256(tsuki);
  if (actual !== expected) throw new TsukiError("OCI_DIGEST", `${LAYER_FILE} hashes to ${actual}, not to the ${expected} of the manifest's ${ANNOTATION.tsukiSha256}`);
  const image = readImage(tsuki);
  const named = manifest.annotations[ANNOTATION.tsukiName];
  if (named !== image.manifest.name) {
    throw new TsukiError("OCI_ANNOTATION", `the manifest's ${ANNOTATION.tsukiName} is ${JSON.stringify(named ?? null)}, but the image inside is "${image.manifest.name}"`);
  }
  const ref = chosen.annotations?.[ANNOTATION.refName];
  return { tsuki, sha256: actual, name: image.manifest.name, digest: chosen.digest, ...(ref === undefined ? {} : { ref }), os: config.os, architecture: config.architecture };
}

function chooseManifest(manifests: readonly Descriptor[], tag: string | undefined, where: string): Descriptor {
  const tags = manifests.map((m) => m.annotations?.[ANNOTATION.refName]).filter((t) => t !== undefined);
  const list = tags.length > 0 ? `its tags: ${tags.join(", ")}` : "none is tagged";
  if (tag !== undefined) {
    const full = fullNameOf(tag);
    const found = manifests.filter((m) => {
      const names = [m.annotations?.[ANNOTATION.refName], m.annotations?.[ANNOTATION.containerdName]];
      return names.includes(tag) || (full !== undefined && names.includes(full));
    });
    if (found.length !== 1) throw new TsukiError("OCI_REF", `${where} has ${found.length === 0 ? "no" : "more than one"} manifest tagged "${tag}" (${list})`);
    return found[0]!;
  }
  if (manifests.length !== 1) throw new TsukiError("OCI_REF", `${where} holds ${manifests.length} manifests: choose one with --tag (${list})`);
  return manifests[0]!;
}

/** The containerd name of a tag (`hello:1.0` → `docker.io/library/hello:1.0`), if it is one. */
function fullNameOf(tag: string): string | undefined {
  try {
    return parseReference(tag).fullName;
  } catch {
    return undefined;
  }
}

function expectType(descriptor: Descriptor, types: readonly string[], what: string): void {
  if (!types.includes(descriptor.mediaType)) {
    throw new TsukiError("OCI_MEDIA_TYPE", `${what} (${descriptor.digest}) is of media type ${descriptor.mediaType}; tsuki unpacks only ${types.join(" or ")}`);
  }
}

/** A blob, checked against its descriptor's size and digest. */
function blob(source: LayoutSource, descriptor: Descriptor, what: string, maxBytes: number): Uint8Array {
  const file = `blobs/sha256/${descriptor.digest.slice("sha256:".length)}`;
  if (descriptor.size > maxBytes) throw new TsukiError("OCI_TOO_LARGE", `${what} (${descriptor.digest}) is ${descriptor.size} bytes, more than the ${maxBytes} accepted`);
  const bytes = source.read(file, maxBytes);
  if (bytes === undefined) throw new TsukiError("OCI_BLOB_MISSING", `${source.where} has no blob ${descriptor.digest}, ${what}`);
  if (bytes.length !== descriptor.size) throw new TsukiError("OCI_DIGEST", `${what} (${descriptor.digest}) is ${bytes.length} bytes, but its descriptor says ${descriptor.size}`);
  const digest = `sha256:${sha256(bytes)}`;
  if (digest !== descriptor.digest) throw new TsukiError("OCI_DIGEST", `${what} hashes to ${digest}, not to the ${descriptor.digest} that names it: it was changed`);
  return bytes;
}

function gunzip(bytes: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw new TsukiError("OCI_TOO_LARGE", `the layer uncompresses to more than the ${maxBytes} bytes accepted`);
    throw new TsukiError("OCI_LAYER", `the layer is not a gzip stream: ${(error as Error).message}`);
  }
}

/** The layer's one file, unikernel.tsuki. */
function layerFile(layer: Uint8Array, maxImage: number): Uint8Array {
  const entries = readEntries(layer, "the layer", "OCI_LAYER", maxImage);
  const others = entries.filter((e) => e.path !== LAYER_FILE || e.type !== "file");
  if (others.length > 0 || entries.length !== 1) {
    throw new TsukiError("OCI_LAYER", `the layer holds ${entries.map((e) => `"${e.path}"`).join(", ")}; a tsuki layer holds only the file ${LAYER_FILE}`);
  }
  return entries[0]!.data;
}
