/**
 * @module host/spec/flags
 * The command line's spelling of a run specification: `--dev NAME=URI`, `--arg KEY=VALUE`,
 * `--mem`, `--cpu-ms`, `--target`, `--console-rate`, `--console-burst`, as `tsuki run` and
 * `tsuki create` take them. Each value is checked by run-spec.ts's checkers and refused with
 * ERR_FLAG_VALUE (exit 64) naming the flag and what was written; a malformed `--dev` is
 * ERR_DEV_MALFORMED (exit 78).
 */

import path from "node:path";
import { TsukiError } from "../common/errors.ts";
import { type Binding, parseBinding } from "./bindings.ts";
import { type DeviceBinding, formatDeviceUri, parseDeviceUri } from "./device-uri.ts";
import type { TargetName } from "./limits.ts";
import { type RunSpec, SpecProblem, consoleLimit, cpuLimit, memoryLimit, targetName } from "./run-spec.ts";

/** The run flags as `node:util`'s parseArgs gives them. */
export interface RunFlags {
  readonly dev?: readonly string[];
  readonly arg?: readonly string[];
  readonly mem?: string;
  readonly "cpu-ms"?: string;
  readonly target?: string;
  readonly "console-rate"?: string;
  readonly "console-burst"?: string;
}

/**
 * The run specification the flags give (no image: the caller's positional names it). `targets`
 * are those the command runs (tsukid's are walled). Throws TsukiError.
 */
export function runSpecFromFlags(flags: RunFlags, targets?: readonly TargetName[]): RunSpec {
  return flagging(() => {
    const limits = {
      ...(flags.mem === undefined ? {} : { memoryMb: memoryLimit(flags.mem, "flag") }),
      ...(flags["cpu-ms"] === undefined ? {} : { cpuMs: cpuLimit(flags["cpu-ms"], "flag") }),
    };
    const console = {
      ...(flags["console-rate"] === undefined ? {} : { rate: consoleLimit("rate", flags["console-rate"], "flag") }),
      ...(flags["console-burst"] === undefined ? {} : { burst: consoleLimit("burst", flags["console-burst"], "flag") }),
    };
    return {
      ...(flags.target === undefined ? {} : { target: targetName(flags.target, "flag", targets) }),
      limits: { ...limits, ...(Object.keys(console).length === 0 ? {} : { console }) },
      args: Object.fromEntries((flags.arg ?? []).map(parseArgFlag)),
      devices: (flags.dev ?? []).map((text): Binding => parseBinding(text)),
    };
  });
}

/** `f()`, its SpecProblem turned into the command line's ERR_FLAG_VALUE. */
function flagging<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof SpecProblem) throw new TsukiError("FLAG_VALUE", error.message);
    throw error;
  }
}

/** `--arg key=value`: the value is JSON if it parses as JSON, else the string itself. */
export function parseArgFlag(text: string): [string, unknown] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new TsukiError("FLAG_VALUE", `--arg ${JSON.stringify(text)} is malformed: write --arg KEY=VALUE, e.g. --arg greeting=hello or --arg interval=500`);
  const key = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  try {
    return [key, JSON.parse(raw)];
  } catch {
    return [key, raw];
  }
}

/**
 * A `--dev` binding with its host files (a block file, a TLS certificate, key or CA) made
 * absolute against the working directory, for a daemon that runs elsewhere; written canonically.
 * A binding the parser refuses, or whose kind the URI alone does not tell, passes as written
 * (tsukid checks it against the image and says what is wrong).
 */
export function absoluteBinding(binding: Binding): Binding {
  const scheme = /^[a-z]+:/.exec(binding.uri)?.[0];
  if (scheme !== "file:" && scheme !== "tls:") return binding;
  const options = { base: path.resolve() };
  let device: DeviceBinding | undefined;
  for (const kind of scheme === "file:" ? (["block"] as const) : (["listener", "connector"] as const)) {
    try {
      device = parseDeviceUri(kind, binding.uri, options);
      break;
    } catch {
      // not this kind (or malformed): tsukid reports it
    }
  }
  return device === undefined ? binding : { ...binding, uri: formatDeviceUri(device) };
}
