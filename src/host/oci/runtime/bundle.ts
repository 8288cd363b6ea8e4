/**
 * @module host/oci/runtime/bundle
 * The one parser of an OCI bundle for tsuki-runtime: its config.json (runtime-spec 1.x) read
 * strictly for the fields tsuki uses — root.path, process.args, the tsuki.dev/ annotations,
 * linux.resources.memory.limit, the network namespace — and where the tsuki image sits in the
 * root file system. A bundle whose root file system holds no tsuki image is not an error here:
 * `image` is undefined and the caller hands the bundle to runc.
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { TsukiError } from "../../common/errors.ts";
import { type Binding, parseBinding } from "../../spec/bindings.ts";
import { MEMORY_RANGE_MB, TARGET_NAMES } from "../../spec/limits.ts";
import type { TargetName } from "../../tender/targets/target.ts";
import { ENTRYPOINT } from "../spec.ts";

/** The annotation prefix tsuki-runtime owns: every key under it must be one it knows. */
export const RUNTIME_ANNOTATION = {
  prefix: "tsuki.dev/",
  device: "tsuki.dev/device.",
  arg: "tsuki.dev/arg.",
  target: "tsuki.dev/target",
} as const;

/** What the runtime runs by default: the hardened target (issue 18). */
export const DEFAULT_RUNTIME_TARGET: TargetName = "process";

export interface Bundle {
  /** The bundle folder, absolute. */
  readonly dir: string;
  /** The root file system, absolute. */
  readonly rootfs: string;
  /** The tsuki image's path on the host, or undefined when the root file system holds none (a runc bundle). */
  readonly image?: string;
  readonly bindings: readonly Binding[];
  readonly args: Readonly<Record<string, unknown>>;
  readonly target: TargetName;
  /** From linux.resources.memory.limit, whole MiB; undefined when the spec sets none. */
  readonly memoryMb?: number;
  /** The network namespace the spec names: a path to join, "new" for a fresh one, undefined for the host's. */
  readonly netns?: string;
  readonly annotations: Readonly<Record<string, string>>;
}

const bad = (message: string): TsukiError => new TsukiError("RUNTIME_BUNDLE", message);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Reads BUNDLE/config.json and finds the image in its root file system. */
export function readBundle(dir: string): Bundle {
  const abs = path.resolve(dir);
  const file = path.join(abs, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw bad(`the bundle ${abs} has no readable config.json: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw bad(`${file} is not JSON: ${(error as Error).message}`);
  }
  return parseBundleConfig(json, abs, (p) => existsSync(p) && statSync(p).isFile());
}

/** Checks a parsed config.json; `isFile` says whether a host path is a regular file (a parameter, for tests). */
export function parseBundleConfig(json: unknown, dir: string, isFile: (hostPath: string) => boolean): Bundle {
  if (!isObject(json)) throw bad("config.json is not a JSON object");
  const root = json.root;
  if (!isObject(root) || typeof root.path !== "string" || root.path === "") throw bad("config.json has no root.path (a string naming the root file system)");
  const rootfs = path.resolve(dir, root.path);

  const annotations = stringMap(json.annotations, "annotations");
  const processArgs = json.process === undefined ? [] : argsOf(json.process);
  const image = imageIn(rootfs, processArgs[0], isFile);

  const bindings: Binding[] = [];
  const args: Record<string, unknown> = {};
  let target = DEFAULT_RUNTIME_TARGET;
  for (const [key, value] of Object.entries(annotations)) {
    if (!key.startsWith(RUNTIME_ANNOTATION.prefix)) continue;
    if (key.startsWith(RUNTIME_ANNOTATION.device)) bindings.push(deviceAnnotation(key, value));
    else if (key.startsWith(RUNTIME_ANNOTATION.arg) && key.length > RUNTIME_ANNOTATION.arg.length) args[key.slice(RUNTIME_ANNOTATION.arg.length)] = plainValue(value);
    else if (key === RUNTIME_ANNOTATION.target) target = targetAnnotation(value);
    else throw new TsukiError("RUNTIME_ANNOTATION", `unknown annotation ${key}: tsuki-runtime knows ${RUNTIME_ANNOTATION.device}NAME, ${RUNTIME_ANNOTATION.arg}KEY and ${RUNTIME_ANNOTATION.target}`);
  }
  // process.args after the image: KEY=VALUE, as `tsuki run --arg` takes them.
  for (const arg of processArgs.slice(image === undefined ? 0 : 1)) {
    const eq = arg.indexOf("=");
    if (image !== undefined && eq <= 0) throw bad(`process.args ${JSON.stringify(arg)} is not KEY=VALUE: a unikernel's arguments are named`);
    if (image !== undefined) args[arg.slice(0, eq)] = plainValue(arg.slice(eq + 1));
  }

  const linux = json.linux === undefined ? {} : json.linux;
  if (!isObject(linux)) throw bad("linux is not an object");
  return {
    dir,
    rootfs,
    ...(image === undefined ? {} : { image }),
    bindings,
    args,
    target,
    ...optional("memoryMb", memoryOf(linux.resources)),
    ...optional("netns", netnsOf(linux.namespaces)),
    annotations,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) throw bad(`${where} is not an object`);
  for (const [key, v] of Object.entries(value)) if (typeof v !== "string") throw bad(`${where}.${key} is not a string`);
  return value as Record<string, string>;
}

function argsOf(process: unknown): string[] {
  if (!isObject(process)) throw bad("process is not an object");
  if (process.terminal === true) throw new TsukiError("RUNTIME_UNSUPPORTED", "process.terminal is true: a unikernel has no terminal (run it without -t / tty)");
  const args = process.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) throw bad("process.args is not an array of strings");
  return args as string[];
}

/** The image named by process.args[0] when it ends in .tsuki, else /unikernel.tsuki; undefined when absent. */
function imageIn(rootfs: string, first: string | undefined, isFile: (hostPath: string) => boolean): string | undefined {
  const inside = first !== undefined && first.endsWith(".tsuki") ? first : ENTRYPOINT;
  const resolved = path.join(rootfs, path.posix.normalize(`/${inside}`));
  return isFile(resolved) ? resolved : undefined;
}

function deviceAnnotation(key: string, value: string): Binding {
  const name = key.slice(RUNTIME_ANNOTATION.device.length);
  try {
    return parseBinding(`${name}=${value}`);
  } catch (error) {
    throw new TsukiError("RUNTIME_ANNOTATION", `annotation ${key}=${value} is not a device binding: ${(error as Error).message}`);
  }
}

function targetAnnotation(value: string): TargetName {
  if (!(TARGET_NAMES as readonly string[]).includes(value)) throw new TsukiError("RUNTIME_ANNOTATION", `annotation ${RUNTIME_ANNOTATION.target}=${value}: the targets are ${TARGET_NAMES.join(", ")}`);
  return value as TargetName;
}

function plainValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function memoryOf(resources: unknown): number | undefined {
  if (resources === undefined) return undefined;
  if (!isObject(resources)) throw bad("linux.resources is not an object");
  const memory = resources.memory;
  if (memory === undefined) return undefined;
  if (!isObject(memory)) throw bad("linux.resources.memory is not an object");
  const limit = memory.limit;
  if (limit === undefined || limit === -1) return undefined;
  if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit <= 0) throw bad(`linux.resources.memory.limit ${JSON.stringify(limit)} is not a positive number of bytes`);
  const mb = Math.floor(limit / 2 ** 20);
  if (mb < MEMORY_RANGE_MB.min || mb > MEMORY_RANGE_MB.max) throw bad(`linux.resources.memory.limit ${limit} bytes is ${mb} MiB: a unikernel's memory is ${MEMORY_RANGE_MB.min} to ${MEMORY_RANGE_MB.max} MiB`);
  return mb;
}

function netnsOf(namespaces: unknown): string | undefined {
  if (namespaces === undefined) return undefined;
  if (!Array.isArray(namespaces)) throw bad("linux.namespaces is not an array");
  for (const ns of namespaces) {
    if (!isObject(ns) || typeof ns.type !== "string") throw bad("linux.namespaces holds an entry without a type");
    if (ns.type !== "network") continue;
    if (ns.path === undefined || ns.path === "") return "new";
    if (typeof ns.path !== "string") throw bad("linux.namespaces' network path is not a string");
    return ns.path;
  }
  return undefined;
}
