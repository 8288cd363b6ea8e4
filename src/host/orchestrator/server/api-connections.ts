/**
 * @module host/orchestrator/server/api-connections
 * How many connections tsukid's API holds, of which kind, and how many it refused and why: the
 * caps (`tsuki daemon` flags), the live counts the listeners keep (read by the metrics), and how
 * peers are grouped by address.
 *
 * A connection to the remote API is *unauthenticated* until the daemon knows its tenant: through
 * the TLS handshake and the first request's chain check (the tenant's path comes from the
 * `tsuki-chain` header, see peer-chain.ts). Honest clients spend milliseconds there, so those
 * caps are tight: that is where a stranger can hold descriptors without any certificate. An
 * *authenticated* connection is a tenant's, counted against the tenant the administrator issued
 * (the path's first segment), so a tenant cannot multiply its allowance by issuing itself
 * sub-tenants. The Unix socket's connections (*local*) have a cap of their own and are served
 * from the descriptor reserve (descriptors.ts), so the administrator can act when all else is
 * full.
 *
 * Every default is far above what an honest deployment reaches: a `tsuki` command holds at most
 * four connections (client.ts, REMOTE_SOCKETS), each unauthenticated for a handshake's round trips.
 */

import { isIPv4, isIPv6 } from "node:net";

export interface ApiCaps {
  /** Unauthenticated connections at once, from anyone: 64 commands starting in the same instant. */
  readonly maxUnauthenticated: number;
  /** …from one IPv4 address or one IPv6 /64 (a host's usual allocation): four commands at once. */
  readonly maxUnauthenticatedPerAddress: number;
  /** From accept to the first request's headers (handshake included); Node's own is 120 s. */
  readonly handshakeTimeoutMs: number;
  /** Authenticated connections at once, all tenants together: 256 commands at once. */
  readonly maxAuthenticated: number;
  /** …of one tenant and its sub-tenants together: 16 of its commands at once. */
  readonly maxTenantConnections: number;
  /** An authenticated connection with no request in flight is closed after this (Node's keep-alive default). */
  readonly idleTimeoutMs: number;
  /** Connections to the Unix socket at once (the administrator's scripts and commands). */
  readonly maxLocalConnections: number;
}

export const API_CAP_DEFAULTS: ApiCaps = {
  maxUnauthenticated: 256,
  maxUnauthenticatedPerAddress: 16,
  handshakeTimeoutMs: 10_000,
  maxAuthenticated: 1024,
  maxTenantConnections: 64,
  idleTimeoutMs: 5_000,
  maxLocalConnections: 64,
};

/** Why a connection was closed by the daemon rather than served; the metrics' `reason` label. */
export const REFUSAL_REASONS = ["descriptors", "unauthenticated", "unauthenticated_per_address", "handshake_timeout", "authenticated", "tenant", "local"] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The flag that sets the cap behind each reason, for messages that say how to change it. */
export const REFUSAL_FLAGS: Record<RefusalReason, string> = {
  descriptors: "the daemon's descriptor limit (ulimit -n, LimitNOFILE=)",
  unauthenticated: "--max-unauthenticated",
  unauthenticated_per_address: "--max-unauthenticated-per-address",
  handshake_timeout: "--handshake-timeout",
  authenticated: "--max-authenticated",
  tenant: "--max-tenant-connections",
  local: "--max-local-connections",
};

export interface ConnectionCounts {
  readonly unauthenticated: number;
  readonly authenticated: number;
  readonly local: number;
  readonly refused: Readonly<Record<RefusalReason, number>>;
}

/** The live counts, kept by the listeners and read by the metrics. */
export class ApiConnections {
  unauthenticated = 0;
  authenticated = 0;
  local = 0;
  readonly refused: Record<RefusalReason, number> = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>;

  snapshot(): ConnectionCounts {
    return { unauthenticated: this.unauthenticated, authenticated: this.authenticated, local: this.local, refused: { ...this.refused } };
  }
}

/**
 * The group a peer's address is counted in: an IPv4 address as it is (also when it arrives
 * IPv4-mapped on a dual-stack listener), an IPv6 address by its /64, since one host usually has a
 * whole /64 to pick source addresses from.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head = "", tail = ""] = address.split("%", 1)[0]!.split("::") as [string?, string?];
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  // An embedded IPv4 tail (::1.2.3.4) stands for two groups; only the first four groups matter here.
  const width = right.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const groups = address.includes("::") ? [...left, ...Array<string>(Math.max(0, 8 - left.length - width)).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (g.includes(".") ? g : parseInt(g, 16).toString(16)))
    .join(":")}::/64`;
}
