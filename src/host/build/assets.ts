/**
 * @module host/build/assets
 * Collects the files of a unikernel's assets folder for embedding: every regular file below it,
 * in path order, with "/"-separated relative paths. Symbolic links and special files are refused
 * (an image holds bytes, not references to the builder's disk), and so is a folder that is not
 * below the unikernel's folder, whether by its path or through a symbolic link, or is that folder
 * itself (which would embed the source and the previous image).
 */

import { lstatSync, readFileSync, readdirSync, realpathSync } from "node:fs";
import path from "node:path";
import { assetPathProblem } from "../../abi/index.ts";
import { TsukiError } from "../common/errors.ts";

/** The most asset bytes one image may hold. */
export const MAX_ASSET_BYTES = 512 * 1024 * 1024;

export interface AssetFile {
  readonly path: string;
  readonly data: Uint8Array;
}

export function collectAssets(dir: string, folder: string): AssetFile[] {
  const root = path.resolve(dir, folder);
  if (!inside(dir, root)) {
    throw new TsukiError("BUILD_ASSETS", `assets folder "${folder}" is outside the unikernel's folder ${dir}: name a folder inside it`);
  }
  if (root === dir) {
    // The folder itself would embed the source, node_modules and the previous image in dist/.
    throw new TsukiError("BUILD_ASSETS", `assets folder "${folder}" is the unikernel's folder itself: name a subfolder that holds only the files to embed, such as "public"`);
  }
  let stat;
  try {
    stat = lstatSync(root);
  } catch {
    throw new TsukiError("BUILD_ASSETS", `assets folder "${folder}" does not exist in ${dir}: create it or fix unikernel({ assets })`);
  }
  if (!stat.isDirectory()) throw new TsukiError("BUILD_ASSETS", `assets "${folder}" is not a folder: unikernel({ assets }) names a folder whose files are embedded`);
  // A symbolic link in a parent of the folder ("link/sub") is followed by lstat: check where it really is.
  if (!inside(realpathSync(dir), realpathSync(root))) {
    throw new TsukiError("BUILD_ASSETS", `assets folder "${folder}" leads outside the unikernel's folder ${dir} through a symbolic link; an image embeds only files inside it`);
  }

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

/** Whether `target` is `dir` or below it (lexically: both paths absolute and resolved). */
function inside(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
