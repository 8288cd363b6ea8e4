/**
 * @module cli/commands/build
 * `tsuki build <dir> [--out PATH] [--json]`: builds a unikernel folder into an image and prints
 * the image's path, SHA-256 and size.
 */

import { statSync } from "node:fs";
import path from "node:path";
import { buildImage } from "../../host/build/build.ts";
import { TsukiError } from "../../host/errors.ts";
import { parse, positional } from "../args.ts";

export const usage = `Usage: tsuki build <dir> [--out PATH] [--json]

Bundles the unikernel in <dir> into one deterministic image, <dir>/dist/<name>.tsuki unless
--out says otherwise, and prints its SHA-256. The same source and lockfile give the same bytes.

  --out PATH   where to write the image
  --json       print {"image", "sha256", "size"} for scripts`;

export async function build(argv: string[]): Promise<number> {
  const { values, positionals } = parse("build", argv, { out: { type: "string" }, json: { type: "boolean" } });
  if (values.help) return void console.log(usage), 0;
  const dir = positional("build", positionals, "the unikernel's folder");
  if (values.out !== undefined && isFolder(values.out)) {
    throw new TsukiError("FLAG_VALUE", `--out ${values.out} is a folder: give the image's file name, e.g. --out ${path.join(values.out, "name.tsuki")}`);
  }
  const result = await buildImage(dir, values.out === undefined ? {} : { out: values.out });
  if (values.json) console.log(JSON.stringify({ image: result.image, sha256: result.sha256, size: result.size }));
  else console.log(`${result.image}\nsha256 ${result.sha256}\n${result.size} bytes`);
  return 0;
}

function isFolder(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
