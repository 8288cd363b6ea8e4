/**
 * @module host/build/declaration
 * Reads a unikernel's declaration (its devices and assets folder) the way Mirage evaluates
 * config.ml: the tender evaluates the bundled module in a throwaway isolate (tender/declaration.ts,
 * reached through the tender's public index), and this module validates what its default export
 * declares: device names, kinds, origins, a Workers-style module's handlers. A top-level exception
 * fails the build, its stack mapped to the developer's files through the bundle's source map.
 */

import { DEVICE_KINDS, MAX_DEVICES, deviceNameProblem, isDeviceKind, type DeviceDecl, type DeviceKind } from "../../abi/index.ts";
import { TsukiError } from "../common/errors.ts";
import { stackMapper } from "../image/source-map.ts";
import { type Declaration, readDeclaration } from "../tender/index.ts";
import { workersModule } from "./platforms.ts";

export interface UnikernelDeclaration {
  readonly devices: Record<string, DeviceDecl>;
  readonly assets: string | null;
  /** Set when the default export is a Workers-style module rather than a unikernel: its handlers (the build wraps it, workers.ts). */
  readonly workers?: readonly string[];
}

/** `map`: the bundle's source map, to point a thrown stack at the developer's files; `web`: run the guest runtime's web part too, as the tender will (the image uses web globals). */
export function checkedDeclaration(name: string, code: string, options: { map?: string; web?: boolean } = {}): UnikernelDeclaration {
  const read = readDeclaration({ name, code, web: options.web === true });
  switch (read.kind) {
    case "ended":
      throw new TsukiError("BUILD_DECLARATION", `the unikernel's top-level code called ${read.call} while the build read its declaration; call it from start() instead`);
    case "failed": {
      const mapped = options.map === undefined ? (text: string) => text : stackMapper(Buffer.from(options.map, "utf8"));
      throw new TsukiError("BUILD_DECLARATION", `the unikernel's top-level code failed while the build read its declaration (${read.end}):\n${mapped(read.detail)}`);
    }
    case "not-a-unikernel":
      throw new TsukiError("BUILD_DECLARATION", read.message);
    case "declared": {
      const declared = read.declaration;
      if (declared.workers === undefined) return validate(declared);
      if (declared.workers.some((handler) => handler !== "fetch")) throw new TsukiError("BUILD_DECLARATION", workersModule(declared.workers));
      return { devices: {}, assets: null, workers: declared.workers };
    }
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
