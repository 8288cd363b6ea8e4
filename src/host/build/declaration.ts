/**
 * @module host/build/declaration
 * Reads a unikernel's declaration (its devices and assets folder) the way Mirage evaluates
 * config.ml: by evaluating the bundled module in a throwaway isolate that holds the guest runtime
 * and nothing else, then validating what its default export declares. `start` is never called, no
 * timer fires, and top-level console output is discarded. A top-level exception fails the build,
 * its stack mapped to the developer's files through the bundle's source map.
 */

import { DEVICE_KINDS, MAX_DEVICES, deviceNameProblem, isDeviceKind, type DeviceDecl, type DeviceKind } from "../../abi/index.ts";
import { TsukiError } from "../common/errors.ts";
import { thrownText } from "../tender/guest-stack.ts";
import { workersModule } from "./platforms.ts";
import { stackMapper } from "./source-map.ts";
import { NO_DEVICES, makeHypercall } from "../tender/hypercalls.ts";
import { isolateTarget } from "../tender/targets/isolate.ts";
import type { Declaration } from "../tender/targets/target.ts";

export interface UnikernelDeclaration {
  readonly devices: Record<string, DeviceDecl>;
  readonly assets: string | null;
  /** Set when the default export is a Workers-style module rather than a unikernel: its handlers (the build wraps it, workers.ts). */
  readonly workers?: readonly string[];
}

/** `map`: the bundle's source map, to point a thrown stack at the developer's files; `web`: run the guest runtime's web part too, as the tender will (the image uses web globals). */
export function readDeclaration(name: string, code: string, options: { map?: string; web?: boolean } = {}): UnikernelDeclaration {
  const map = options.map;
  let ended: string | undefined;
  const origin = performance.now();
  const hypercall = makeHypercall({
    alive: () => ended === undefined,
    exit: (code) => (ended = `exit(${code})`),
    abort: (reason) => (ended = `abort: ${reason}`),
    console: () => undefined,
    monotonic: () => performance.now() - origin,
    armTimer: () => undefined,
    asset: () => undefined,
    rejected: () => undefined,
    devices: NO_DEVICES,
  });
  // The author's own code: a host without a C++ compiler builds images all the same (V8's heap limit only).
  const guest = isolateTarget.create({ name, entry: code, hypercall, memoryMb: 128, cpuMs: 5000, web: options.web === true, guardOptional: true });
  try {
    const end = guest.evaluate();
    if (ended !== undefined) throw new TsukiError("BUILD_DECLARATION", `the unikernel's top-level code called ${ended} while the build read its declaration; call it from start() instead`);
    if (end !== undefined) {
      const mapped = map === undefined ? (text: string) => text : stackMapper(Buffer.from(map, "utf8"));
      const detail = end.kind === "threw" ? mapped(thrownText(end.error)) : end.kind;
      throw new TsukiError("BUILD_DECLARATION", `the unikernel's top-level code failed while the build read its declaration (${end.kind}):\n${detail}`);
    }
    let declared;
    try {
      declared = guest.declaration();
    } catch (error) {
      throw new TsukiError("BUILD_DECLARATION", (error as Error).message);
    }
    if (declared.workers !== undefined) {
      if (declared.workers.some((handler) => handler !== "fetch")) throw new TsukiError("BUILD_DECLARATION", workersModule(declared.workers));
      return { devices: {}, assets: null, workers: declared.workers };
    }
    return validate(declared);
  } finally {
    guest.dispose();
  }
}

function validate(declared: Declaration): UnikernelDeclaration {
  const problems: string[] = [];
  const names = Object.keys(declared.devices).sort();
  if (names.length > MAX_DEVICES) problems.push(`it declares ${names.length} devices; at most ${MAX_DEVICES} are allowed`);
  const devices: Record<string, DeviceDecl> = {};
  for (const name of names) {
    const problem = deviceNameProblem(name);
    if (problem) problems.push(problem);
    const kind = declared.devices[name]!.kind;
    if (!isDeviceKind(kind)) problems.push(`device "${name}" has kind "${kind}"; declare it with one of ${DEVICE_KINDS.map((k) => `${k}()`).join(", ")}`);
    const origin = declared.devices[name]!.origin;
    devices[name] = { kind: kind as DeviceKind, ...(declared.devices[name]!.optional === true ? { optional: true as const } : {}), ...(typeof origin === "string" ? { origin } : {}) };
    // Two connectors for one origin would leave fetch to guess which the operator meant.
    const twin = typeof origin === "string" ? names.find((other) => other < name && declared.devices[other]!.origin === origin) : undefined;
    if (twin !== undefined) problems.push(`devices "${twin}" and "${name}" both declare the origin ${origin}: fetch would not know which to use; keep one`);
  }
  if (problems.length > 0) throw new TsukiError("BUILD_DECLARATION", `the unikernel's declaration is invalid: ${problems.join("; ")}`, problems);
  return { devices, assets: declared.assets };
}
