/**
 * @module host/config/overrides
 * The command line laid over a run configuration: a positional image replaces the file's image;
 * `--mem`, `--cpu-ms`, `--target`, `--console-rate` and `--console-burst` replace the file's values; `--arg` adds or replaces keys of
 * `args`; `--dev` adds bindings after the file's (a device bound in both is then bound twice,
 * which the tender's binding check reports as ERR_DEV_BOUND_TWICE).
 */

import type { RunSpec } from "../spec/run-spec.ts";
import type { RunConfig } from "./config.ts";

/** The command line's run specification (spec/flags.ts) laid over a run configuration's. */
export function applyCommandLine(config: RunConfig | undefined, flags: RunSpec): RunSpec {
  const console = config?.limits.console === undefined && flags.limits.console === undefined ? {} : { console: { ...config?.limits.console, ...flags.limits.console } };
  const memoryMb = flags.limits.memoryMb ?? config?.limits.memoryMb;
  const cpuMs = flags.limits.cpuMs ?? config?.limits.cpuMs;
  const image = flags.image ?? config?.image;
  const target = flags.target ?? config?.target;
  return {
    ...(image === undefined ? {} : { image }),
    ...(target === undefined ? {} : { target }),
    limits: { ...(memoryMb === undefined ? {} : { memoryMb }), ...(cpuMs === undefined ? {} : { cpuMs }), ...console },
    devices: [...(config?.devices ?? []), ...flags.devices],
    // Spreading copies own keys as own keys, so an arg named "__proto__" stays an arg.
    args: { ...config?.args, ...flags.args },
  };
}
