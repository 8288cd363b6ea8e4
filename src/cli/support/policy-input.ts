/**
 * @module cli/support/policy-input
 * A tenant's policy as `tsuki cert issue` takes it: a YAML file (`--policy FILE`) and/or flags,
 * the flags winning; what neither gives comes from the parent tenant's policy (`--parent`), or
 * for a tenant directly under the CA from the defaults (targets isolate, address 127.0.0.1, no
 * ports, 64M of storage for its images and volumes, the tender's default turn of 1000 ms, 1024 connections per unikernel, no
 * peers) except the unikernel count and memory, which must be given.
 *
 *   # policy.yaml
 *   unikernels: 4
 *   memory: 512M
 *   storage: 1G
 *   targets: [isolate, process]
 *   addresses: [127.0.0.1]
 *   ports: [8000-8099, 9000]
 *   cpu: 200                          # ms: the longest turn (--cpu-ms) a unikernel may ask for
 *   connections: 2048                 # listeners' and connectors' ?max= add up to at most this
 *   peers: [10.0.0.5:5432, "[::1]:53"] # where connectors and udp peers may go
 */

import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { parseSize } from "../../host/common/index.ts";
import { DEFAULT_MAX_CONNECTIONS, DaemonError, LIMIT_DEFAULTS, POLICY_LIMITS, type Policy, checkPolicy, parsePeerRange, parsePortRange } from "../../host/orchestrator/pki/index.ts";

export interface PolicyFlags {
  policy?: string | undefined;
  "max-unikernels"?: string | undefined;
  memory?: string | undefined;
  storage?: string | undefined;
  targets?: string | undefined;
  addresses?: string | undefined;
  ports?: string | undefined;
  "cpu-ms"?: string | undefined;
  connections?: string | undefined;
  peers?: string | undefined;
}

export const POLICY_FLAGS = {
  policy: { type: "string" },
  "max-unikernels": { type: "string" },
  memory: { type: "string" },
  storage: { type: "string" },
  targets: { type: "string" },
  addresses: { type: "string" },
  ports: { type: "string" },
  "cpu-ms": { type: "string" },
  connections: { type: "string" },
  peers: { type: "string" },
} as const;

const KEYS = ["unikernels", "memory", "storage", "targets", "addresses", "ports", "cpu", "connections", "peers"] as const;
const FLAG_OF: Partial<Record<(typeof KEYS)[number], string>> = { unikernels: "max-unikernels", cpu: "cpu-ms" };

/** A top-level tenant's storage when none is given: images count against it, so some is needed to run anything. */
export const DEFAULT_STORAGE_MB = 64;

export function policyInput(flags: PolicyFlags, parent: Policy | undefined): Policy {
  const file = flags.policy === undefined ? {} : readPolicyFile(flags.policy);
  const where = flags.policy === undefined ? "the flags" : `${flags.policy} and the flags`;
  const pick = <T>(flag: string | undefined, key: (typeof KEYS)[number], convert: (v: unknown, name: string) => T, inherited: T | undefined, missing: string): T => {
    if (flag !== undefined) return convert(flag, `--${FLAG_OF[key] ?? key}`);
    if (file[key] !== undefined) return convert(file[key], `${key} in ${flags.policy}`);
    if (inherited !== undefined) return inherited;
    throw new DaemonError("POLICY_INVALID", `the policy needs ${missing}`);
  };
  const unikernels = pick(flags["max-unikernels"], "unikernels", count, parent?.unikernels, "the number of unikernels: give --max-unikernels N (or unikernels: N in --policy)");
  return checkPolicy(
    {
      unikernels,
      memoryMb: pick(flags.memory, "memory", mib, parent?.memoryMb, "its total memory: give --memory SIZE, e.g. --memory 512M (or memory: 512M in --policy)"),
      storageMb: pick(flags.storage, "storage", mib, parent?.storageMb ?? DEFAULT_STORAGE_MB, ""),
      targets: pick(flags.targets, "targets", list, parent?.targets ?? ["isolate"], ""),
      addresses: pick(flags.addresses, "addresses", list, parent?.addresses ?? ["127.0.0.1"], ""),
      ports: pick(flags.ports, "ports", (v, name) => list(v, name).map(parsePortRange), parent?.ports ?? [], ""),
      cpuMs: pick(flags["cpu-ms"], "cpu", count, parent?.cpuMs ?? LIMIT_DEFAULTS.cpuMs, ""),
      connections: pick(flags.connections, "connections", count, parent?.connections ?? Math.min(POLICY_LIMITS.connections, unikernels * DEFAULT_MAX_CONNECTIONS), ""),
      peers: pick(flags.peers, "peers", (v, name) => list(v, name).map(parsePeerRange), parent?.peers ?? [], ""),
    },
    where,
  );
}

function readPolicyFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new DaemonError("POLICY_INVALID", `cannot read the policy file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new DaemonError("POLICY_INVALID", `${file} is not YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new DaemonError("POLICY_INVALID", `${file} must be a mapping with the keys ${KEYS.join(", ")}`);
  for (const key of Object.keys(doc)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new DaemonError("POLICY_INVALID", `unknown key ${JSON.stringify(key)} in ${file}: the keys are ${KEYS.join(", ")}`);
  }
  return doc as Record<string, unknown>;
}

function count(value: unknown, name: string): number {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new DaemonError("POLICY_INVALID", `${name} ${JSON.stringify(value)} is not a whole number`);
  return n;
}

/** A size (bare numbers are MiB) → whole MiB. */
function mib(value: unknown, name: string): number {
  const bytes = parseSize(value, 2 ** 20);
  if (bytes === undefined || bytes % 2 ** 20 !== 0) throw new DaemonError("POLICY_INVALID", `${name} ${JSON.stringify(value)} is not a whole number of MiB: write e.g. 512M or 2G`);
  return bytes / 2 ** 20;
}

/** `a,b` or a YAML list → strings. */
function list(value: unknown, name: string): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string" || typeof value === "number") return String(value).split(",").map((s) => s.trim()).filter(Boolean);
  throw new DaemonError("POLICY_INVALID", `${name} must be a list or comma-separated text`);
}
