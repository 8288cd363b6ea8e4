/**
 * @module host/config/overrides
 * The command line laid over a run configuration: a positional image replaces the file's image;
 * `--mem`, `--cpu-ms`, `--target`, `--console-rate` and `--console-burst` replace the file's values; `--arg` adds or replaces keys of
 * `args`; `--dev` adds bindings after the file's (a device bound in both is then bound twice,
 * which the tender's binding check reports as ERR_DEV_BOUND_TWICE).
 */

import type { RunConfig, RunSettings } from "./config.ts";

export type { RunSettings };

export function applyCommandLine(config: RunConfig | undefined, flags: RunSettings): RunSettings {
  return {
    image: flags.image ?? config?.image,
    memoryMb: flags.memoryMb ?? config?.memoryMb,
    cpuMs: flags.cpuMs ?? config?.cpuMs,
    target: flags.target ?? config?.target,
    ...(config?.console === undefined && flags.console === undefined ? {} : { console: { ...config?.console, ...flags.console } }),
    bindings: [...(config?.bindings ?? []), ...flags.bindings],
    // Spreading copies own keys as own keys, so an arg named "__proto__" stays an arg.
    args: { ...config?.args, ...flags.args },
  };
}
