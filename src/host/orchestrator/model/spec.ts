/**
 * @module host/orchestrator/model/spec
 * What the daemon keeps running: a unikernel's specification (name, image by SHA-256, device
 * bindings, limits, target, restart policy, start priority, args), read field by field from
 * untrusted JSON. The run specification's own values (limits, console limits, target, bindings)
 * are checked by its one checker (spec/run-spec.ts) with the API's spelling of each field
 * (`memoryMb`, `devices[2]`); the daemon's own (name, restart policy, priority, signature) here.
 * An unknown key, a wrong type or a value out of range is refused with a stable code naming the
 * field: ERR_REQUEST_MALFORMED, ERR_REQUEST_VALUE, ERR_DEV_MALFORMED.
 */

import { IMAGE_NAME } from "../../../abi/index.ts";
import { MAX_NAME_SEGMENTS } from "../../spec/device-uri.ts";
import { type Binding, requestBinding } from "../../spec/bindings.ts";
import { type ConsoleLimits, LIMIT_DEFAULTS } from "../../spec/limits.ts";
import { SpecProblem, consoleLimit, cpuLimit, memoryLimit, targetName } from "../../spec/run-spec.ts";
import { DaemonError } from "../api/errors.ts";
import { RESTART_POLICIES, type RestartPolicy } from "../supervision/restart-policy.ts";
import { type Signature, parseSignature } from "../pki/image-trust.ts";

/** Targets the daemon runs: both have walls; `unix` (none, in the daemon's own realm) is for `tsuki run` only. */
export const DAEMON_TARGETS = ["isolate", "process"] as const;
export type DaemonTarget = (typeof DAEMON_TARGETS)[number];

export const PRIORITY_RANGE = { min: 0, max: 1000, default: 50 } as const;
export const MAX_BINDINGS = 63;
export const MAX_BINDING_LENGTH = 4096;
export const MAX_ARGS_BYTES = 64 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

export interface UnikernelSpec {
  readonly name: string;
  /** SHA-256 of the image, in hex: the daemon stores each image once under it. */
  readonly image: string;
  /** `NAME=URI`, as `--dev` takes them. */
  readonly devices: readonly string[];
  readonly memoryMb: number;
  readonly cpuMs: number;
  readonly target: DaemonTarget;
  readonly restart: RestartPolicy;
  /** Lower starts first when the daemon starts (Albatross: 0 first, default 50). */
  readonly priority: number;
  readonly args: Readonly<Record<string, unknown>>;
  /** Console limits it asked for, either or both (the tender's defaults for the rest); absent in specs made before they existed. */
  readonly console?: Partial<ConsoleLimits>;
  /** The image's signature, when it came with one (required by a daemon with trusted keys). */
  readonly signature?: Signature;
}

const KEYS = ["name", "image", "devices", "memoryMb", "cpuMs", "target", "restart", "priority", "args", "console", "signature"] as const;

/** One segment of a name: a tenant's, or a unikernel's own. */
export const NAME_LABEL = IMAGE_NAME;
export { MAX_NAME_SEGMENTS } from "../../spec/device-uri.ts";

/**
 * A unikernel's name: one segment (`web-1`), or a path under tenants (`acme/web/web-1`, see
 * control/tenants.ts) of at most MAX_NAME_SEGMENTS segments.
 */
export function checkName(name: unknown): string {
  const segments = typeof name === "string" ? name.split("/") : [];
  if (typeof name !== "string" || segments.length > MAX_NAME_SEGMENTS || !segments.every((s) => NAME_LABEL.test(s))) {
    throw new DaemonError("NAME_INVALID", `unikernel name ${JSON.stringify(name)?.slice(0, 80)} is not valid: use 1–63 lower-case letters, digits or dashes, starting and ending with a letter or digit (e.g. web-1), or such segments joined by "/" under a tenant (acme/web-1)`);
  }
  return name;
}

export function checkSha256(sha: unknown, what = "image"): string {
  if (typeof sha !== "string" || !SHA256.test(sha)) throw new DaemonError("REQUEST_MALFORMED", `${what} must be the image's SHA-256: 64 lower-case hex digits`);
  return sha;
}

/** Validates a create request's body; throws the first problem found. */
export function parseSpec(body: unknown): UnikernelSpec {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new DaemonError("REQUEST_MALFORMED", "a create request is a JSON object: { name, image, devices, memoryMb, cpuMs, target, restart, priority, args, console, signature }");
  const o = body as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new DaemonError("REQUEST_MALFORMED", `unknown key ${JSON.stringify(key).slice(0, 80)} in the create request: the keys are ${KEYS.join(", ")}`);
  }
  const name = checkName(o.name);
  const image = checkSha256(o.image);
  const devices = parseDevices(o.devices);
  const memoryMb = o.memoryMb === undefined ? LIMIT_DEFAULTS.memoryMb : requested(() => memoryLimit(o.memoryMb, "api"));
  const cpuMs = o.cpuMs === undefined ? LIMIT_DEFAULTS.cpuMs : requested(() => cpuLimit(o.cpuMs, "api"));
  const priority = integer(o.priority, "priority", PRIORITY_RANGE.min, PRIORITY_RANGE.max, PRIORITY_RANGE.default, "");
  const target = o.target === undefined ? "isolate" : requested(() => targetName(o.target, "api", DAEMON_TARGETS));
  const restart = oneOf(o.restart, "restart", RESTART_POLICIES, "on-failure");
  const args = parseArgs(o.args);
  const console = parseConsole(o.console);
  const signature = o.signature === undefined ? undefined : parseSignature(o.signature);
  return { name, image, devices, memoryMb, cpuMs, target, restart, priority, args, ...(console === undefined ? {} : { console }), ...(signature === undefined ? {} : { signature }) };
}

/** The spec's bindings as the tender takes them, each named as the create request's `devices[i]`. */
export function specBindings(spec: Pick<UnikernelSpec, "devices">): Binding[] {
  return spec.devices.map((text, i) => requestBinding(text, i));
}

/** `f()`, a run specification's SpecProblem turned into the API's error. */
function requested<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof SpecProblem) throw new DaemonError(error.malformed ? "REQUEST_MALFORMED" : "REQUEST_VALUE", error.message);
    throw error;
  }
}

function parseDevices(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_BINDINGS) throw new DaemonError("REQUEST_MALFORMED", `devices must be a list of at most ${MAX_BINDINGS} bindings "NAME=URI"`);
  return value.map((text: unknown, i) => {
    if (typeof text !== "string" || text.length > MAX_BINDING_LENGTH) throw new DaemonError("REQUEST_MALFORMED", `each device binding must be a string "NAME=URI" of at most ${MAX_BINDING_LENGTH} characters`);
    // Its shape here; its URI by the one device-URI parser once the image says each device's kind (control/daemon.ts).
    requestBinding(text, i);
    return text;
  });
}

function integer(value: unknown, key: string, min: number, max: number, fallback: number, unit: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value)) throw new DaemonError("REQUEST_MALFORMED", `${key} must be a whole number`);
  if (value < min || value > max) throw new DaemonError("REQUEST_VALUE", `${key} ${value} is out of range: give ${min}–${max}${unit ? ` ${unit}` : ""}`);
  return value;
}

function oneOf<T extends string>(value: unknown, key: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new DaemonError("REQUEST_VALUE", `${key} ${JSON.stringify(value)?.slice(0, 40)} is not one of ${allowed.join(", ")}`);
  }
  return value as T;
}

/** `console: { rate?, burst? }`: lines a second and at once, checked by the run specification's checker. */
function parseConsole(value: unknown): Partial<ConsoleLimits> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new DaemonError("REQUEST_MALFORMED", "console must be an object { rate, burst }: console lines a second and at once");
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (key !== "rate" && key !== "burst") throw new DaemonError("REQUEST_MALFORMED", `unknown key ${JSON.stringify(key).slice(0, 40)} in console: the keys are rate, burst`);
  const rate = o.rate === undefined ? undefined : requested(() => consoleLimit("rate", o.rate, "api"));
  const burst = o.burst === undefined ? undefined : requested(() => consoleLimit("burst", o.burst, "api"));
  return { ...(rate === undefined ? {} : { rate }), ...(burst === undefined ? {} : { burst }) };
}

function parseArgs(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new DaemonError("REQUEST_MALFORMED", "args must be a JSON object of plain values");
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_ARGS_BYTES) throw new DaemonError("REQUEST_TOO_LARGE", `args are larger than ${MAX_ARGS_BYTES} bytes of JSON`);
  return value as Record<string, unknown>;
}
