/**
 * @module host/orchestrator/api/spec
 * A unikernel's specification as tsukid's API carries it, and the names and ranges both the
 * client and the daemon check it against: the targets the daemon runs, a name's segments, the
 * start priority, the restart policies. Types and pure checks only: the daemon reads a create
 * request field by field in model/spec.ts.
 */

import { IMAGE_NAME } from "../../../abi/index.ts";
import type { Signature } from "../../image/signing.ts";
import { MAX_NAME_SEGMENTS } from "../../spec/device-uri.ts";
import type { ConsoleLimits } from "../../spec/limits.ts";
import { DaemonError } from "./errors.ts";

/** Targets the daemon runs: both have walls; `unix` (none, in the daemon's own realm) is for `tsuki run` only. */
export const DAEMON_TARGETS = ["isolate", "process"] as const;
export type DaemonTarget = (typeof DAEMON_TARGETS)[number];

/** Whether an ended unikernel is booted again (supervision/restart-policy.ts decides). */
export const RESTART_POLICIES = ["never", "on-failure", "always"] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export const PRIORITY_RANGE = { min: 0, max: 1000, default: 50 } as const;

export interface UnikernelSpec {
  readonly name: string;
  /** SHA-256 of the image, in hex: the daemon stores each image once under it. */
  readonly image: string;
  /** `NAME=URI`, as `--dev` takes them. */
  readonly devices: readonly string[];
  readonly memoryMb: number;
  readonly cpuMs: number;
  readonly target: DaemonTarget;
  readonly restart: RestartPolicy;
  /** Lower starts first when the daemon starts (Albatross: 0 first, default 50). */
  readonly priority: number;
  readonly args: Readonly<Record<string, unknown>>;
  /** Console limits it asked for, either or both (the tender's defaults for the rest); absent in specs made before they existed. */
  readonly console?: Partial<ConsoleLimits>;
  /** The image's signature, when it came with one (required by a daemon with trusted keys). */
  readonly signature?: Signature;
}

/** One segment of a name: a tenant's, or a unikernel's own. */
export const NAME_LABEL = IMAGE_NAME;
export { MAX_NAME_SEGMENTS };

/**
 * A unikernel's name: one segment (`web-1`), or a path under tenants (`acme/web/web-1`, see
 * control/tenants.ts) of at most MAX_NAME_SEGMENTS segments.
 */
export function checkName(name: unknown): string {
  const segments = typeof name === "string" ? name.split("/") : [];
  if (typeof name !== "string" || segments.length > MAX_NAME_SEGMENTS || !segments.every((s) => NAME_LABEL.test(s))) {
    throw new DaemonError("NAME_INVALID", `unikernel name ${JSON.stringify(name)?.slice(0, 80)} is not valid: use 1–63 lower-case letters, digits or dashes, starting and ending with a letter or digit (e.g. web-1), or such segments joined by "/" under a tenant (acme/web-1)`);
  }
  return name;
}
