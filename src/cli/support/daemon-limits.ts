/**
 * @module cli/support/daemon-limits
 * `tsuki daemon`'s connection caps and timeouts (api-connections.ts): read and checked before the
 * daemon touches its state. The remote API's apply only with --listen, and a cap that another
 * makes unreachable (per address above the total) is refused rather than silently ignored.
 */

import { TsukiError } from "../../host/common/index.ts";
import { API_CAP_DEFAULTS, type ApiCaps } from "../../host/orchestrator/index.ts";
import { parseInteger } from "./args.ts";

export const LIMIT_FLAGS = {
  "max-unauthenticated": { type: "string" },
  "max-unauthenticated-per-address": { type: "string" },
  "handshake-timeout": { type: "string" },
  "max-authenticated": { type: "string" },
  "max-tenant-connections": { type: "string" },
  "idle-timeout": { type: "string" },
  "max-local-connections": { type: "string" },
} as const;

type Values = { readonly [K in keyof typeof LIMIT_FLAGS]?: string | undefined };

const MAX_COUNT = 1_000_000;

export const limitsUsage = `Connections (an honest deployment never reaches the defaults; see docs/remote-api.md):
  --max-unauthenticated N              remote connections not yet authenticated (TLS handshake and
                                       first request), at once (default ${API_CAP_DEFAULTS.maxUnauthenticated})
  --max-unauthenticated-per-address N  …from one IPv4 address or IPv6 /64 (default ${API_CAP_DEFAULTS.maxUnauthenticatedPerAddress})
  --handshake-timeout TIME             to authenticate, from the TCP accept (default ${API_CAP_DEFAULTS.handshakeTimeoutMs / 1000}s)
  --max-authenticated N                tenants' connections at once (default ${API_CAP_DEFAULTS.maxAuthenticated})
  --max-tenant-connections N           …of one tenant with its sub-tenants (default ${API_CAP_DEFAULTS.maxTenantConnections})
  --idle-timeout TIME                  close a tenant's connection idle between requests (default ${API_CAP_DEFAULTS.idleTimeoutMs / 1000}s)
  --max-local-connections N            connections to the Unix socket at once (default ${API_CAP_DEFAULTS.maxLocalConnections})
  TIME is e.g. 10s, 500ms or 2m.`;

/** The caps the flags give; `remote`: whether the daemon serves --listen. */
export function limitFlags(values: Values, remote: boolean): ApiCaps {
  if (!remote) {
    const stray = (Object.keys(LIMIT_FLAGS) as (keyof Values)[]).filter((f) => f !== "max-local-connections" && values[f] !== undefined);
    if (stray.length > 0) throw new TsukiError("FLAG_VALUE", `${stray.map((f) => `--${f}`).join(", ")} ${stray.length > 1 ? "apply" : "applies"} to the remote API: give --listen (with --ca, --cert, --key) too, or leave ${stray.length > 1 ? "them" : "it"} out`);
  }
  const count = (flag: keyof Values, fallback: number) => {
    const text = values[flag];
    if (text === undefined) return fallback;
    const n = parseInteger(`--${flag}`, text);
    if (n < 1 || n > MAX_COUNT) throw new TsukiError("FLAG_VALUE", `--${flag} ${n} is out of range: give 1–${MAX_COUNT}`);
    return n;
  };
  const d = API_CAP_DEFAULTS;
  const caps: ApiCaps = {
    maxUnauthenticated: count("max-unauthenticated", d.maxUnauthenticated),
    maxUnauthenticatedPerAddress: count("max-unauthenticated-per-address", d.maxUnauthenticatedPerAddress),
    handshakeTimeoutMs: duration("handshake-timeout", values["handshake-timeout"], d.handshakeTimeoutMs, 100, 600_000),
    maxAuthenticated: count("max-authenticated", d.maxAuthenticated),
    maxTenantConnections: count("max-tenant-connections", d.maxTenantConnections),
    idleTimeoutMs: duration("idle-timeout", values["idle-timeout"], d.idleTimeoutMs, 100, 3_600_000),
    maxLocalConnections: count("max-local-connections", d.maxLocalConnections),
  };
  // A part larger than its whole: the default is lowered to fit, a value given is refused.
  const fit = (part: keyof Values, whole: keyof Values, p: number, w: number) => {
    if (p > w && values[part] !== undefined) throw new TsukiError("FLAG_VALUE", `--${part} ${p} is larger than --${whole} ${w}, so it could never apply: give at most ${w}, or raise --${whole}`);
    return Math.min(p, w);
  };
  return {
    ...caps,
    maxUnauthenticatedPerAddress: fit("max-unauthenticated-per-address", "max-unauthenticated", caps.maxUnauthenticatedPerAddress, caps.maxUnauthenticated),
    maxTenantConnections: fit("max-tenant-connections", "max-authenticated", caps.maxTenantConnections, caps.maxAuthenticated),
  };
}

/** `10s`, `500ms`, `2m` → milliseconds, within [min, max]. */
export function duration(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const m = /^(\d{1,7})(ms|s|m)$/.exec(text.trim());
  if (m === null) throw new TsukiError("FLAG_VALUE", `--${flag} ${JSON.stringify(text)} is not a duration: write e.g. --${flag} 10s, 500ms or 2m`);
  const ms = Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 60_000);
  if (ms < min || ms > max) throw new TsukiError("FLAG_VALUE", `--${flag} ${text} is out of range: give ${min}ms–${max / 60_000}m`);
  return ms;
}
