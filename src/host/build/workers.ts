/**
 * @module host/build/workers
 * A Workers-style module (`export default { fetch(request, env, ctx) }`) becomes a unikernel at
 * build time: once its bundle's default export is found to be one, the module is bundled again
 * behind an entry that hands it to `tsuki/workers` (guest/lib/workers), which declares its devices
 * (its `devices` export, and the listener `http`) and serves its `fetch` with `tsuki/http`. The
 * module's own source is untouched; the image is an ordinary unikernel, booted as any other.
 */

import path from "node:path";

/** The name the wrapper entry goes by in the source map and the build inputs. */
export const WORKERS_ENTRY = "tsuki-workers-entry.ts";

/** The source of the entry that wraps the module at `entry` (relative to the unikernel's folder). */
export function workersEntry(entry: string): string {
  const specifier = `./${entry.split(path.sep).join("/")}`;
  return `import * as worker from ${JSON.stringify(specifier)};\nimport { workersUnikernel } from "tsuki/workers";\nexport default workersUnikernel(worker as never);\n`;
}
