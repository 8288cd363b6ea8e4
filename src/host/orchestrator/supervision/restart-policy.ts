/**
 * @module host/orchestrator/supervision/restart-policy
 * Whether an ended unikernel is booted again, and after how long. Decided by the exit's kind and
 * code, as Albatross decides by exit code: what the operator stopped is never restarted, nor a
 * configuration or bad-image exit (booting the same thing again would fail the same way), nor a
 * guest that chose a sysexits(3) code saying so itself (64 usage, 65 data, 78 configuration).
 * A crash loop backs off exponentially; a unikernel that stayed up long enough starts over.
 */

import { ExitCode, type ExitStatus } from "../../../abi/index.ts";
import type { RestartPolicy } from "../api/spec.ts";

/** The policies' names are the API's. */
export { RESTART_POLICIES, type RestartPolicy } from "../api/spec.ts";

/** Exit codes that say "booting this again will not help". */
const FINAL_CODES: ReadonlySet<number> = new Set([ExitCode.USAGE, ExitCode.BAD_IMAGE, ExitCode.CONFIG]);

export type RestartDecision = { restart: true } | { restart: false; why: "policy" | "stopped" | "final" };

export function decideRestart(policy: RestartPolicy, status: ExitStatus): RestartDecision {
  if (status.kind === "stopped") return { restart: false, why: "stopped" };
  if (status.kind === "boot-failed" || FINAL_CODES.has(status.code)) return { restart: false, why: "final" };
  if (policy === "never") return { restart: false, why: "policy" };
  if (policy === "on-failure" && status.code === ExitCode.OK) return { restart: false, why: "policy" };
  return { restart: true };
}

export interface Backoff {
  /** The first delay, in ms. */
  readonly baseMs: number;
  /** The longest delay, in ms. */
  readonly maxMs: number;
  /** A run at least this long resets the count of consecutive failures. */
  readonly stableMs: number;
}

export const BACKOFF_DEFAULTS: Backoff = { baseMs: 250, maxMs: 60_000, stableMs: 10_000 };

/** The delay before restart number `failures` (1, 2, …) of a run of consecutive failures. */
export function backoffDelay(backoff: Backoff, failures: number): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, Math.min(30, failures - 1)));
}
