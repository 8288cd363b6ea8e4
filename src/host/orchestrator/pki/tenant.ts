/**
 * @module host/orchestrator/pki/tenant
 * A tenant as its certificate chain names it: each tenant certificate between the trusted CA and
 * the client's leaf is one segment of its path, each carrying a policy. Read from a chain by
 * tenant-chain.ts; its budgets are accounted by control/tenants.ts.
 */

import type { Policy } from "./policy.ts";

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

/** The tenant's path, or its first `depth` segments, joined by "/" ("acme/web"). */
export function tenantName(tenant: Tenant, depth = tenant.path.length): string {
  return tenant.path.slice(0, depth).join("/");
}
