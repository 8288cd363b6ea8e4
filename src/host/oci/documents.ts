/**
 * @module host/oci/documents
 * The one parser of the JSON an OCI image is made of: `oci-layout`, `index.json`, a manifest, an
 * image config. Every field tsuki reads is checked for its type and value (schemaVersion 2,
 * `sha256:` digests of 64 hex digits, sizes that are whole numbers, string maps of annotations),
 * and a document over 4 MiB is refused before it is parsed. Fields tsuki does not read are
 * ignored, as the image-spec says a reader must.
 */

import { TsukiError } from "../common/errors.ts";
import { type Descriptor, LAYOUT_VERSION, LIMITS, MEDIA_TYPE } from "./spec.ts";

export interface Index {
  readonly manifests: readonly Descriptor[];
}

export interface Manifest {
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations: Readonly<Record<string, string>>;
}

export interface Config {
  readonly os: string;
  readonly architecture: string;
  readonly diffIds: readonly string[];
}

type Json = Record<string, unknown>;

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function problem(what: string, message: string): TsukiError {
  return new TsukiError("OCI_MALFORMED", `${what} ${message}`);
}

/** Parses a document's bytes as a JSON object. */
export function parseJson(bytes: Uint8Array, what: string): Json {
  if (bytes.length > LIMITS.documentBytes) throw new TsukiError("OCI_TOO_LARGE", `${what} is ${bytes.length} bytes, more than the ${LIMITS.documentBytes} a document may be`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw problem(what, `is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw problem(what, "is not a JSON object");
  return value as Json;
}

function schemaVersion2(doc: Json, what: string): void {
  if (doc.schemaVersion !== 2) throw problem(what, `has schemaVersion ${JSON.stringify(doc.schemaVersion)}, not 2`);
}

/** A document's own mediaType, where it gives one, must be the one expected. */
function ownMediaType(doc: Json, expected: string, what: string): void {
  if (doc.mediaType !== undefined && doc.mediaType !== expected) {
    throw new TsukiError("OCI_MEDIA_TYPE", `${what} is of media type ${JSON.stringify(doc.mediaType)}, not ${expected}`);
  }
}

function annotations(value: unknown, what: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw problem(what, "has annotations that are not an object");
  for (const [key, v] of Object.entries(value)) if (typeof v !== "string") throw problem(what, `has an annotation ${key} that is not a string`);
  return value as Record<string, string>;
}

export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw problem(what, "is not a descriptor object");
  const d = value as Json;
  if (typeof d.mediaType !== "string" || d.mediaType === "") throw problem(what, "has no mediaType");
  if (typeof d.digest !== "string" || !DIGEST.test(d.digest)) throw problem(what, `has a digest ${JSON.stringify(d.digest)} that is not sha256: and 64 lowercase hex digits`);
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) throw problem(what, `has a size ${JSON.stringify(d.size)} that is not a whole number of bytes`);
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, annotations: annotations(d.annotations, what) };
}

export function parseLayoutFile(bytes: Uint8Array): void {
  const doc = parseJson(bytes, "oci-layout");
  if (doc.imageLayoutVersion !== LAYOUT_VERSION) {
    throw new TsukiError("OCI_LAYOUT", `oci-layout has imageLayoutVersion ${JSON.stringify(doc.imageLayoutVersion)}, not "${LAYOUT_VERSION}"`);
  }
}

export function parseIndex(bytes: Uint8Array): Index {
  const doc = parseJson(bytes, "index.json");
  schemaVersion2(doc, "index.json");
  ownMediaType(doc, MEDIA_TYPE.index, "index.json");
  if (!Array.isArray(doc.manifests)) throw problem("index.json", "has no manifests array");
  return { manifests: doc.manifests.map((m, i) => parseDescriptor(m, `index.json's manifests[${i}]`)) };
}

export function parseManifest(bytes: Uint8Array, what: string): Manifest {
  const doc = parseJson(bytes, what);
  schemaVersion2(doc, what);
  ownMediaType(doc, MEDIA_TYPE.manifest, what);
  if (!Array.isArray(doc.layers)) throw problem(what, "has no layers array");
  return {
    config: parseDescriptor(doc.config, `${what}'s config`),
    layers: doc.layers.map((l, i) => parseDescriptor(l, `${what}'s layers[${i}]`)),
    annotations: annotations(doc.annotations, what),
  };
}

export function parseConfig(bytes: Uint8Array, what: string): Config {
  const doc = parseJson(bytes, what);
  if (typeof doc.os !== "string" || doc.os === "") throw problem(what, "has no os");
  if (typeof doc.architecture !== "string" || doc.architecture === "") throw problem(what, "has no architecture");
  const rootfs = doc.rootfs as Json | undefined;
  if (typeof rootfs !== "object" || rootfs === null || rootfs.type !== "layers" || !Array.isArray(rootfs.diff_ids)) {
    throw problem(what, 'has no rootfs of type "layers" with diff_ids');
  }
  const diffIds = rootfs.diff_ids.map((id, i) => {
    if (typeof id !== "string" || !DIGEST.test(id)) throw problem(what, `has a diff_ids[${i}] that is not a sha256 digest`);
    return id;
  });
  return { os: doc.os, architecture: doc.architecture, diffIds };
}
