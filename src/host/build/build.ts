/**
 * @module host/build/build
 * `tsuki build <dir>`: finds the unikernel's entry, bundles it while the TypeScript compiler
 * checks it, checks it uses no global a unikernel does not have, reads its declaration, embeds its
 * assets and writes one deterministic image. The same source and packages give the same bytes in
 * any folder on any machine, whatever npm's layout: the unikernel's files are named by their path
 * in its folder, a package's by package@version/path (input-names.ts), entries sorted, no
 * timestamps.
 */

import { version as esbuildVersion } from "esbuild";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ABI_VERSION, ENTRY_PATH, IMAGE_NAME, MANIFEST_FORMAT, type Manifest, SOURCE_MAP_PATH } from "../../abi/index.ts";
import { TsukiError } from "../common/errors.ts";
import { TSUKI_VERSION } from "../common/version.ts";
import { collectAssets } from "./assets.ts";
import { bundle } from "./bundle.ts";
import { checkedDeclaration } from "./declaration.ts";
import { missingGlobals } from "./globals.ts";
import { throwFound } from "./problems.ts";
import { typeCheck } from "./type-check.ts";
import { readImage, sha256, writeImage } from "../image/image.ts";
import { renameInputs } from "./rename-inputs.ts";
import { runtimeParts } from "./runtime-parts.ts";
import { WORKERS_ENTRY, workersEntry } from "./workers.ts";

const ENTRY_CANDIDATES = ["src/main.ts", "main.ts", "src/index.ts", "index.ts", "src/main.js", "main.js"];
/**
 * Files whose hashes are recorded as build inputs when present, though esbuild does not read them.
 * Not npm's lockfiles: they record where npm put each package, which differs between a workspace
 * and the same folder installed on its own, and each package file the image holds is recorded by
 * package name, version and hash already (input-names.ts).
 */
const CONFIG_FILES = ["package.json", "tsconfig.json"];

export interface BuildOptions {
  /** Where to write the image; default `<dir>/dist/<name>.tsuki`. */
  readonly out?: string;
  /** Type-check the unikernel against the guest's global scope (type-check.ts); default true. */
  readonly check?: boolean;
}

export interface BuildResult {
  readonly image: string;
  readonly sha256: string;
  readonly size: number;
  readonly manifest: Manifest;
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  main?: unknown;
}

export async function buildImage(dirArg: string, options: BuildOptions = {}): Promise<BuildResult> {
  const dir = path.resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new TsukiError("BUILD_INPUT", `${dirArg} is not a folder: give the folder of a unikernel (create one with "tsuki new ${dirArg}")`);
  }
  const pkg = readPackage(dir);
  const name = imageName(dir, pkg);
  const version = imageVersion(pkg);
  const entry = findEntry(dir, pkg);

  // The compiler runs in its own process while esbuild bundles; their errors are reported together.
  const checking = options.check === false ? undefined : typeCheck(dir, entry);
  let bundled;
  try {
    bundled = await bundle(dir, entry);
  } catch (error) {
    checking?.cancel();
    throw error;
  }
  let { code, map, inputs } = bundled;
  throwFound(
    { code: "BUILD_GLOBAL", what: "use(s) of globals a unikernel does not have", lines: missingGlobals(code, map) },
    { code: "BUILD_TYPE", what: "type error(s) (tsuki build --no-check skips the type check)", lines: (await checking?.errors) ?? [] },
  );
  let runtime = await runtimeParts(code);
  let declaration = checkedDeclaration(name, code, { map, web: runtime.includes("web") });
  if (declaration.workers !== undefined) {
    // A Workers-style module: bundled again behind tsuki/workers, which makes it a unikernel.
    bundled = await bundle(dir, entry, { name: WORKERS_ENTRY, contents: workersEntry(entry) });
    ({ code, map, inputs } = bundled);
    runtime = await runtimeParts(code);
    declaration = checkedDeclaration(name, code, { map, web: runtime.includes("web") });
  }
  const assets = declaration.assets === null ? [] : collectAssets(dir, declaration.assets);

  const inputHashes: Record<string, string> = {};
  for (const input of inputs) inputHashes[input.name] = sha256(readFileSync(input.file));
  for (const file of CONFIG_FILES) if (existsSync(path.join(dir, file))) inputHashes[file] = sha256(readFileSync(path.join(dir, file)));

  // Checks and errors saw the files where they are; the image names them where npm's layout cannot show.
  const stable = renameInputs(code, map, bundled.renames);
  const entryBytes = Buffer.from(stable.code, "utf8");
  const mapBytes = Buffer.from(stable.map, "utf8");
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name,
    version,
    abi: ABI_VERSION,
    entry: { path: ENTRY_PATH, size: entryBytes.length, sha256: sha256(entryBytes) },
    sourceMap: { path: SOURCE_MAP_PATH, size: mapBytes.length, sha256: sha256(mapBytes) },
    devices: declaration.devices,
    assets: assets.map((a) => ({ path: a.path, size: a.data.length, sha256: sha256(a.data) })),
    inputs: Object.fromEntries(Object.entries(inputHashes).sort(([a], [b]) => (a < b ? -1 : 1))),
    builder: { tsuki: TSUKI_VERSION, esbuild: esbuildVersion },
    ...(runtime.length > 0 ? { runtime } : {}),
  };
  const bytes = writeImage(manifest, entryBytes, assets.map((a) => a.data), mapBytes);
  readImage(bytes); // what we write must be what the tender accepts

  const out = path.resolve(options.out ?? path.join(dir, "dist", `${name}.tsuki`));
  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, out);
  return { image: out, sha256: sha256(bytes), size: bytes.length, manifest };
}

function readPackage(dir: string): PackageJson {
  const file = path.join(dir, "package.json");
  if (!existsSync(file)) return {};
  try {
    const json = JSON.parse(readFileSync(file, "utf8"));
    return typeof json === "object" && json !== null ? json : {};
  } catch (error) {
    throw new TsukiError("BUILD_INPUT", `${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function imageName(dir: string, pkg: PackageJson): string {
  const raw = typeof pkg.name === "string" ? pkg.name.replace(/^@[^/]+\//, "") : path.basename(dir);
  if (!IMAGE_NAME.test(raw)) {
    throw new TsukiError(
      "BUILD_INPUT",
      `"${raw}" cannot name an image: use 1–63 lower-case letters, digits or dashes (${typeof pkg.name === "string" ? "the name in package.json" : "the folder's name, or set a name in package.json"})`,
    );
  }
  return raw;
}

/** The version from package.json, held to what a manifest accepts so that the build, not the tender, reports it. */
function imageVersion(pkg: PackageJson): string {
  if (pkg.version === undefined) return "0.0.0";
  if (typeof pkg.version !== "string" || pkg.version.length === 0 || pkg.version.length > 64) {
    throw new TsukiError("BUILD_INPUT", `the version in package.json must be a string of 1–64 characters, found ${JSON.stringify(pkg.version)}`);
  }
  return pkg.version;
}

function findEntry(dir: string, pkg: PackageJson): string {
  if (typeof pkg.main === "string") {
    if (!existsSync(path.join(dir, pkg.main))) throw new TsukiError("BUILD_INPUT", `package.json names main "${pkg.main}", which does not exist in ${dir}`);
    return pkg.main;
  }
  const found = ENTRY_CANDIDATES.find((candidate) => existsSync(path.join(dir, candidate)));
  if (found === undefined) {
    throw new TsukiError("BUILD_INPUT", `${dir} has no entry module: create src/main.ts (or one of ${ENTRY_CANDIDATES.slice(1).join(", ")}), or set "main" in package.json`);
  }
  return found;
}
