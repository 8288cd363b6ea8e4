/**
 * @module host/tender/runtime-script
 * The guest runtime (`src/guest/runtime`) bundled into one classic script, which every target
 * runs in each fresh guest context before the image. Bundled once per tender process with
 * esbuild (a few milliseconds) and kept in memory; targets may cache its compiled code.
 * `TSUKI_RUNTIME_READABLE=1` keeps it unminified, for debugging the runtime itself.
 */

import { buildSync } from "esbuild";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export function runtimeScript(): string {
  cached ??= buildSync({
    entryPoints: [fileURLToPath(new URL("../../guest/runtime/main.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "iife",
    platform: "neutral",
    target: "es2024",
    // Every isolate holds this source for lazy compilation: minified, it costs each unikernel about
    // 40 KiB less than readable source with esbuild's keepNames. The runtime names its globals.
    minify: process.env.TSUKI_RUNTIME_READABLE !== "1",
    legalComments: "none",
    logLevel: "silent",
  }).outputFiles[0]!.text;
  return cached;
}
