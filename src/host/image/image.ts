/**
 * @module host/image/image
 * The image: `manifest.json`, the bundled module `main.js`, its source map `main.js.map` (when
 * the manifest lists one) and the embedded assets under `assets/`, in one deterministic tar
 * archive named by its SHA-256.
 *
 * `readImage` is what the tender trusts: it checks the archive, the manifest, that the files are
 * exactly those the manifest lists with the sizes and SHA-256 it records (a changed byte anywhere
 * is caught), and that the tender speaks the image's ABI version.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ASSETS_DIR, ENTRY_PATH, MANIFEST_PATH, type Manifest, SOURCE_MAP_PATH, SUPPORTED_ABI_VERSIONS, parseManifest } from "../../abi/index.ts";
import { TsukiError } from "../common/errors.ts";
import { readTar, writeTar } from "./tar.ts";

export interface Image {
  /** SHA-256 of the whole archive, in hex: the image's name. */
  readonly sha256: string;
  readonly size: number;
  readonly manifest: Manifest;
  /** The bundled ES module. */
  readonly entry: string;
  /** Asset contents, in manifest order. */
  readonly assets: readonly Uint8Array[];
  /** The entry's source map, unparsed (the tender parses it only to print a stack); undefined if the image has none. */
  readonly sourceMap?: Uint8Array;
}

export const sha256 = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex");

/** Serialises a manifest the same way every time: keys in a fixed order, two-space indent. */
export function manifestBytes(manifest: Manifest): Uint8Array {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
}

export function writeImage(manifest: Manifest, entry: string | Uint8Array, assets: readonly Uint8Array[], sourceMap?: Uint8Array): Uint8Array {
  if ((manifest.sourceMap === undefined) !== (sourceMap === undefined)) throw new Error("writeImage: a source map needs its manifest entry, and the entry its map");
  return writeTar([
    { path: MANIFEST_PATH, data: manifestBytes(manifest) },
    { path: ENTRY_PATH, data: typeof entry === "string" ? Buffer.from(entry, "utf8") : entry },
    ...(sourceMap === undefined ? [] : [{ path: SOURCE_MAP_PATH, data: sourceMap }]),
    ...manifest.assets.map((asset, i) => ({ path: ASSETS_DIR + asset.path, data: assets[i]! })),
  ]);
}

export function loadImage(path: string): Image {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new TsukiError("IMAGE_NOT_FOUND", `no image at ${path}: build one with "tsuki build <dir>" or check the path`);
    if (code === "EISDIR") throw new TsukiError("IMAGE_NOT_FOUND", `${path} is a folder, not an image`);
    throw new TsukiError("IMAGE_NOT_FOUND", `cannot read the image ${path}: ${(error as Error).message}`);
  }
  return readImage(bytes);
}

export function readImage(bytes: Uint8Array): Image {
  if (bytes.length === 0) throw new TsukiError("IMAGE_TRUNCATED", "the image is empty");
  const files = new Map(readTar(bytes).map((e) => [e.path, e.data]));

  const raw = files.get(MANIFEST_PATH);
  if (raw === undefined) throw new TsukiError("IMAGE_MALFORMED", `the image has no ${MANIFEST_PATH}: it is not a tsuki image`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw).toString("utf8"));
  } catch (error) {
    throw new TsukiError("IMAGE_MANIFEST", `the image's ${MANIFEST_PATH} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = parseManifest(json);
  if (!parsed.ok) throw new TsukiError("IMAGE_MANIFEST", `the image's ${MANIFEST_PATH} is invalid: ${parsed.problems[0]}`, parsed.problems);
  const manifest = parsed.manifest;

  if (!SUPPORTED_ABI_VERSIONS.includes(manifest.abi)) {
    throw new TsukiError(
      "IMAGE_ABI",
      `image "${manifest.name}" was built for ABI version ${manifest.abi}, but this tender speaks ${SUPPORTED_ABI_VERSIONS.join(", ")}: rebuild it with this tsuki ("tsuki build")`,
    );
  }
  if (manifest.entry.path !== ENTRY_PATH) throw new TsukiError("IMAGE_MANIFEST", `manifest.entry.path must be "${ENTRY_PATH}", found "${manifest.entry.path}"`);

  const expected = [
    { path: ENTRY_PATH, entry: manifest.entry },
    ...manifest.assets.map((a) => ({ path: ASSETS_DIR + a.path, entry: a })),
    ...(manifest.sourceMap === undefined ? [] : [{ path: SOURCE_MAP_PATH, entry: manifest.sourceMap }]),
  ];
  const contents: Uint8Array[] = [];
  for (const { path, entry } of expected) {
    const data = files.get(path);
    if (data === undefined) throw new TsukiError("IMAGE_TAMPERED", `the manifest lists ${path} but the image does not hold it`);
    if (data.length !== entry.size || sha256(data) !== entry.sha256) {
      throw new TsukiError("IMAGE_TAMPERED", `${path} does not match the SHA-256 the manifest records for it: the image was changed after it was built`);
    }
    contents.push(data);
    files.delete(path);
  }
  files.delete(MANIFEST_PATH);
  for (const extra of files.keys()) throw new TsukiError("IMAGE_TAMPERED", `the image holds ${extra}, which its manifest does not list`);

  return {
    sha256: sha256(bytes),
    size: bytes.length,
    manifest,
    entry: Buffer.from(contents[0]!).toString("utf8"),
    assets: contents.slice(1, 1 + manifest.assets.length),
    ...(manifest.sourceMap === undefined ? {} : { sourceMap: contents[1 + manifest.assets.length]! }),
  };
}
