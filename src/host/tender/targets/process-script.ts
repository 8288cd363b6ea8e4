/**
 * @module host/tender/targets/process-script
 * The child program of the process target (process-child.ts and the isolate target's code it
 * reuses) bundled into one CommonJS script for Node inside the sandbox, where it can read no file:
 * `isolated-vm` becomes the addon at the path in the script's first argument (loaded with
 * `process.dlopen`, which needs only --allow-addons), the heap guard is the file at the path in its
 * second (guard-addon.ts, which builds it, stays out), and the guest runtime's sources are the
 * ones the tender sends in its first frame. Written once per content to the sandbox cache.
 */

import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { cachedText, hashOf } from "../../sandbox/cache.ts";

let script: Promise<string> | undefined;

/** The path of the bundled child program (esbuild's plugins need its asynchronous API). */
export function childScript(): Promise<string> {
  script ??= bundle();
  return script;
}

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./process-child.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "cjs",
    platform: "node",
    target: "node24",
    legalComments: "none",
    logLevel: "silent",
    plugins: [
      {
        name: "tsuki-child",
        setup(b) {
          b.onResolve({ filter: /^isolated-vm$/ }, () => ({ path: "isolated-vm", namespace: "tsuki-child" }));
          b.onResolve({ filter: /runtime-script\.ts$/ }, () => ({ path: "runtime-script", namespace: "tsuki-child" }));
          b.onResolve({ filter: /guard-addon\.ts$/ }, () => ({ path: "guard-addon", namespace: "tsuki-child" }));
          b.onLoad({ filter: /.*/, namespace: "tsuki-child" }, (args) => ({
            loader: "js",
            contents:
              args.path === "isolated-vm"
                ? `const m = { exports: {} }; process.dlopen(m, process.argv[2]); export default m.exports.ivm ?? m.exports;`
                : args.path === "guard-addon"
                  ? `let file; export const useHeapGuard = (f) => { file = f; }; export const heapGuardPath = () => file; export const heapGuardBuild = () => ({ path: file });`
                  : `export const runtimeScript = () => globalThis.__tsukiScripts.runtime; export const driversScript = () => globalThis.__tsukiScripts.drivers; export const webScript = () => globalThis.__tsukiScripts.web;`,
          }));
        },
      },
    ],
  });
  const text = result.outputFiles[0]!.text;
  return cachedText(`child-${hashOf(text)}.js`, text);
}
