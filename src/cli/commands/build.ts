/**
 * @module cli/commands/build
 * `tsuki build <dir> [--out PATH] [--json]`: builds a unikernel folder into an image and prints
 * the image's path, SHA-256 and size.
 */

import { buildImage } from "../../host/build/build.ts";
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
  const result = await buildImage(dir, values.out === undefined ? {} : { out: values.out });
  if (values.json) console.log(JSON.stringify({ image: result.image, sha256: result.sha256, size: result.size }));
  else console.log(`${result.image}\nsha256 ${result.sha256}\n${result.size} bytes`);
  return 0;
}
