/**
 * @module host/spec/bindings
 * Device bindings: which host resource each declared device is bound to. A binding is written
 * `name=URI` (`--dev web=tcp://127.0.0.1:8080`); the URI's scheme must suit the declared kind.
 * `checkBindings` compares the bindings with the image's manifest and reports every device that
 * is declared but not bound, bound but not declared, bound to a resource of the wrong kind, or
 * whose URI the one strict parser (spec/device-uri.ts) refuses, each with the flag that would fix
 * it (DESIGN.md, principle 3: static resources). What it returns holds each device's typed
 * binding, which is all the device backends read.
 */

import { type DeviceKind, type Manifest, deviceNameProblem, parseOrigin } from "../../abi/index.ts";
import { TsukiError } from "../common/errors.ts";
import { type DeviceBinding, type ParseOptions, SCHEMES, UriProblem, formatDeviceUri, parseDeviceUri } from "./device-uri.ts";
import type { InputPath } from "./run-spec.ts";

export interface Binding {
  readonly name: string;
  readonly uri: string;
  /** The kind the binding was written for (a run configuration's tag); checked against the declaration. */
  readonly kind?: DeviceKind;
  /** Where the binding was written, for messages: a flag, a file, line and column, or the API's `devices[2]`. */
  readonly origin?: string;
  /** The input path it came by, which says how messages spell a fix (`--dev web=…`, `"web=…" in devices`); the command line when absent. */
  readonly path?: InputPath;
}

/** A binding checked against its declaration: the typed device the backends open. */
export interface BoundDevice extends Binding {
  readonly device: DeviceBinding;
}

/** Parses one `--dev` value. */
export function parseBinding(text: string): Binding {
  return readBinding(text);
}

/** Parses `devices[index]` of tsukid's create request: as `--dev`, its errors naming it so. */
export function requestBinding(text: string, index: number): Binding {
  return readBinding(text, index);
}

function readBinding(text: string, index?: number): Binding {
  const api = index !== undefined;
  const where = api ? `devices[${index}] ${JSON.stringify(text.slice(0, 200))}` : `--dev ${JSON.stringify(text.slice(0, 200))}`;
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1) {
    throw new TsukiError("DEV_MALFORMED", `${where} is malformed: write ${api ? `"NAME=URI", e.g. "web=tcp://127.0.0.1:8080"` : "--dev NAME=URI, e.g. --dev web=tcp://127.0.0.1:8080"}`);
  }
  const name = text.slice(0, eq);
  const uri = text.slice(eq + 1);
  const problem = deviceNameProblem(name);
  if (problem) throw new TsukiError("DEV_MALFORMED", `${where}: ${problem}`);
  if (!/^[a-z][a-z0-9+.-]*:/.test(uri)) {
    throw new TsukiError("DEV_MALFORMED", `${where}: the URI has no scheme; write a URI such as tcp://127.0.0.1:8080, udp://127.0.0.1:53, tap:tap0 or file:data.img`);
  }
  return api ? { name, uri, origin: `devices[${index}]`, path: "api" } : { name, uri };
}

/** A binding as its input path writes one: `--dev web=URI`, `"web=URI" in devices`; a run configuration's at its place. */
function spelled(binding: Pick<Binding, "name" | "path" | "origin">, uri: string): string {
  if (binding.path === "api") return `"${binding.name}=${uri}" in devices`;
  if (binding.path === "yaml") return `devices.${binding.name} (${binding.origin ?? "the run configuration"})`;
  return `--dev ${binding.name}=${uri}`;
}

/** A binding as `--dev` and tsukid's create request write it: `NAME=URI`. */
export function formatBinding(binding: Pick<Binding, "name" | "uri">): string {
  return `${binding.name}=${binding.uri}`;
}

type ProblemCode = "DEV_BOUND_TWICE" | "DEV_UNBOUND" | "DEV_UNDECLARED" | "DEV_WRONG_KIND" | "DEV_MALFORMED" | "DEV_ORIGIN";

/** One mismatch between the bindings and the manifest, with its own stable code. */
export interface BindingProblem {
  readonly code: `ERR_${ProblemCode}`;
  readonly message: string;
}

/**
 * Every mismatch found in one check. `code` and `message` are the first problem's; `details`
 * holds every message and `problems` every message with its own code, since one check can find
 * problems of several kinds (a device bound twice and another not bound at all).
 */
export class BindingsError extends TsukiError {
  declare readonly problems: readonly BindingProblem[];

  constructor(problems: readonly { code: ProblemCode; text: string }[]) {
    const first = problems[0]!;
    super(first.code, first.text, problems.map((p) => p.text), problems.map((p) => ({ code: `ERR_${p.code}` as const, message: p.text })));
    this.name = "BindingsError";
  }
}

/**
 * Checks bindings against the manifest; throws one BindingsError listing every mismatch, each
 * fix spelled as the binding's input path writes it (`path`: how a missing binding is added).
 * `partial`: only the bindings given are read (a device left unbound is not this check's business).
 */
export function checkBindings(manifest: Manifest, bindings: readonly Binding[], options: ParseOptions & { path?: InputPath; partial?: boolean } = {}): Map<string, BoundDevice> {
  const problems: { code: ProblemCode; text: string }[] = [];
  const bound = new Map<string, BoundDevice>();
  const seen = new Map<string, Binding>();
  for (const binding of bindings) {
    const first = seen.get(binding.name);
    if (first) {
      const where = (b: Binding) => (b.origin ? `${b.uri} in ${b.origin}` : b.uri);
      problems.push({ code: "DEV_BOUND_TWICE", text: `device "${binding.name}" is bound twice (${where(first)} and ${where(binding)}): keep one binding for "${binding.name}"` });
      continue;
    }
    seen.set(binding.name, binding);
    const decl = Object.hasOwn(manifest.devices, binding.name) ? manifest.devices[binding.name] : undefined;
    if (!decl) {
      const declared = Object.keys(manifest.devices);
      problems.push({
        code: "DEV_UNDECLARED",
        text: `device "${binding.name}" is bound but image "${manifest.name}" does not declare it (${declared.length ? `it declares ${declared.join(", ")}` : "it declares no devices"}): remove ${spelled(binding, binding.uri)}`,
      });
      continue;
    }
    if (binding.kind !== undefined && binding.kind !== decl.kind) {
      problems.push({
        code: "DEV_WRONG_KIND",
        text: `device "${binding.name}" is a ${decl.kind} but ${binding.origin ?? "its binding"} binds a ${binding.kind}: use the tag for a ${decl.kind} (e.g. ${SCHEMES[decl.kind].example})`,
      });
      continue;
    }
    try {
      const device = parseDeviceUri(decl.kind, binding.uri, options);
      const mismatch = decl.origin === undefined ? undefined : originMismatch(binding.name, decl.origin, device);
      if (mismatch !== undefined) problems.push({ code: "DEV_ORIGIN", text: mismatch });
      else bound.set(binding.name, { ...binding, device });
    } catch (error) {
      if (!(error instanceof UriProblem)) throw error;
      const shown = binding.uri.slice(0, 300);
      if (error.wrongKind) {
        problems.push({
          code: "DEV_WRONG_KIND",
          text: `device "${binding.name}" is a ${decl.kind} but is bound to ${shown}: bind it to ${SCHEMES[decl.kind].schemes.join(" or ")}…, e.g. ${spelled(binding, SCHEMES[decl.kind].example)}`,
        });
      } else {
        problems.push({ code: "DEV_MALFORMED", text: `device "${binding.name}": ${shown}${binding.path === "api" ? ` (${binding.origin})` : ""} is malformed: it ${error.message}; e.g. ${spelled(binding, SCHEMES[decl.kind].example)}` });
      }
    }
  }
  for (const [name, decl] of options.partial ? [] : Object.entries(manifest.devices)) {
    if (!seen.has(name) && !decl.optional) {
      const example = decl.origin === undefined ? SCHEMES[decl.kind].example : originExample(decl.origin);
      problems.push({ code: "DEV_UNBOUND", text: `device "${name}" is declared by image "${manifest.name}" but not bound: add ${spelled({ name, ...(options.path === undefined ? {} : { path: options.path }) }, example)}` });
    }
  }
  if (problems.length > 0) throw new BindingsError(problems);
  return bound;
}

/**
 * Why a connector declared with `origin` cannot serve it through `device`, naming both, or
 * undefined when it can: an https origin needs a tls:// binding that verifies the origin's host
 * (its `servername`, or its host when it has none), an http origin a tcp:// binding. Where the
 * bytes go (the binding's host and port) is the operator's to choose: a proxy, a test server.
 */
function originMismatch(name: string, origin: string, device: DeviceBinding): string | undefined {
  const parsed = parseOrigin(origin);
  if (typeof parsed === "string" || device.kind !== "connector") return undefined;
  const shown = formatDeviceUri(device);
  if (parsed.scheme === "http") {
    if (device.scheme === "tcp") return undefined;
    return `device "${name}" serves fetch for ${origin} but is bound to ${shown}: an http origin is reached over plain TCP, so bind a tcp:// endpoint (e.g. --dev ${name}=${originExample(origin)}), or declare the origin as https`;
  }
  if (device.scheme !== "tls") return `device "${name}" serves fetch for ${origin} but is bound to ${shown}: an https origin needs TLS done by the host, so bind a tls:// endpoint whose certificate is for ${parsed.host} (e.g. --dev ${name}=${originExample(origin)})`;
  const verified = device.servername ?? device.host;
  if (verified === parsed.host.replace(/^\[|\]$/g, "")) return undefined;
  return `device "${name}" serves fetch for ${origin} but its binding ${shown} verifies the certificate for ${verified}: bind it with ?servername=${parsed.host} (or to the host ${parsed.host} itself), or declare the origin of the server it reaches`;
}

/** A binding that suits `origin`: its host and port, over tls:// for https. */
function originExample(origin: string): string {
  const parsed = parseOrigin(origin);
  if (typeof parsed === "string") return SCHEMES.connector.example;
  return `${parsed.scheme === "https" ? "tls" : "tcp"}://${parsed.host}:${parsed.port}`;
}
