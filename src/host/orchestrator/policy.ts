/**
 * @module host/orchestrator/policy
 * A tenant's policy, carried in its intermediate certificate: how many unikernels, how much memory
 * and block storage in total (across the tenant's whole subtree), which targets, and which listen
 * addresses and port ranges its unikernels may bind.
 *
 * In the certificate it is a non-critical X.509 extension (OpenSSL verifies chains that carry it
 * without knowing it) with the OID `POLICY_OID`, `1.3.6.1.4.1.32473.7.1`: an arc under IANA's
 * example enterprise number (RFC 5612), a placeholder until the project registers its own private
 * enterprise number with IANA; then the constant changes and certificates are issued again. (A
 * `2.25.<UUID>` arc would need no registration, but asn1js cannot encode arcs above 2^53.) Its
 * value is the DER of (encoded and parsed with `@peculiar/asn1-schema`, in policy-der.ts):
 *
 *   TsukiPolicy ::= SEQUENCE {
 *     version     INTEGER (1),
 *     unikernels  INTEGER,                  -- at most this many unikernels
 *     memoryMb    INTEGER,                  -- their memory limits add up to at most this, MiB
 *     storageMb   INTEGER,                  -- their block devices add up to at most this, MiB
 *     targets     SEQUENCE OF UTF8String,   -- "isolate", "process"
 *     addresses   SEQUENCE OF UTF8String,   -- IP literals listeners may bind, e.g. "127.0.0.1"
 *     ports       SEQUENCE OF PortRange }   -- ports listeners may bind
 *   PortRange ::= SEQUENCE { first INTEGER, last INTEGER }
 *
 * A sub-policy fits its parent when every number is at most the parent's and every list is
 * inside the parent's (`policyExcess` names each field that does not).
 *
 * The DER codec is policy-der.ts, apart: asn1-schema is loaded only by what reads or makes
 * certificates, not by a daemon that checks creates against policies it already holds.
 */

import { isIP } from "node:net";
import { DAEMON_TARGETS, type DaemonTarget } from "./spec.ts";
import { DaemonError } from "./errors.ts";

/** tsuki's policy extension (see the module's comment for why this arc). */
export const POLICY_OID = "1.3.6.1.4.1.32473.7.1";
export const POLICY_VERSION = 1;

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

export interface Policy {
  readonly unikernels: number;
  readonly memoryMb: number;
  readonly storageMb: number;
  readonly targets: readonly DaemonTarget[];
  readonly addresses: readonly string[];
  readonly ports: readonly PortRange[];
}

export const POLICY_LIMITS = { unikernels: 1_000_000, sizeMb: 2 ** 31, addresses: 64, ports: 64 } as const;

/** Checks every field of a policy from anywhere (a file, flags, a certificate); returns it normalised. */
export function checkPolicy(p: { unikernels: unknown; memoryMb: unknown; storageMb: unknown; targets: unknown; addresses: unknown; ports: unknown }, where: string): Policy {
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
  const addresses = list(p.addresses, "addresses", POLICY_LIMITS.addresses).map((a) =>
    typeof a === "string" && isIP(a) !== 0 ? a.toLowerCase() : bad(`address ${JSON.stringify(a)} is not an IP address: write e.g. 127.0.0.1 or ::1`),
  );
  const ports = list(p.ports, "ports", POLICY_LIMITS.ports).map((r) => {
    const { first, last } = (typeof r === "object" && r !== null ? r : {}) as { first?: unknown; last?: unknown };
    const range = { first: whole(first, "a port range's first port", 1, 65535), last: whole(last, "a port range's last port", 1, 65535) };
    return range.first <= range.last ? range : bad(`port range ${range.first}-${range.last} ends before it starts: write LOW-HIGH, e.g. 8000-8099`);
  });
  return { unikernels, memoryMb, storageMb, targets: [...new Set(targets)], addresses: [...new Set(addresses)], ports };
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
  return excess;
}

export function portAllowed(policy: Policy, port: number): boolean {
  return policy.ports.some((r) => r.first <= port && port <= r.last);
}

/** One line for people: `4 unikernels, 512M memory, 1024M storage, targets isolate, …`. */
export function describePolicy(p: Policy): string {
  return `${p.unikernels} unikernels, ${p.memoryMb}M memory, ${p.storageMb}M storage, targets ${p.targets.join(",")}, addresses ${p.addresses.join(",") || "none"}, ports ${formatPorts(p.ports)}`;
}
