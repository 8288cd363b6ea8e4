/**
 * @module host/build/runtime-parts
 * Which optional parts of the guest runtime an image needs (`manifest.runtime`), read from its
 * bundle: the `web` part when the code refers to one of `WEB_GLOBALS` as a global, by its name
 * (`new Response(…)`, `typeof ReadableStream`) or as `globalThis.NAME` / `self.NAME`.
 *
 * esbuild finds the references: each name is `define`d as a marker identifier, which esbuild
 * substitutes only where the name is unbound (a global), never for a local variable, a property or
 * text in a string. A name the code only computes at run time (`globalThis["Res" + "ponse"]`) is
 * not seen; such an image lacks the web globals (README, "A unikernel").
 */

import { transform } from "esbuild";
import { type RuntimePart, WEB_GLOBALS } from "../../abi/index.ts";

const MARKER = "__tsuki_web_global__";

/** The runtime parts `code` (an image's bundled module) needs, sorted; empty for none. */
export async function runtimeParts(code: string): Promise<RuntimePart[]> {
  const define: Record<string, string> = {};
  for (const name of WEB_GLOBALS) {
    define[name] = MARKER;
    define[`globalThis.${name}`] = MARKER;
    define[`self.${name}`] = MARKER;
  }
  const result = await transform(code, { format: "esm", target: "esnext", define, logLevel: "silent" });
  return result.code.includes(MARKER) ? ["web"] : [];
}
