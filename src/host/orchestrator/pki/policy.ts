/**
 * @module host/orchestrator/pki/policy
 * A tenant's policy, carried in its intermediate certificate: how many unikernels, how much memory
 * and block storage in total (across the tenant's whole subtree), which targets, which listen
 * addresses and port ranges its unikernels may bind, the longest turn one may ask for (CPU), how
 * many connections its listeners and connectors may hold at once (the sum of their `?max=`),
 * and which peers its connectors and udp devices may reach. What a policy has no word for, a
 * tenant may not do.
 *
 * In the certificate it is a non-critical X.509 extension (OpenSSL verifies chains that carry it
 * without knowing it) with the OID `POLICY_OID`, `1.3.6.1.4.1.32473.7.1`: an arc under IANA's
 * example enterprise number (RFC 5612), a placeholder until the project registers its own private
 * enterprise number with IANA; then the constant changes and certificates are issued again. (A
 * `2.25.<UUID>` arc would need no registration, but asn1js cannot encode arcs above 2^53.) Its
 * value is the DER of (encoded and parsed with `@peculiar/asn1-schema`, in policy-der.ts):
 *
 *   TsukiPolicy ::= SEQUENCE {
 *     version     INTEGER (1 | 2),
 *     unikernels  INTEGER,                  -- at most this many unikernels
 *     memoryMb    INTEGER,                  -- their memory limits add up to at most this, MiB
 *     storageMb   INTEGER,                  -- their block volumes and images add up to at most this, MiB
 *     targets     SEQUENCE OF UTF8String,   -- "isolate", "process"
 *     addresses   SEQUENCE OF UTF8String,   -- IP literals listeners may bind, e.g. "127.0.0.1"
 *     ports       SEQUENCE OF PortRange,    -- ports listeners may bind
 *     cpuMs       INTEGER OPTIONAL,         -- version 2: the longest turn a unikernel may ask for (--cpu-ms)
 *     connections INTEGER OPTIONAL,         -- version 2: listeners' and connectors' ?max= add up to at most this
 *     peers       SEQUENCE OF Peer OPTIONAL } -- version 2: where connectors and udp peers may go
 *   PortRange ::= SEQUENCE { first INTEGER, last INTEGER }
 *   Peer ::= SEQUENCE { address UTF8String, first INTEGER, last INTEGER }   -- an IP literal and ports
 *
 * Version 1 certificates (issued before the version 2 fields existed) read with `v1Defaults`: the
 * tender's default turn, a default listener's connections per unikernel, and no peers at all.
 *
 * A sub-policy fits its parent when every number is at most the parent's and every list is
 * inside the parent's (`policyExcess` names each field that does not).
 *
 * The DER codec is policy-der.ts, apart: asn1-schema is loaded only by what reads or makes
 * certificates, not by a daemon that checks creates against policies it already holds.
 */

import { isIP } from "node:net";
import { DAEMON_TARGETS, type DaemonTarget } from "../api/spec.ts";
import { DaemonError } from "../api/errors.ts";
import { CPU_RANGE_MS, LIMIT_DEFAULTS } from "../../tender/tender.ts";
import { DEFAULT_MAX_CONNECTIONS } from "../../tender/devices/listener.ts";

/** tsuki's policy extension (see the module's comment for why this arc). */
export const POLICY_OID = "1.3.6.1.4.1.32473.7.1";
/** The version this tsuki writes; it reads 1 too. */
export const POLICY_VERSION = 2;

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** Ports of one address a tenant's connectors and udp devices may reach. */
export interface PeerRange extends PortRange {
  readonly address: string;
}

export interface Policy {
  readonly unikernels: number;
  readonly memoryMb: number;
  readonly storageMb: number;
  readonly targets: readonly DaemonTarget[];
  readonly addresses: readonly string[];
  readonly ports: readonly PortRange[];
  /** The longest turn (--cpu-ms) any of its unikernels may ask for, in ms. */
  readonly cpuMs: number;
  /** Concurrent connections across the subtree: the listeners' and connectors' ?max= add up to at most this. */
  readonly connections: number;
  /** Where connectors and udp peers may go; empty: nowhere. */
  readonly peers: readonly PeerRange[];
}

export const POLICY_LIMITS = { unikernels: 1_000_000, sizeMb: 2 ** 31, addresses: 64, ports: 64, peers: 64, connections: 1_000_000 } as const;

/**
 * What a version 1 policy (which has no word for them) allows of the version 2 fields: the
 * tender's default turn, a default listener's connections per unikernel, and no peers (version 1
 * let tenants bind no connector nor fixed udp peer).
 */
export function v1Defaults(unikernels: number): Pick<Policy, "cpuMs" | "connections" | "peers"> {
  return { cpuMs: LIMIT_DEFAULTS.cpuMs, connections: Math.min(POLICY_LIMITS.connections, unikernels * DEFAULT_MAX_CONNECTIONS), peers: [] };
}

/** A policy recorded before version 2 (tsukid's state database), with version 1's defaults for what it lacks. */
export function withV1Defaults(policy: Policy): Policy {
  return { ...v1Defaults(policy.unikernels), ...policy };
}

/** Checks every field of a policy from anywhere (a file, flags, a certificate); returns it normalised. */
export function checkPolicy(p: { unikernels: unknown; memoryMb: unknown; storageMb: unknown; targets: unknown; addresses: unknown; ports: unknown; cpuMs: unknown; connections: unknown; peers: unknown }, where: string): Policy {
  const bad = (message: string): never => {
    throw new DaemonError("POLICY_INVALID", `the policy in ${where}: ${message}`);
  };
  const whole = (value: unknown, key: string, min: number, max: number): number =>
    typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max ? value : bad(`${key} must be a whole number from ${min} to ${max}, found ${JSON.stringify(value)}`);
  const list = (value: unknown, key: string, max: number): unknown[] => (Array.isArray(value) && value.length <= max ? value : bad(`${key} must be a list of at most ${max} entries`));
  const unikernels = whole(p.unikernels, "unikernels (--max-unikernels)", 1, POLICY_LIMITS.unikernels);
  const memoryMb = whole(p.memoryMb, "memory (--memory, MiB)", 1, POLICY_LIMITS.sizeMb);
  const storageMb = whole(p.storageMb, "storage (--storage, MiB)", 0, POLICY_LIMITS.sizeMb);
  const targets = list(p.targets, "targets", DAEMON_TARGETS.length).map((t) =>
    (DAEMON_TARGETS as readonly unknown[]).includes(t) ? (t as DaemonTarget) : bad(`target ${JSON.stringify(t)} is not one of ${DAEMON_TARGETS.join(", ")}`),
  );
  if (targets.length === 0) bad(`targets is empty: allow at least one of ${DAEMON_TARGETS.join(", ")} (--targets isolate)`);
  const address = (a: unknown): string => (typeof a === "string" && isIP(a) !== 0 ? canonicalAddress(a) : bad(`address ${JSON.stringify(a)} is not an IP address: write e.g. 127.0.0.1 or ::1`));
  const addresses = list(p.addresses, "addresses", POLICY_LIMITS.addresses).map(address);
  const range = (r: unknown, what: string): PortRange => {
    const { first, last } = (typeof r === "object" && r !== null ? r : {}) as { first?: unknown; last?: unknown };
    const checked = { first: whole(first, `${what}'s first port`, 1, 65535), last: whole(last, `${what}'s last port`, 1, 65535) };
    return checked.first <= checked.last ? checked : bad(`${what} ${checked.first}-${checked.last} ends before it starts: write LOW-HIGH, e.g. 8000-8099`);
  };
  const ports = list(p.ports, "ports", POLICY_LIMITS.ports).map((r) => range(r, "a port range"));
  const cpuMs = whole(p.cpuMs, "cpuMs (--cpu-ms, ms)", CPU_RANGE_MS.min, CPU_RANGE_MS.max);
  const connections = whole(p.connections, "connections (--connections)", 0, POLICY_LIMITS.connections);
  const peers = list(p.peers, "peers", POLICY_LIMITS.peers).map((r) => ({ address: address((r as { address?: unknown } | null)?.address), ...range(r, "a peer's port range") }));
  return { unikernels, memoryMb, storageMb, targets: [...new Set(targets)], addresses: [...new Set(addresses)], ports, cpuMs, connections, peers };
}

/** An IP literal as the device-URI parser writes hosts (IPv6 lower case and compressed). */
export function canonicalAddress(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

/** `10.0.0.5:53`, `[::1]:8000-8099` → a peer range. */
export function parsePeerRange(text: string): PeerRange {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m || isIP((m[1] ?? m[2])!) === 0) throw new DaemonError("POLICY_INVALID", `peer ${JSON.stringify(text)} is malformed: write ADDRESS:PORT or ADDRESS:LOW-HIGH, e.g. 10.0.0.5:53 or [::1]:5432`);
  return { address: canonicalAddress((m[1] ?? m[2])!), first: Number(m[3]), last: Number(m[4] ?? m[3]) };
}

export function formatPeers(peers: readonly PeerRange[]): string {
  return peers.map((p) => `${p.address.includes(":") ? `[${p.address}]` : p.address}:${formatPorts([p])}`).join(",") || "none";
}

/** Whether a connector or udp peer may go to `address`:`port`. */
export function peerAllowed(policy: Policy, address: string, port: number): boolean {
  return policy.peers.some((p) => p.address === address && p.first <= port && port <= p.last);
}

/** `8000-8099` or `8080` → a range. */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) throw new DaemonError("POLICY_INVALID", `port range ${JSON.stringify(text)} is malformed: write PORT or LOW-HIGH, e.g. 8000-8099`);
  return { first: Number(m[1]), last: Number(m[2] ?? m[1]) };
}

export function formatPorts(ports: readonly PortRange[]): string {
  return ports.map((r) => (r.first === r.last ? String(r.first) : `${r.first}-${r.last}`)).join(",") || "none";
}

/** Every way `sub` exceeds `parent`, as phrases ("unikernels 5 > 4"); empty when it fits. */
export function policyExcess(sub: Policy, parent: Policy): string[] {
  const excess: string[] = [];
  if (sub.unikernels > parent.unikernels) excess.push(`unikernels ${sub.unikernels} > ${parent.unikernels}`);
  if (sub.memoryMb > parent.memoryMb) excess.push(`memory ${sub.memoryMb}M > ${parent.memoryMb}M`);
  if (sub.storageMb > parent.storageMb) excess.push(`storage ${sub.storageMb}M > ${parent.storageMb}M`);
  const targets = sub.targets.filter((t) => !parent.targets.includes(t));
  if (targets.length > 0) excess.push(`targets ${targets.join(",")} not in ${parent.targets.join(",")}`);
  const addresses = sub.addresses.filter((a) => !parent.addresses.includes(a));
  if (addresses.length > 0) excess.push(`addresses ${addresses.join(",")} not in ${parent.addresses.join(",") || "none"}`);
  const ports = sub.ports.filter((r) => !parent.ports.some((p) => p.first <= r.first && r.last <= p.last));
  if (ports.length > 0) excess.push(`ports ${formatPorts(ports)} not inside ${formatPorts(parent.ports)}`);
  if (sub.cpuMs > parent.cpuMs) excess.push(`cpu ${sub.cpuMs} ms > ${parent.cpuMs} ms`);
  if (sub.connections > parent.connections) excess.push(`connections ${sub.connections} > ${parent.connections}`);
  const peers = sub.peers.filter((r) => !parent.peers.some((p) => p.address === r.address && p.first <= r.first && r.last <= p.last));
  if (peers.length > 0) excess.push(`peers ${formatPeers(peers)} not inside ${formatPeers(parent.peers)}`);
  return excess;
}

export function portAllowed(policy: Policy, port: number): boolean {
  return policy.ports.some((r) => r.first <= port && port <= r.last);
}

/** One line for people: `4 unikernels, 512M memory, 1024M storage, targets isolate, …`. */
export function describePolicy(p: Policy): string {
  return `${p.unikernels} unikernels, ${p.memoryMb}M memory, ${p.storageMb}M storage, targets ${p.targets.join(",")}, addresses ${p.addresses.join(",") || "none"}, ports ${formatPorts(p.ports)}, cpu ${p.cpuMs} ms, ${p.connections} connections, peers ${formatPeers(p.peers)}`;
}
