/**
 * @module host/orchestrator/control/scope
 * Who is asking, and what they may see: the API's requests come from the host's administrator
 * (the Unix socket: every unikernel, full names) or from a tenant (mutual TLS: its subtree only).
 *
 * A tenant's names are relative to its path, both ways: tenant `acme` asking for `web-1` acts on
 * the host's `acme/web-1`, and `sub/web-1` on its sub-tenant's `acme/sub/web-1`; answers name
 * unikernels the same way. A name can therefore never reach outside the tenant's subtree, and a
 * unikernel of another tenant is answered exactly as one that does not exist (404
 * ERR_NOT_FOUND, same message), so a tenant cannot learn what others run. Block volumes are
 * named and hidden the same way.
 */

import { TsukiError } from "../../common/errors.ts";
import { type BlockBinding, UriProblem, VOLUME_LABEL, formatDeviceUri, parseDeviceUri } from "../../spec/device-uri.ts";
import { requestBinding } from "../../spec/bindings.ts";
import { DaemonError } from "../api/errors.ts";
import { checkName } from "../model/spec.ts";
import { type Tenant, tenantName } from "./tenants.ts";
import { blockBinding, checkVolumeName } from "../store/volumes.ts";

export type Caller = { readonly kind: "admin" } | { readonly kind: "tenant"; readonly tenant: Tenant };

export const ADMIN: Caller = { kind: "admin" };

/** The host's name for a name the caller wrote. */
export function fullName(caller: Caller, name: string, what: "unikernel" | "block volume" = "unikernel"): string {
  if (what === "unikernel") checkName(name);
  else checkVolumeName(caller.kind === "admin" ? name : `${tenantName(caller.tenant)}/${name}`);
  return caller.kind === "admin" ? name : `${tenantName(caller.tenant)}/${name}`;
}

/** The caller's name for a host's name, or undefined when it is outside the caller's subtree. */
export function callerName(caller: Caller, full: string): string | undefined {
  if (caller.kind === "admin") return full;
  const prefix = `${tenantName(caller.tenant)}/`;
  return full.startsWith(prefix) ? full.slice(prefix.length) : undefined;
}

/**
 * An answer about one unikernel as the caller would write it: its name relative to the tenant,
 * and its block volumes by the names the tenant gave them (`file:NAME`; the daemon's files are
 * not its business). `volumeOf` names the volume a file is, if any.
 */
export function present<T extends { name: string; devices?: unknown }>(caller: Caller, answer: T, volumeOf: (file: string) => string | undefined): T {
  if (caller.kind === "admin") return answer;
  // An info's devices are its bindings; a stats answer's are counters, left as they are.
  const devices = Array.isArray(answer.devices) ? answer.devices.map((d: unknown) => (typeof d === "string" ? presentBinding(caller, d, volumeOf) : d)) : answer.devices;
  return { ...answer, name: callerName(caller, answer.name) ?? answer.name, devices };
}

function presentBinding(caller: Caller, binding: string, volumeOf: (file: string) => string | undefined): string {
  const block = blockBinding(binding);
  const volume = block?.device.scheme === "file" ? volumeOf(block.device.path) : undefined;
  if (block === undefined || volume === undefined) return binding;
  const { sector } = block.device;
  return `${block.name}=${formatDeviceUri({ kind: "block", scheme: "file", path: callerName(caller, volume) ?? volume, ...(sector === undefined ? {} : { sector }) })}`;
}

/** Runs `op`; a not-found names the unikernel (or volume) as the caller wrote it, whoever it belongs to. */
export async function asCaller<T>(name: string, op: () => T | Promise<T>, what: "unikernel" | "block volume" = "unikernel"): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (error instanceof DaemonError && error.code === "ERR_NOT_FOUND") {
      throw new DaemonError("NOT_FOUND", what === "unikernel" ? `no unikernel named "${name}" here: "tsuki list" shows yours` : `no block volume named "${name}" here: "tsuki block list" shows yours`);
    }
    throw error;
  }
}

/**
 * A tenant's device bindings with its block volumes named in full: `data=file:data.img` (or
 * `data=volume:data.img`) becomes `data=volume:acme/web/data.img`, resolved by the daemon to the
 * volume's file. A tenant names only its own volumes, by bare name, and no host path; the
 * administrator's bindings pass unchanged (host paths, or `volume:FULL/NAME`). Block bindings are
 * read by the one device-URI parser, so what it refuses (a control character after the path, an
 * option given twice, a size that is not a number) never reaches the daemon; other bindings are
 * parsed against the image's declaration when the daemon checks the create.
 */
export function placeVolumes(caller: Caller, devices: unknown): unknown {
  if (caller.kind === "admin" || !Array.isArray(devices)) return devices;
  return devices.map((text: unknown, i) => {
    if (typeof text !== "string") return text;
    const { name, uri } = requestBinding(text, i);
    if (!/^(?:file|volume):/.test(uri)) return text;
    let block: BlockBinding;
    try {
      block = parseDeviceUri("block", uri, { volumes: true }) as BlockBinding;
    } catch (error) {
      if (error instanceof UriProblem) throw new TsukiError("DEV_MALFORMED", `device "${name}": ${uri.slice(0, 120)} (devices[${i}]) is malformed: it ${error.message}`);
      throw error;
    }
    const own = block.scheme === "file" ? block.path : block.volume;
    if (!VOLUME_LABEL.test(own)) {
      throw new DaemonError("POLICY_DENIED", `${JSON.stringify(text.slice(0, 120))}: a tenant binds its block volumes by their bare names (e.g. file:data.img, after "tsuki block create data.img --size 64M"); host paths are the administrator's`);
    }
    const { size, sector } = block;
    return `${name}=${formatDeviceUri({ kind: "block", scheme: "volume", volume: `${tenantName(caller.tenant)}/${own}`, ...(size === undefined ? {} : { size }), ...(sector === undefined ? {} : { sector }) })}`;
  });
}
