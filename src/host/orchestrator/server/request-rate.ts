/**
 * @module host/orchestrator/server/request-rate
 * How many requests a second one tenant may make of tsukid's API (with its sub-tenants: a tenant
 * can issue itself sub-tenants, so they share their top-level tenant's rate). Every request costs
 * the control thread work that runs ahead of every tenant's unikernels (TLS, JSON, the create
 * path); unbounded, one tenant's loop of refused creates is CPU taken from its neighbours. A token
 * bucket per top-level tenant: `perSecond` a second, bursts of `burst`; past it, 429
 * ERR_RATE_LIMITED with Retry-After, which the tsuki client waits out. The administrator's socket
 * is not limited.
 */

import { DaemonError } from "../api/errors.ts";

export const RATE_DEFAULTS = { perSecond: 50, burst: 100 } as const;

export class RequestRates {
  readonly perSecond: number;
  readonly burst: number;
  #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(perSecond: number = RATE_DEFAULTS.perSecond, burst: number = Math.max(perSecond, RATE_DEFAULTS.burst)) {
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /** Takes a request of `tenant` (its path); throws ERR_RATE_LIMITED, with the wait, when its top-level tenant has none left. */
  take(tenant: string, now = performance.now()): void {
    const key = tenant.split("/")[0]!;
    if (this.#buckets.size > 4096) this.#forgetFull(now);
    const bucket = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      const waitS = Math.ceil((1 - bucket.tokens) / this.perSecond);
      throw Object.assign(new DaemonError("RATE_LIMITED", `tenant "${key}" (with its sub-tenants) may make ${this.perSecond} requests a second, in bursts of ${this.burst}, and has made more: try again in ${waitS} s (tsuki daemon --tenant-request-rate)`), { retryAfterS: waitS });
    }
    bucket.tokens -= 1;
  }

  /** Buckets full again are as good as none: forgotten, so the map stays small. */
  #forgetFull(now: number): void {
    for (const [key, b] of this.#buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.#buckets.delete(key);
  }
}
