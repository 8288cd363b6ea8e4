/**
 * @module host/spec/run-spec
 * The run specification (`RunSpec`): what one run of a unikernel is given — image, target,
 * limits, args and device bindings — and the one place its values are checked. Every input path
 * produces a `RunSpec` through the checkers here: the command line's flags (flags.ts), a run
 * configuration's YAML (config/), tsukid's JSON create API (orchestrator/model/spec.ts); the tender,
 * tenant admission and block volumes read the checked values and never check them again.
 *
 * A value that does not fit is a `SpecProblem` naming it as its input path spells it: the flag
 * (`--mem 4M is out of range …`), the YAML key (the run configuration adds file, line and
 * column: `memory at run.yaml:7:9 is "4M", out of range …`) or the API field (`memoryMb 4 is out
 * of range …`). Each path turns it into its own stable error code (ERR_FLAG_VALUE,
 * ERR_CONFIG_VALUE, ERR_REQUEST_VALUE / ERR_REQUEST_MALFORMED), so a message never names a flag
 * the user did not write.
 */

import { parseMemoryMb } from "../common/size.ts";
import type { Binding } from "./bindings.ts";
import { CONSOLE_BURST_RANGE, CONSOLE_DEFAULTS, CONSOLE_RATE_RANGE, CPU_RANGE_MS, type ConsoleLimits, LIMIT_DEFAULTS, type Limits, MEMORY_RANGE_MB, TARGET_NAMES, type TargetName } from "./limits.ts";

/** Where a run specification's values came from. */
export type InputPath = "flag" | "yaml" | "api";

export interface RunSpec {
  /** An image file or unikernel folder (flags, YAML: absolute from a file), or an image's SHA-256 (tsukid). */
  readonly image?: string;
  readonly target?: TargetName;
  readonly limits: Limits;
  /** Plain data for `start({ args })`. */
  readonly args: Readonly<Record<string, unknown>>;
  /** One binding per device, each with where it was written; typed against the image's declaration by `checkBindings` (bindings.ts). */
  readonly devices: readonly Binding[];
}

/** The settings of a run specification, with how each input path spells them. */
export const FIELDS = {
  memory: { flag: "--mem", yaml: "memory", api: "memoryMb" },
  cpu: { flag: "--cpu-ms", yaml: "cpu-ms", api: "cpuMs" },
  rate: { flag: "--console-rate", yaml: "rate", api: "console.rate" },
  burst: { flag: "--console-burst", yaml: "burst", api: "console.burst" },
  target: { flag: "--target", yaml: "target", api: "target" },
  devices: { flag: "--dev", yaml: "devices", api: "devices" },
} as const satisfies Record<string, Record<InputPath, string>>;
export type Field = keyof typeof FIELDS;

/** A value of a run specification that does not fit, named as its input path spells it. */
export class SpecProblem extends Error {
  readonly path: InputPath;
  readonly field: Field;
  /** The value has the wrong type (the API's ERR_REQUEST_MALFORMED) rather than a wrong value. */
  readonly malformed: boolean;

  constructor(path: InputPath, field: Field, message: string, malformed = false) {
    super(message);
    this.name = "SpecProblem";
    this.path = path;
    this.field = field;
    this.malformed = malformed;
  }
}

/** How a value is shown in a message: a flag's text as written, anything else as JSON. */
function show(path: InputPath, value: unknown): string {
  if (path === "flag" && typeof value === "string" && value !== "") return value;
  if (value === null || value === undefined || (value === "" && path !== "flag")) return "empty";
  if (typeof value === "object") return Array.isArray(value) ? "a list" : "a mapping";
  return JSON.stringify(value) ?? String(value);
}

/**
 * A problem with `field`: `why` completes "… is"; `examples` are good values as the path writes
 * them, every one there is when `all`. flag: `--mem 4M is out of range: give 8M–16384M; e.g.
 * --mem 64M`; YAML (the reader adds the key and place): `is "4M", out of range: give 8M–16384M;
 * write e.g. \`memory: 64M\``; API: `memoryMb 4 is out of range: give 8–16384 MiB`.
 */
function problem(path: InputPath, field: Field, value: unknown, why: string, examples: readonly string[], options: { malformed?: boolean; all?: boolean } = {}): SpecProblem {
  const name = FIELDS[field][path];
  const joint = why.includes(":") ? ";" : ":";
  const lead = options.all ? "" : " e.g.";
  if (path === "flag") return new SpecProblem(path, field, `${name} ${show(path, value)} is ${why}${joint}${options.all ? " give" : lead} ${examples.map((e) => `${name} ${e}`).join(" or ")}`);
  if (path === "yaml") return new SpecProblem(path, field, `is ${show(path, value)}, ${why}${joint} write${lead} ${examples.map((e) => `\`${name}: ${e}\``).join(" or ")}`);
  if (options.malformed) return new SpecProblem(path, field, `${name} must be ${why}`, true);
  return new SpecProblem(path, field, `${name} ${show(path, value)} is ${why}`);
}

/**
 * A whole number from `range`, as each path gives one: decimal digits on the command line, a JSON
 * or YAML number elsewhere. `unit` names what it counts (" ms", " lines a second").
 */
function bounded(path: InputPath, field: Field, value: unknown, range: { min: number; max: number }, unit: string, example: string): number {
  const examples = [example];
  const n = path === "flag" && typeof value === "string" ? (/^\d{1,16}$/.test(value.trim()) ? Number(value) : undefined) : typeof value === "number" ? value : undefined;
  const inRange = n !== undefined && Number.isInteger(n) && n >= range.min && n <= range.max;
  if (inRange) return n;
  // A run configuration says both at once: what it takes, and its range.
  if (path === "yaml") throw problem(path, field, value, `not a whole number of${unit} from ${range.min} to ${range.max}`, examples);
  if (path === "api" && (n === undefined || !Number.isInteger(n))) throw problem(path, field, value, "a whole number", examples, { malformed: true });
  if (n === undefined) throw problem(path, field, value, "not a whole number", examples);
  throw problem(path, field, value, `out of range: give ${range.min}–${range.max}${unit}`, examples);
}

/** A memory limit in MiB: `64M`, `1G`, a bare number of MiB (flags, YAML) or a number of MiB (API). */
export function memoryLimit(value: unknown, path: InputPath): number {
  if (path === "api") return bounded(path, "memory", value, MEMORY_RANGE_MB, " MiB", "64");
  const mib = typeof value === "string" || typeof value === "number" ? parseMemoryMb(value) : undefined;
  if (mib === undefined) throw problem(path, "memory", value, "not a size in whole MiB", ["64M", "1G"]);
  if (!Number.isInteger(mib)) throw problem(path, "memory", value, "not a whole number of MiB", ["64M"]);
  if (mib < MEMORY_RANGE_MB.min || mib > MEMORY_RANGE_MB.max) throw problem(path, "memory", value, `out of range: give ${MEMORY_RANGE_MB.min}M–${MEMORY_RANGE_MB.max}M`, ["64M"]);
  return mib;
}

/** A CPU limit: the longest run without yielding, in whole ms. */
export function cpuLimit(value: unknown, path: InputPath): number {
  return bounded(path, "cpu", value, CPU_RANGE_MS, path === "yaml" ? " milliseconds" : " ms", "200");
}

/** One console limit: `rate` (lines a second) or `burst` (lines at once). */
export function consoleLimit(field: "rate" | "burst", value: unknown, path: InputPath): number {
  return field === "rate" ? bounded(path, field, value, CONSOLE_RATE_RANGE, path === "yaml" ? " lines" : " lines a second", "1000") : bounded(path, field, value, CONSOLE_BURST_RANGE, " lines", "5000");
}

/** Console limits, either or both given, with the defaults for the rest: a rate alone gets a burst of two seconds of it. */
export function consoleLimits(limits: Partial<ConsoleLimits>, path: InputPath): ConsoleLimits {
  const rate = limits.rate === undefined ? CONSOLE_DEFAULTS.rate : consoleLimit("rate", limits.rate, path);
  const burst = limits.burst !== undefined ? consoleLimit("burst", limits.burst, path) : limits.rate === undefined ? CONSOLE_DEFAULTS.burst : Math.min(CONSOLE_BURST_RANGE.max, 2 * rate);
  return { rate, burst };
}

/** A target among `allowed` (tsukid runs only the walled ones). */
export function targetName<T extends TargetName>(value: unknown, path: InputPath, allowed: readonly T[] = TARGET_NAMES as readonly TargetName[] as readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  // Where only some targets are taken (tsukid runs the walled ones), the message lists those.
  const every = path !== "api" && allowed.length === TARGET_NAMES.length;
  throw problem(path, "target", value, every ? "not a target" : `not one of ${allowed.join(", ")}`, allowed, { all: true });
}

/** The limits checked as a whole, from any path (the tender checks what a library caller gives it with this). */
export function checkLimits(limits: Limits, path: InputPath): Required<Omit<Limits, "console">> & { console: ConsoleLimits } {
  return {
    memoryMb: limits.memoryMb === undefined ? LIMIT_DEFAULTS.memoryMb : memoryLimit(limits.memoryMb, path),
    cpuMs: limits.cpuMs === undefined ? LIMIT_DEFAULTS.cpuMs : cpuLimit(limits.cpuMs, path),
    console: consoleLimits(limits.console ?? {}, path),
  };
}
