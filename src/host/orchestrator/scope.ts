/**
 * @module host/orchestrator/scope
 * Who is asking, and what they may see: the API's requests come from the host's administrator
 * (the Unix socket: every unikernel, full names) or from a tenant (mutual TLS: its subtree only).
 *
 * A tenant's names are relative to its path, both ways: tenant `acme` asking for `web-1` acts on
 * the host's `acme/web-1`, and `sub/web-1` on its sub-tenant's `acme/sub/web-1`; answers name
 * unikernels the same way. A name can therefore never reach outside the tenant's subtree, and a
 * unikernel of another tenant is answered exactly as one that does not exist (404
 * ERR_NOT_FOUND, same message), so a tenant cannot learn what others run.
 */

import { mkdirSync } from "node:fs";
import path from "node:path";
import { DaemonError } from "./errors.ts";
import { checkName } from "./spec.ts";
import { type Tenant, tenantName } from "./tenants.ts";

export type Caller = { readonly kind: "admin" } | { readonly kind: "tenant"; readonly tenant: Tenant };

export const ADMIN: Caller = { kind: "admin" };

/** The host's name for a name the caller wrote. */
export function fullName(caller: Caller, name: string): string {
  checkName(name);
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
 * and its block files by the bare names the tenant gave (the daemon's directories are not its
 * business).
 */
export function present<T extends { name: string; devices?: unknown }>(caller: Caller, answer: T, stateDir: string): T {
  if (caller.kind === "admin") return answer;
  const dir = `=file:${blockDir(caller.tenant, stateDir)}${path.sep}`;
  // An info's devices are its bindings; a stats answer's are counters, left as they are.
  const devices = Array.isArray(answer.devices) ? answer.devices.map((d: unknown) => (typeof d === "string" ? d.replace(dir, "=file:") : d)) : answer.devices;
  return { ...answer, name: callerName(caller, answer.name) ?? answer.name, devices };
}

function blockDir(tenant: Tenant, stateDir: string): string {
  return path.join(stateDir, "tenants", ...tenant.path);
}

/** Runs `op`; a not-found names the unikernel as the caller wrote it, whoever it belongs to. */
export async function asCaller<T>(name: string, op: () => T | Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (error instanceof DaemonError && error.code === "ERR_NOT_FOUND") throw new DaemonError("NOT_FOUND", `no unikernel named "${name}" here: "tsuki list" shows yours`);
    throw error;
  }
}

const BLOCK_FILE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * A tenant's device bindings with its block files placed in the daemon's directory for it:
 * `data=file:data.img?size=64M` becomes `data=file:STATE/tenants/acme/web/data.img?size=64M`.
 * A tenant names no host path; the administrator's bindings pass unchanged.
 */
export function placeBlockFiles(caller: Caller, devices: unknown, stateDir: string): unknown {
  if (caller.kind === "admin" || !Array.isArray(devices)) return devices;
  const dir = blockDir(caller.tenant, stateDir);
  return devices.map((binding: unknown) => {
    if (typeof binding !== "string") return binding;
    const at = binding.indexOf("=file:");
    if (at < 0) return binding;
    const [file, query] = binding.slice(at + "=file:".length).split("?", 2) as [string, string | undefined];
    if (!BLOCK_FILE.test(file)) {
      throw new DaemonError("POLICY_DENIED", `${binding.slice(0, 120)}: a tenant names a block file by a bare name (e.g. file:data.img?size=64M), which the daemon keeps in a directory of its own for the tenant; host paths are the administrator's`);
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return `${binding.slice(0, at)}=file:${path.join(dir, file)}${query === undefined ? "" : `?${query}`}`;
  });
}
