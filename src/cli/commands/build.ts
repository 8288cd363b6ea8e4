/**
 * @module cli/commands/build
 * `tsuki build <dir> [--out PATH] [--json] [--no-check]`: builds a unikernel folder into an image
 * and prints the image's path, SHA-256 and size; --no-check skips the type check.
 */

import { statSync } from "node:fs";
import path from "node:path";
import { TsukiError, buildImage } from "../../host/index.ts";
import { parse, positional } from "../support/args.ts";

export const usage = `Usage: tsuki build <dir> [--out PATH] [--json] [--no-check]

Bundles the unikernel in <dir> into one deterministic image, <dir>/dist/<name>.tsuki unless
--out says otherwise, and prints its SHA-256. The same source and lockfile give the same bytes.
The image carries a source map, so stack traces name your files and lines.

What cannot work inside a unikernel fails the build, one line per problem with its file, line
and column and what to write instead:
  ERR_BUILD_IMPORT   Node built-ins (fs, node:net, …), other platforms' modules (cloudflare:*,
                     bun:*, jsr:, npm:, URL imports), packages that need them, missing modules
  ERR_BUILD_GLOBAL   globals a unikernel does not have: process, Buffer, require, module,
                     exports, __dirname, __filename, global, setImmediate, clearImmediate, Deno,
                     Bun (not when the code tests typeof first, or uses them in a try block)
  ERR_BUILD_TYPE     type errors against the unikernel's real global scope (no DOM, no Node
                     types), with your tsconfig.json's options; up to 20 listed, then counted
  ERR_BUILD_DECLARATION  the default export is not unikernel({ ... }) (a Workers-style
                     export default { fetch } gets the line that wraps it)

  --out PATH   where to write the image
  --json       print {"image", "sha256", "size"} for scripts
  --no-check   skip the type check (the other checks always run)`;

export async function build(argv: string[]): Promise<number> {
  const { values, positionals } = parse("build", argv, { out: { type: "string" }, json: { type: "boolean" }, check: { type: "boolean", default: true } });
  if (values.help) return void console.log(usage), 0;
  const dir = positional("build", positionals, "the unikernel's folder");
  if (values.out !== undefined && isFolder(values.out)) {
    throw new TsukiError("FLAG_VALUE", `--out ${values.out} is a folder: give the image's file name, e.g. --out ${path.join(values.out, "name.tsuki")}`);
  }
  const result = await buildImage(dir, { check: values.check, ...(values.out === undefined ? {} : { out: values.out }) });
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
