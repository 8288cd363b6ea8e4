/**
 * @module host/orchestrator/tenants
 * Tenants, from the certificate chain a client presents (Albatross's delegation): each tenant
 * certificate between the trusted CA and the client's leaf is one segment of a path, so the
 * client of `CA → acme → web → leaf` is tenant `acme/web`, and its unikernels are named
 * `acme/web/NAME` on the host. Each of those certificates carries a policy; a sub-tenant's must fit
 * inside its parent's (checked whenever the chain is presented: ERR_POLICY_EXCEEDS_PARENT). The
 * chain is read in tenant-chain.ts, with the X.509 stack; this module needs none of it.
 *
 * Usage is accounted across subtrees at run time: a create by `acme/web` must leave `acme/web`
 * *and* `acme` within their budgets (unikernels, memory), counting every unikernel already under
 * each path, whoever created it; a block volume's create likewise for block storage, counting
 * every volume under each path from its create to its destroy (volumes.ts), however many
 * unikernels bind it. The checks run synchronously with the daemon's claim of the name, so two
 * concurrent creates cannot both squeeze into the last slot.
 */

import type { Manifest } from "../../abi/index.ts";
import { DaemonError } from "./errors.ts";
import { type Policy, formatPorts, portAllowed } from "./policy.ts";
import { type UnikernelSpec, specBindings } from "./spec.ts";
import { type VolumeRecord, volumeMb } from "./volumes.ts";

/** Tenant certificates in one chain, at most (Albatross: chains shorter than 10). */
export const MAX_TENANT_DEPTH = 8;

export interface Tenant {
  /** Path segments from the CA down: ["acme", "web"]. */
  readonly path: readonly string[];
  /** policies[i] is the policy of path[0..i]. */
  readonly policies: readonly Policy[];
  /** The client certificate's CN, for logs. */
  readonly client: string;
}

export function tenantName(tenant: Tenant, depth = tenant.path.length): string {
  return tenant.path.slice(0, depth).join("/");
}

export interface Usage {
  unikernels: number;
  memoryMb: number;
  storageMb: number;
}

/** What accounting reads of a unikernel. */
export type Accounted = Pick<UnikernelSpec, "name" | "memoryMb">;

/** What accounting reads of a block volume. */
export type AccountedVolume = Pick<VolumeRecord, "name" | "size">;

/** What the unikernels and block volumes under `prefix/` use. */
export function usageUnder(prefix: string, specs: Iterable<Accounted>, volumes: Iterable<AccountedVolume> = []): Usage {
  const usage: Usage = { unikernels: 0, memoryMb: 0, storageMb: 0 };
  for (const spec of specs) {
    if (!spec.name.startsWith(`${prefix}/`)) continue;
    usage.unikernels++;
    usage.memoryMb += spec.memoryMb;
  }
  for (const volume of volumes) if (volume.name.startsWith(`${prefix}/`)) usage.storageMb += volumeMb(volume);
  return usage;
}

/** Each level of the tenant's path with its policy and what its subtree uses now. */
export function budgets(tenant: Tenant, specs: readonly Accounted[], volumes: readonly AccountedVolume[] = []): { tenant: string; policy: Policy; used: Usage }[] {
  return tenant.policies.map((policy, i) => ({ tenant: tenantName(tenant, i + 1), policy, used: usageUnder(tenantName(tenant, i + 1), specs, volumes) }));
}

/**
 * Checks a tenant's block volume create against the storage left to the tenant and to each of
 * its ancestors, counting every volume on the host under each path (`volumes`).
 */
export function admitVolume(tenant: Tenant, sizeMb: number, volumes: readonly AccountedVolume[]): void {
  const me = tenantName(tenant);
  for (const { tenant: who, policy, used } of budgets(tenant, [], volumes)) {
    const whose = who === me ? `tenant "${who}"` : `tenant "${who}" (which "${me}" is under)`;
    if (used.storageMb + sizeMb > policy.storageMb) {
      throw new DaemonError("POLICY_BUDGET", `${whose} has ${policy.storageMb - used.storageMb}M of its ${policy.storageMb}M block storage left and this volume asks for ${sizeMb}M: destroy a volume first (tsuki block list), ask for less, or have a larger policy issued`);
    }
  }
}

/**
 * Checks a tenant's create against its policy (target, devices, listen addresses and ports) and
 * against the remaining budget of the tenant and of each of its ancestors. `spec.name` is the
 * full name; `others` every unikernel on the host.
 */
export function admit(tenant: Tenant, spec: UnikernelSpec, manifest: Manifest, others: readonly UnikernelSpec[]): void {
  const own = tenant.policies.at(-1)!;
  const me = tenantName(tenant);
  if (!own.targets.includes(spec.target)) throw new DaemonError("POLICY_DENIED", `target ${spec.target} is not allowed for tenant "${me}" (its policy allows ${own.targets.join(", ")}): give --target ${own.targets[0]}`);
  for (const { name, uri } of specBindings(spec)) {
    const kind = manifest.devices[name]?.kind;
    const scheme = uri.slice(0, uri.indexOf(":"));
    if (kind === "listener" || kind === "udp") {
      if (scheme === "tls") throw new DaemonError("POLICY_DENIED", `device "${name}": a tls: listener reads its certificate and key from host files, which tenants may not name: bind tcp:// and terminate TLS in the unikernel, or ask the host's administrator`);
      const url = new URL(uri.split("?", 1)[0]!);
      const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
      const port = Number(url.port);
      if (!own.addresses.includes(host)) throw new DaemonError("POLICY_DENIED", `device "${name}": listening on ${host} is not allowed for tenant "${me}" (its policy allows ${own.addresses.join(", ") || "no addresses"}): bind one of those`);
      if (!portAllowed(own, port)) throw new DaemonError("POLICY_DENIED", `device "${name}": port ${port} is outside the ports of tenant "${me}" (${formatPorts(own.ports)}): bind a port in that range${port === 0 ? " (port 0, any free port, could land anywhere)" : ""}`);
    } else if (kind !== "block") {
      throw new DaemonError("POLICY_DENIED", `device "${name}" is a ${kind ?? "device"} bound to ${scheme}:, which tenants may not bind yet (only listeners, udp sockets and block devices are delegated): ask the host's administrator to create it`);
    }
  }
  // Block volumes are accounted from their own create (admitVolume); a unikernel binds them for free.
  const wanted = { memoryMb: spec.memoryMb };
  for (const { tenant: who, policy, used } of budgets(tenant, others)) {
    const whose = who === me ? `tenant "${who}"` : `tenant "${who}" (which "${me}" is under)`;
    const fix = "destroy one of its unikernels first (tsuki list), ask for less, or have a larger policy issued";
    if (used.unikernels + 1 > policy.unikernels) throw new DaemonError("POLICY_BUDGET", `${whose} may run ${policy.unikernels} unikernels and runs ${used.unikernels} already: ${fix}`);
    if (used.memoryMb + wanted.memoryMb > policy.memoryMb) throw new DaemonError("POLICY_BUDGET", `${whose} has ${policy.memoryMb - used.memoryMb}M of its ${policy.memoryMb}M memory left and this create asks for ${wanted.memoryMb}M: ${fix}`);
  }
}
