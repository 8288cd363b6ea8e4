/**
 * @module abi/manifest
 * The image manifest (`manifest.json` inside every image): what the image is called, which ABI it
 * speaks, which devices it declares, which files it holds with their hashes, and the hashes of the
 * build inputs. `parseManifest` validates one read from an untrusted image; it never throws and
 * reports every problem it finds.
 */

import { type DeviceKind, DEVICE_KINDS, MAX_DEVICES, deviceNameProblem, isDeviceKind } from "./devices.ts";
import { parseOrigin } from "./origin.ts";
import { RUNTIME_PARTS, type RuntimePart, isRuntimePart } from "./runtime-parts.ts";

export const MANIFEST_FORMAT = "tsuki.image/1";
export const MANIFEST_PATH = "manifest.json";
export const ENTRY_PATH = "main.js";
/** The entry's source map: where each position of main.js comes from in the developer's files. */
export const SOURCE_MAP_PATH = "main.js.map";
export const ASSETS_DIR = "assets/";

/** An image name: lower-case letters, digits and dashes, like a DNS label. */
export const IMAGE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** An asset path: relative, "/"-separated, no "." or ".." segments, no control characters. */
const ASSET_PATH = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[^\u0000-\u001f\u007f\\]+$/;
const MAX_ASSET_PATH = 255 - ASSETS_DIR.length;

export interface FileEntry {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface DeviceDecl {
  readonly kind: DeviceKind;
  /** The unikernel runs without it: the operator may leave it unbound (`start` then gets undefined). */
  readonly optional?: true;
  /**
   * A connector's: the origin whose requests `fetch` sends through it, in canonical form
   * (origin.ts). The binding must suit it: `tls://` naming its host for https, `tcp://` for http.
   */
  readonly origin?: string;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly name: string;
  readonly version: string;
  readonly abi: number;
  readonly entry: FileEntry;
  /**
   * The entry's source map (Source Map v3, without the sources' text), which the tender reads only
   * to print a stack; absent in images built without one.
   */
  readonly sourceMap?: FileEntry;
  /** Device name → declaration, in name order. */
  readonly devices: Readonly<Record<string, DeviceDecl>>;
  /** Embedded assets in path order; `path` is relative to the assets folder. */
  readonly assets: readonly FileEntry[];
  /** Build input (relative path, or `tsuki:` for the SDK) → SHA-256, in path order. */
  readonly inputs: Readonly<Record<string, string>>;
  /** What built the image: tool → version. */
  readonly builder: Readonly<Record<string, string>>;
  /**
   * The optional parts of the guest runtime the image uses (runtime-parts.ts), sorted; absent when
   * it uses none, so that the images of earlier builds keep their bytes and their meaning.
   */
  readonly runtime?: readonly RuntimePart[];
}

export type ManifestResult = { ok: true; manifest: Manifest } | { ok: false; problems: string[] };

export function assetPathProblem(path: string): string | undefined {
  if (path.length === 0 || path.length > MAX_ASSET_PATH) return `asset path "${path}" must be 1–${MAX_ASSET_PATH} characters`;
  if (path.startsWith("/") || !ASSET_PATH.test(path)) return `asset path "${path}" must be relative, "/"-separated, without "." or ".." segments or control characters`;
  return undefined;
}

/** Validates a parsed `manifest.json`. Every problem is listed, each naming the key. */
export function parseManifest(json: unknown): ManifestResult {
  const problems: string[] = [];
  const bad = (key: string, why: string) => problems.push(`manifest.${key} ${why}`);
  if (!isRecord(json)) return { ok: false, problems: ["manifest.json must hold a JSON object"] };

  if (json.format !== MANIFEST_FORMAT) bad("format", `must be "${MANIFEST_FORMAT}", found ${show(json.format)}`);
  if (typeof json.name !== "string" || !IMAGE_NAME.test(json.name)) bad("name", `must be 1–63 lower-case letters, digits or dashes, found ${show(json.name)}`);
  if (typeof json.version !== "string" || json.version.length === 0 || json.version.length > 64) bad("version", `must be a string of 1–64 characters, found ${show(json.version)}`);
  if (!Number.isSafeInteger(json.abi) || (json.abi as number) < 1) bad("abi", `must be a positive integer, found ${show(json.abi)}`);
  fileEntry(json.entry, "entry", bad);
  if (json.sourceMap !== undefined && fileEntry(json.sourceMap, "sourceMap", bad) && json.sourceMap.path !== SOURCE_MAP_PATH) {
    bad("sourceMap.path", `must be "${SOURCE_MAP_PATH}", found ${show(json.sourceMap.path)}`);
  }

  if (!isRecord(json.devices)) bad("devices", "must be an object of device name → { kind, optional?, origin? }");
  else {
    const names = Object.keys(json.devices);
    if (names.length > MAX_DEVICES) bad("devices", `declares ${names.length} devices; at most ${MAX_DEVICES} are allowed`);
    for (const name of names) {
      const problem = deviceNameProblem(name);
      if (problem) bad(`devices.${name}`, `is invalid: ${problem}`);
      const decl = json.devices[name];
      if (!isRecord(decl) || !isDeviceKind(decl.kind)) bad(`devices.${name}.kind`, `must be one of ${DEVICE_KINDS.join(", ")}, found ${show(isRecord(decl) ? decl.kind : decl)}`);
      else if (decl.optional !== undefined && decl.optional !== true) bad(`devices.${name}.optional`, `must be true or absent, found ${show(decl.optional)}`);
      else if (Object.keys(decl).some((key) => key !== "kind" && key !== "optional" && key !== "origin")) bad(`devices.${name}`, "must hold only \"kind\", \"optional\" and \"origin\"");
      else if (decl.origin !== undefined) originProblem(decl.kind, decl.origin, name, bad);
    }
  }

  if (!Array.isArray(json.assets)) bad("assets", "must be an array");
  else {
    let previous = "";
    json.assets.forEach((asset, i) => {
      if (!fileEntry(asset, `assets[${i}]`, bad)) return;
      const problem = assetPathProblem(asset.path);
      if (problem) bad(`assets[${i}].path`, `is invalid: ${problem}`);
      if (asset.path <= previous) bad(`assets[${i}].path`, `must come after "${previous}" (sorted, no duplicates)`);
      previous = asset.path;
    });
  }

  stringMap(json.inputs, "inputs", (v) => typeof v === "string" && SHA256_HEX.test(v), "a SHA-256 in hex", bad);
  stringMap(json.builder, "builder", (v) => typeof v === "string" && v.length <= 64, "a version string", bad);
  if (json.runtime !== undefined) {
    const parts = json.runtime;
    if (!Array.isArray(parts) || parts.length === 0 || !parts.every(isRuntimePart)) bad("runtime", `must be a non-empty array of ${RUNTIME_PARTS.join(", ")}, or absent, found ${show(parts)}`);
    else if (parts.some((part, i) => i > 0 && part <= parts[i - 1]!)) bad("runtime", "must be sorted, without duplicates");
  }
  const known = new Set(["format", "name", "version", "abi", "entry", "sourceMap", "devices", "assets", "inputs", "builder", "runtime"]);
  for (const key of Object.keys(json)) if (!known.has(key)) bad(key, "is not a manifest key");

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, manifest: json as unknown as Manifest };
}

function originProblem(kind: DeviceKind, value: unknown, name: string, bad: (key: string, why: string) => void): void {
  if (kind !== "connector") return void bad(`devices.${name}.origin`, `is for connectors only, not a ${kind}`);
  const origin = parseOrigin(value);
  if (typeof origin === "string") bad(`devices.${name}.origin`, origin);
  else if (origin.text !== value) bad(`devices.${name}.origin`, `must be written in canonical form, ${JSON.stringify(origin.text)}, found ${show(value)}`);
}

function fileEntry(value: unknown, key: string, bad: (key: string, why: string) => void): value is FileEntry {
  if (!isRecord(value)) {
    bad(key, "must be an object { path, size, sha256 }");
    return false;
  }
  let ok = true;
  if (typeof value.path !== "string" || value.path.length === 0) (ok = false), bad(`${key}.path`, `must be a non-empty string, found ${show(value.path)}`);
  if (!Number.isSafeInteger(value.size) || (value.size as number) < 0) (ok = false), bad(`${key}.size`, `must be a byte count, found ${show(value.size)}`);
  if (typeof value.sha256 !== "string" || !SHA256_HEX.test(value.sha256)) (ok = false), bad(`${key}.sha256`, `must be a SHA-256 in lower-case hex, found ${show(value.sha256)}`);
  if (Object.keys(value).length !== 3) (ok = false), bad(key, "must hold only path, size and sha256");
  return ok;
}

function stringMap(value: unknown, key: string, valid: (v: unknown) => boolean, what: string, bad: (key: string, why: string) => void): void {
  if (!isRecord(value)) return void bad(key, "must be an object");
  for (const [k, v] of Object.entries(value)) if (!valid(v)) bad(`${key}["${k}"]`, `must be ${what}, found ${show(v)}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // A manifest is untrusted: one nested deeper than the stack lets JSON.stringify go is still a problem to name, not a crash.
    return Array.isArray(value) ? "an array nested too deeply to show" : "an object nested too deeply to show";
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
