/**
 * @module host/build/assets
 * Collects the files of a unikernel's assets folder for embedding: every regular file below it,
 * in path order, with "/"-separated relative paths. Symbolic links and special files are refused
 * (an image holds bytes, not references to the builder's disk), and so is a folder that is not
 * inside the unikernel's folder.
 */

import { lstatSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { assetPathProblem } from "../../abi/index.ts";
import { TsukiError } from "../errors.ts";

/** The most asset bytes one image may hold. */
export const MAX_ASSET_BYTES = 512 * 1024 * 1024;

export interface AssetFile {
  readonly path: string;
  readonly data: Uint8Array;
}

export function collectAssets(dir: string, folder: string): AssetFile[] {
  const root = path.resolve(dir, folder);
  const rel = path.relative(dir, root);
  if (rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new TsukiError("BUILD_ASSETS", `assets folder "${folder}" is outside the unikernel's folder ${dir}: name a folder inside it`);
  }
  let stat;
  try {
    stat = lstatSync(root);
  } catch {
    throw new TsukiError("BUILD_ASSETS", `assets folder "${folder}" does not exist in ${dir}: create it or fix unikernel({ assets })`);
  }
  if (!stat.isDirectory()) throw new TsukiError("BUILD_ASSETS", `assets "${folder}" is not a folder: unikernel({ assets }) names a folder whose files are embedded`);

  const files: AssetFile[] = [];
  let total = 0;
  const walk = (abs: string, prefix: string) => {
    for (const name of readdirSync(abs).sort()) {
      const full = path.join(abs, name);
      const relPath = prefix + name;
      const s = lstatSync(full);
      if (s.isDirectory()) walk(full, `${relPath}/`);
      else if (s.isFile()) {
        const problem = assetPathProblem(relPath);
        if (problem) throw new TsukiError("BUILD_ASSETS", `${path.join(folder, relPath)}: ${problem}`);
        total += s.size;
        if (total > MAX_ASSET_BYTES) throw new TsukiError("BUILD_ASSETS", `the assets in "${folder}" exceed ${MAX_ASSET_BYTES / 2 ** 20} MiB; keep large data on a block device`);
        files.push({ path: relPath, data: readFileSync(full) });
      } else {
        throw new TsukiError("BUILD_ASSETS", `${path.join(folder, relPath)} is ${s.isSymbolicLink() ? "a symbolic link" : "not a regular file"}; an image embeds only regular files: copy the file in instead`);
      }
    }
  };
  walk(root, "");
  // Path order as the manifest requires (UTF-16 code unit order, the same everywhere).
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}
