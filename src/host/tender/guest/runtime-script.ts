/**
 * @module host/tender/guest/runtime-script
 * The guest runtime (`src/guest/runtime`) bundled into classic scripts that a target runs in each
 * fresh guest context before the image: the runtime itself in every guest, the device drivers
 * only in guests whose image declares devices, and the web platform (`src/guest/web`) only in
 * guests whose image uses its globals (`manifest.runtime`). *Parts* (`crypto.subtle`) are bundled
 * the same way but run only by a guest that touches them: it asks for the source with
 * `runtime.part` and evaluates it (`src/guest/runtime/web/crypto.ts`), so an unikernel that never uses
 * one holds none of its source or code. Bundled once per tender process with
 * esbuild (a few milliseconds) and kept in memory; targets may cache their compiled code.
 * `TSUKI_RUNTIME_READABLE=1` keeps them unminified, for debugging the runtime itself.
 *
 * A worker thread has its own copy of this module: tsukid bundles the scripts once on its main
 * thread and hands them to each tender thread (`bundledRuntimeScripts` there,
 * `useRuntimeScripts` in the thread), so no thread starts esbuild again.
 */

import type { BuildOptions } from "esbuild";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TSUKI_VERSION } from "../../common/version.ts";

/** esbuild, loaded when something is bundled here: a tender thread given the scripts never loads it (about 1 MiB each). */
const esbuild = (): typeof import("esbuild") => createRequire(import.meta.url)("esbuild");

const cached = new Map<string, string>();

const ENTRIES = ["main.ts", "drivers-main.ts", "web", "web/subtle/main.ts"] as const;

/** The parts a guest may ask for by name (`runtime.part`), and their entries. */
const PARTS: Readonly<Record<string, (typeof ENTRIES)[number]>> = { subtle: "web/subtle/main.ts" };

const WEB_DIR = fileURLToPath(new URL("../../../guest/web", import.meta.url));

/**
 * The entry of the web script, made here because it is the one place that needs `require`: each
 * group of web globals (a folder of `src/guest/web` with an `index.ts`) is loaded by a `require`,
 * which esbuild turns into a module initialised on first use. The script's top level then only
 * defines lazy getters (`install.ts`); a group's classes are made when the guest first touches one
 * of its globals (measured: the streams polyfill costs an isolate about 95 KiB of held source
 * unevaluated, 260 KiB evaluated).
 */
function webEntry(): string {
  const groups = readdirSync(WEB_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(WEB_DIR, entry.name, "index.ts")))
    .map((entry) => entry.name)
    .sort();
  const cases = groups.map((group) => `case ${JSON.stringify(group)}: return require(${JSON.stringify(`./${group}/index.ts`)});`).join("\n    ");
  return `import { install } from "./install.ts";\ninstall(globalThis, (group) => {\n  switch (group) {\n    ${cases}\n  }\n  throw new Error("tsuki web: no group " + group);\n});\n`;
}

function options(entry: string): BuildOptions & { write: false } {
  const source: BuildOptions =
    entry === "web"
      ? { stdin: { contents: webEntry(), resolveDir: WEB_DIR, sourcefile: "web-main.ts", loader: "ts" }, define: { __TSUKI_VERSION__: JSON.stringify(TSUKI_VERSION) } }
      : { entryPoints: [fileURLToPath(new URL(`../../../guest/runtime/${entry}`, import.meta.url))] };
  return {
    ...source,
    bundle: true,
    write: false,
    format: "iife",
    // A part's script leaves its exports in a variable of the function the runtime evaluates it in.
    ...(Object.values(PARTS).includes(entry as (typeof ENTRIES)[number]) ? { globalName: "__tsukiPart" } : {}),
    platform: "neutral",
    target: "es2024",
    // Every isolate holds the source it runs, for lazy compilation: minified, it costs each
    // unikernel about 40 KiB less than readable source with esbuild's keepNames. The runtime
    // names its globals itself.
    minify: process.env.TSUKI_RUNTIME_READABLE !== "1",
    legalComments: "none",
    logLevel: "silent",
  };
}

function bundle(entry: string): string {
  let script = cached.get(entry);
  if (script === undefined) {
    script = esbuild().buildSync(options(entry)).outputFiles[0]!.text;
    cached.set(entry, script);
  }
  return script;
}

/**
 * Bundles the scripts ahead of the first boot with esbuild's service process, then ends that
 * process: for a long-lived tender that bundles nothing else (tsukid). Left to `buildSync`,
 * esbuild would start a worker thread (a second Node environment, about 13 MiB of RSS) and keep
 * it for the life of the process. Not for a process that builds images meanwhile (`stop` ends
 * esbuild for everyone in it).
 */
export async function prepareRuntimeScripts(): Promise<void> {
  const { build, stop } = esbuild();
  for (const entry of ENTRIES) if (!cached.has(entry)) cached.set(entry, (await build(options(entry))).outputFiles[0]!.text);
  await stop();
}

/** The scripts, bundled now if they are not yet: what a tender thread is given at its start. */
export function bundledRuntimeScripts(): Record<string, string> {
  return Object.fromEntries(ENTRIES.map((entry) => [entry, bundle(entry)]));
}

/** Takes scripts bundled elsewhere (by the thread that started this one) instead of bundling them here. */
export function useRuntimeScripts(scripts: Readonly<Record<string, string>>): void {
  for (const entry of ENTRIES) if (typeof scripts[entry] === "string") cached.set(entry, scripts[entry]);
}

/** The runtime: globals, timers, console, boot and dispatch. */
export const runtimeScript = (): string => bundle("main.ts");

/** The device drivers (streams, datagrams, blocks), attached to the runtime of guests with devices. */
export const driversScript = (): string => bundle("drivers-main.ts");

/** The source of the runtime part `name` (`runtime.part`), or undefined if there is none of that name. */
export function runtimePart(name: string): string | undefined {
  return Object.hasOwn(PARTS, name) ? bundle(PARTS[name]!) : undefined;
}

/** The web platform's globals (`WEB_GLOBALS`), for guests whose image uses them. */
export const webScript = (): string => bundle("web");
