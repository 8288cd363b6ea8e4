/**
 * @module cli/commands/inspect
 * `tsuki inspect <image> [--json]`: verifies an image (archive, manifest, every file's hash, ABI
 * version) and prints its manifest.
 */

import { loadImage } from "../../host/index.ts";
import { parse, positional } from "../support/args.ts";

export const usage = `Usage: tsuki inspect <image> [--json]

Verifies the image's integrity and prints its manifest: name, version, ABI, devices, assets and
build inputs. Exits non-zero if the image is truncated, tampered with or of an unknown ABI.

  --json   print {"image", "sha256", "size", "manifest"}`;

export function inspect(argv: string[]): number {
  const { values, positionals } = parse("inspect", argv, { json: { type: "boolean" } });
  if (values.help) return void console.log(usage), 0;
  const path = positional("inspect", positionals, "an image");
  const image = loadImage(path);
  const m = image.manifest;
  if (values.json) {
    console.log(JSON.stringify({ image: path, sha256: image.sha256, size: image.size, manifest: m }, null, 2));
    return 0;
  }
  const devices = Object.entries(m.devices);
  const lines = [
    `${m.name} ${m.version}`,
    `  sha256   ${image.sha256} (verified)`,
    `  size     ${image.size} bytes; entry ${m.entry.size} bytes`,
    `  abi      ${m.abi}`,
    `  devices  ${devices.length === 0 ? "none" : devices.map(([name, d]) => `${name} (${d.kind}${d.origin === undefined ? "" : ` for ${d.origin}`})`).join(", ")}`,
    `  assets   ${m.assets.length === 0 ? "none" : `${m.assets.length} files, ${m.assets.reduce((n, a) => n + a.size, 0)} bytes`}`,
    ...m.assets.slice(0, 20).map((a) => `           ${a.path}  ${a.size} bytes  ${a.sha256.slice(0, 16)}…`),
    ...(m.assets.length > 20 ? [`           … and ${m.assets.length - 20} more (--json lists all)`] : []),
    `  built by ${Object.entries(m.builder).map(([tool, v]) => `${tool} ${v}`).join(", ")}`,
    `  inputs   ${Object.keys(m.inputs).length} files`,
    ...Object.entries(m.inputs).map(([file, hash]) => `           ${file}  ${hash.slice(0, 16)}…`),
  ];
  console.log(lines.join("\n"));
  return 0;
}
