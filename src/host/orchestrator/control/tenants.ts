/**
 * @module host/orchestrator/control/tenants
 * Tenants, from the certificate chain a client presents (Albatross's delegation): each tenant
 * certificate between the trusted CA and the client's leaf is one segment of a path, so the
 * client of `CA → acme → web → leaf` is tenant `acme/web`, and its unikernels are named
 * `acme/web/NAME` on the host. Each of those certificates carries a policy; a sub-tenant's must fit
 * inside its parent's (checked whenever the chain is presented: ERR_POLICY_EXCEEDS_PARENT). The
 * chain is read in tenant-chain.ts, with the X.509 stack; this module needs none of it.
 *
 * Usage is accounted across subtrees at run time: a create by `acme/web` must leave `acme/web`
 * *and* `acme` within their budgets (unikernels, memory, connections), counting every unikernel
 * already under each path, whoever created it; a block volume's create or an image's upload
 * likewise for storage, counting every volume under each path from its create to its destroy
 * (volumes.ts), however many unikernels bind it, and every image a tenant of the path owns
 * (image-owners.ts). The checks run synchronously with the daemon's claim of the name, so two
 * concurrent creates cannot both squeeze into the last slot.
 */

import type { Manifest } from "../../../abi/index.ts";
import { DaemonError } from "../api/errors.ts";
import { type DeviceBinding, formatDeviceUri, parseDeviceUri } from "../../spec/device-uri.ts";
import { checkBindings, formatBinding } from "../../spec/bindings.ts";
import { CONSOLE_DEFAULTS, checkConsoleLimits } from "../../tender/console-limits.ts";
import { DEFAULT_MAX_CONNECTIONS } from "../../tender/devices/listener.ts";
import { type Policy, formatPeers, formatPorts, peerAllowed, portAllowed } from "../pki/policy.ts";
import { type Tenant, tenantName } from "../pki/tenant.ts";
import { type UnikernelSpec, specBindings } from "../model/spec.ts";
import { type VolumeRecord, volumeMb } from "../store/volumes.ts";
import { type ImageOwner, imageMb } from "../store/image-owners.ts";

/** A tenant is its chain's (pki/tenant.ts), re-exported for the daemon's files. */
export { MAX_TENANT_DEPTH, type Tenant, tenantName } from "../pki/tenant.ts";

export interface Usage {
  unikernels: number;
  memoryMb: number;
  storageMb: number;
  /** The listeners' and connectors' connection caps (?max=), summed. */
  connections: number;
}

/** What accounting reads of a unikernel. */
export type Accounted = Pick<UnikernelSpec, "name" | "memoryMb" | "devices">;

/** What accounting reads of a block volume. */
export type AccountedVolume = Pick<VolumeRecord, "name" | "size">;

/** What accounting reads of an image's ownership. */
export type AccountedImage = Pick<ImageOwner, "owner" | "size">;

/** What the unikernels, block volumes and images under `prefix/` use. */
export function usageUnder(prefix: string, specs: Iterable<Accounted>, volumes: Iterable<AccountedVolume> = [], images: Iterable<AccountedImage> = []): Usage {
  const usage: Usage = { unikernels: 0, memoryMb: 0, storageMb: 0, connections: 0 };
  for (const spec of specs) {
    if (!spec.name.startsWith(`${prefix}/`)) continue;
    usage.unikernels++;
    usage.memoryMb += spec.memoryMb;
    usage.connections += connectionsOf(spec);
  }
  for (const volume of volumes) if (volume.name.startsWith(`${prefix}/`)) usage.storageMb += volumeMb(volume);
  for (const image of images) if (image.owner === prefix || image.owner.startsWith(`${prefix}/`)) usage.storageMb += imageMb(image);
  return usage;
}

/** Each level of the tenant's path with its policy and what its subtree uses now. */
export function budgets(tenant: Tenant, specs: readonly Accounted[], volumes: readonly AccountedVolume[] = [], images: readonly AccountedImage[] = []): { tenant: string; policy: Policy; used: Usage }[] {
  return tenant.policies.map((policy, i) => ({ tenant: tenantName(tenant, i + 1), policy, used: usageUnder(tenantName(tenant, i + 1), specs, volumes, images) }));
}

/**
 * Checks a tenant's block volume create against the storage left to the tenant and to each of
 * its ancestors, counting every volume on the host under each path (`volumes`).
 */
export function admitVolume(tenant: Tenant, sizeMb: number, volumes: readonly AccountedVolume[], images: readonly AccountedImage[] = []): void {
  admitStorage(tenant, sizeMb, volumes, images, "this volume", "destroy a volume first (tsuki block list), ask for less, or have a larger policy issued");
}

/** Checks a tenant's image upload against the storage left to it and each ancestor (images count as volumes do). */
export function admitImage(tenant: Tenant, sizeMb: number, volumes: readonly AccountedVolume[], images: readonly AccountedImage[]): void {
  admitStorage(tenant, sizeMb, volumes, images, "this image", "destroy unikernels whose images you no longer need (an image unused for a while is let go) or a volume, or have a larger policy issued");
}

function admitStorage(tenant: Tenant, sizeMb: number, volumes: readonly AccountedVolume[], images: readonly AccountedImage[], what: string, fix: string): void {
  const me = tenantName(tenant);
  for (const { tenant: who, policy, used } of budgets(tenant, [], volumes, images)) {
    const whose = who === me ? `tenant "${who}"` : `tenant "${who}" (which "${me}" is under)`;
    if (used.storageMb + sizeMb > policy.storageMb) {
      throw new DaemonError("POLICY_BUDGET", `${whose} has ${policy.storageMb - used.storageMb}M of its ${policy.storageMb}M block storage left and ${what} asks for ${sizeMb}M: ${fix}`);
    }
  }
}

/**
 * Checks a tenant's create against its policy and against the remaining budget of the tenant and
 * of each of its ancestors; returns the spec with every listener's and connector's connection
 * cap written out. `spec.name` is the full name, its bindings placed (scope.ts) and resolved
 * (daemon.ts); `others` every unikernel on the host; `volumeFiles` the files of the block volumes
 * under the tenant's path, the only files it may bind.
 *
 * Deny by default: every binding is read by the run specification's binding check against the
 * image's declaration (spec/bindings.ts: typed values, never text), and each kind and each option is admitted by a word of the policy or refused —
 * listeners and udp devices on the policy's addresses and ports, connectors and udp peers to its
 * peers, block devices on its own volumes, `tls:` listeners (host key files) and `net` devices
 * (host interfaces) never. A listener or connector without `?max=` gets an equal share of the
 * connections left (see `connectionShare`), at most the tender's default.
 */
export function admit(tenant: Tenant, spec: UnikernelSpec, manifest: Manifest, others: readonly UnikernelSpec[], volumeFiles: ReadonlySet<string> = new Set()): UnikernelSpec {
  const own = tenant.policies.at(-1)!;
  const me = tenantName(tenant);
  const deny = (message: string): never => {
    throw new DaemonError("POLICY_DENIED", message);
  };
  if (!own.targets.includes(spec.target)) deny(`target ${spec.target} is not allowed for tenant "${me}" (its policy allows ${own.targets.join(", ")}): give --target ${own.targets[0]}`);
  const cpuMs = Math.min(...tenant.policies.map((p) => p.cpuMs));
  if (spec.cpuMs > cpuMs) deny(`--cpu-ms ${spec.cpuMs} is more than tenant "${me}" may ask for (its policy allows turns of up to ${cpuMs} ms): give --cpu-ms ${cpuMs} or less`);
  // A tenant's console costs the host CPU: it may lower its limits, never raise them (the host's administrator may).
  const limits = checkConsoleLimits(spec.console ?? {}, "api");
  if (limits.rate > CONSOLE_DEFAULTS.rate) deny(`--console-rate ${limits.rate} is more than a tenant may ask for: give --console-rate ${CONSOLE_DEFAULTS.rate} or less`);
  if (limits.burst > CONSOLE_DEFAULTS.burst) deny(`--console-burst ${limits.burst} is more than a tenant may ask for: give --console-burst ${CONSOLE_DEFAULTS.burst} or less`);
  const bindings = specBindings(spec);
  const bound = new Map([...checkBindings(manifest, bindings, { path: "api", partial: true })].map(([name, b]) => [name, b.device]));
  const uncapped: string[] = [];
  for (const [name, device] of bound) {
    const where = (host: string, port: number) => `${host.includes(":") ? `[${host}]` : host}:${port}`;
    switch (device.kind) {
      case "listener":
      case "udp":
        if (device.kind === "listener" && device.scheme === "tls") deny(`device "${name}": a tls: listener reads its certificate and key from host files, which tenants may not name: bind tcp:// and terminate TLS in the unikernel, or ask the host's administrator`);
        if (!own.addresses.includes(device.host)) deny(`device "${name}": listening on ${device.host} is not allowed for tenant "${me}" (its policy allows ${own.addresses.join(", ") || "no addresses"}): bind one of those`);
        if (!portAllowed(own, device.port)) deny(`device "${name}": port ${device.port} is outside the ports of tenant "${me}" (${formatPorts(own.ports)}): bind a port in that range${device.port === 0 ? " (port 0, any free port, could land anywhere)" : ""}`);
        if (device.kind === "udp" && device.peer !== undefined && !peerAllowed(own, device.peer.host, device.peer.port)) {
          deny(`device "${name}": peer=${where(device.peer.host, device.peer.port)} is not among the peers of tenant "${me}" (${formatPeers(own.peers)}): fix no peer (the device then only replies), or have a policy issued with --peers`);
        }
        if (device.kind === "listener" && device.max === undefined) uncapped.push(name);
        break;
      case "connector":
        if (device.scheme === "tls" && device.ca !== undefined) deny(`device "${name}": a tls: connector's ?ca= names a host file, which tenants may not name: leave it out (the host's trusted roots verify the server), or ask the host's administrator`);
        if (!peerAllowed(own, device.host, device.port)) deny(`device "${name}": connecting to ${where(device.host, device.port)} is not allowed for tenant "${me}" (its policy's peers: ${formatPeers(own.peers)}): connect to one of those by its IP address, or have a policy issued with --peers`);
        if (device.max === undefined) uncapped.push(name);
        break;
      case "block":
        if (device.scheme !== "file" || !volumeFiles.has(device.path)) deny(`device "${name}": a tenant binds only its own block volumes, by their bare names (e.g. file:data.img after "tsuki block create data.img --size 64M")`);
        break;
      case "net":
        deny(`device "${name}" is a net device on a host interface (tap:), which tenants may not bind (only listeners, connectors, udp sockets and block volumes are delegated): ask the host's administrator to create it`);
    }
  }
  const levels = budgets(tenant, others);
  const share = connectionShare(levels, uncapped.length);
  if (uncapped.length > 0 && share < 1) {
    const tight = levels.find((l) => l.policy.connections - l.used.connections < uncapped.length) ?? levels.at(-1)!;
    throw new DaemonError("POLICY_BUDGET", `tenant "${tight.tenant}" has ${Math.max(0, tight.policy.connections - tight.used.connections)} of its ${tight.policy.connections} connections left, too few for ${uncapped.map((n) => `"${n}"`).join(", ")}: give each listener and connector a smaller ?max=N, destroy a unikernel first, or have a larger policy issued`);
  }
  const devices = bindings.map(({ name, uri }) => {
    const device = bound.get(name);
    return formatBinding({ name, uri: device !== undefined && uncapped.includes(name) && (device.kind === "listener" || device.kind === "connector") ? formatDeviceUri({ ...device, max: share }) : uri });
  });
  const capped = { ...spec, devices };
  const wanted = { memoryMb: spec.memoryMb, connections: connectionsOf(capped) };
  for (const { tenant: who, policy, used } of levels) {
    const whose = who === me ? `tenant "${who}"` : `tenant "${who}" (which "${me}" is under)`;
    const fix = "destroy one of its unikernels first (tsuki list), ask for less, or have a larger policy issued";
    if (used.unikernels + 1 > policy.unikernels) throw new DaemonError("POLICY_BUDGET", `${whose} may run ${policy.unikernels} unikernels and runs ${used.unikernels} already: ${fix}`);
    if (used.memoryMb + wanted.memoryMb > policy.memoryMb) throw new DaemonError("POLICY_BUDGET", `${whose} has ${policy.memoryMb - used.memoryMb}M of its ${policy.memoryMb}M memory left and this create asks for ${wanted.memoryMb}M: ${fix}`);
    if (used.connections + wanted.connections > policy.connections) {
      throw new DaemonError("POLICY_BUDGET", `${whose} has ${policy.connections - used.connections} of its ${policy.connections} connections left and this create's listeners and connectors ask for ${wanted.connections} (their ?max=): ${fix}`);
    }
  }
  return capped;
}

/**
 * The cap a listener or connector written without `?max=` gets: what each level of the tenant's
 * path has left, shared equally among the unikernels it may still create and then among the
 * `uncapped` devices of this create; at most the tender's default (1024).
 */
export function connectionShare(levels: readonly { policy: Policy; used: Usage }[], uncapped: number): number {
  if (uncapped === 0) return DEFAULT_MAX_CONNECTIONS;
  const shares = levels.map(({ policy, used }) => Math.floor((policy.connections - used.connections) / Math.max(1, policy.unikernels - used.unikernels) / uncapped));
  return Math.min(DEFAULT_MAX_CONNECTIONS, ...shares);
}

/** The connections a unikernel's listeners and connectors may hold at once: the sum of their caps. */
export function connectionsOf(spec: Pick<UnikernelSpec, "devices">): number {
  let total = 0;
  for (const { uri } of specBindings(spec)) {
    // tcp:// and tls:// bind listeners and connectors (the stored text is canonical, so one of the two reads it); both count ?max=.
    if (!/^(?:tcp|tls):/.test(uri)) continue;
    let device: DeviceBinding;
    try {
      device = parseDeviceUri("listener", uri);
    } catch {
      device = parseDeviceUri("connector", uri);
    }
    total += (device as { max?: number }).max ?? DEFAULT_MAX_CONNECTIONS;
  }
  return total;
}
