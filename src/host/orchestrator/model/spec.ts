/**
 * @module host/orchestrator/model/spec
 * What the daemon keeps running: a unikernel's specification (name, image by SHA-256, device
 * bindings, limits, target, restart policy, start priority, args; its type is the API's,
 * api/spec.ts), read field by field from untrusted JSON. The run specification's own values (limits, console limits, target, bindings)
 * are checked by its one checker (spec/run-spec.ts) with the API's spelling of each field
 * (`memoryMb`, `devices[2]`); the daemon's own (name, restart policy, priority, signature) here.
 * An unknown key, a wrong type or a value out of range is refused with a stable code naming the
 * field: ERR_REQUEST_MALFORMED, ERR_REQUEST_VALUE, ERR_DEV_MALFORMED.
 */

import { type Binding, requestBinding } from "../../spec/bindings.ts";
import { type ConsoleLimits, LIMIT_DEFAULTS } from "../../spec/limits.ts";
import { SpecProblem, consoleLimit, cpuLimit, memoryLimit, targetName } from "../../spec/run-spec.ts";
import { DaemonError } from "../api/errors.ts";
import { DAEMON_TARGETS, PRIORITY_RANGE, RESTART_POLICIES, type UnikernelSpec, checkName } from "../api/spec.ts";
import { parseSignature } from "../pki/image-trust.ts";

/** The specification's type and the names it is checked against are the API's (api/spec.ts), re-exported for the daemon's files. */
export { DAEMON_TARGETS, type DaemonTarget, MAX_NAME_SEGMENTS, NAME_LABEL, PRIORITY_RANGE, type UnikernelSpec, checkName } from "../api/spec.ts";

export const MAX_BINDINGS = 63;
export const MAX_BINDING_LENGTH = 4096;
export const MAX_ARGS_BYTES = 64 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

const KEYS = ["name", "image", "devices", "memoryMb", "cpuMs", "target", "restart", "priority", "args", "console", "signature"] as const;

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
