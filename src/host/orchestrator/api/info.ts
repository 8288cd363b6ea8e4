/**
 * @module host/orchestrator/api/info
 * What tsukid's API answers about the things it keeps: an instance (its state and specification,
 * `GET /v1/unikernels`), what it uses (`…/stats`), a console line (`…/console`) and a block volume
 * (`GET /v1/volumes`). The daemon builds these (supervision/instance.ts, supervision/console-ring.ts,
 * store/volume-set.ts) and the client reads them: one spelling for both sides.
 */

import type { ExitStatus } from "../../../abi/index.ts";
import type { DeviceStats } from "../../tender/devices/stats.ts";
import type { MemoryUse } from "../../tender/targets/target.ts";
import type { DaemonTarget, RestartPolicy } from "./spec.ts";

/**
 * starting: booting. running: booted and not ended. backoff: ended, waiting to be booted again.
 * exited: ended and the policy says not again. failed: cannot boot (configuration, image) or ended
 * with a code that says booting again will not help. stopped: stopped by the daemon.
 */
export type InstanceState = "starting" | "running" | "backoff" | "exited" | "failed" | "stopped";

/** Console lines a second (`rate`) and at once (`burst`). */
export interface ConsoleRate {
  rate: number;
  burst: number;
}

/** How a boot ended. */
export interface ExitInfo {
  kind: ExitStatus["kind"];
  code: number;
  reason: string;
}

export interface InstanceInfo {
  name: string;
  state: InstanceState;
  /** The image's SHA-256. */
  image: string;
  imageName: string | null;
  imageVersion: string | null;
  target: DaemonTarget;
  memoryMb: number;
  cpuMs: number;
  console: ConsoleRate;
  restart: RestartPolicy;
  priority: number;
  devices: readonly string[];
  args: Readonly<Record<string, unknown>>;
  /** Which key signed its image (the key's id), if it came signed. */
  signedBy: string | null;
  /** Where each listener and udp device is bound, as URIs. */
  addresses: Record<string, string>;
  created: string;
  started: string | null;
  restarts: number;
  nextRestart: string | null;
  lastExit: (ExitInfo & { time: string }) | null;
  error: { code: string; message: string } | null;
}

/** A device's counters summed over boots: its kind and every counter of its kind (open connections excluded). */
export type DeviceTotals = { kind: string } & Record<string, number | string>;

export interface InstanceStats {
  name: string;
  state: InstanceState;
  target: DaemonTarget;
  uptimeMs: number;
  /** This boot's CPU time (null when it is not running, or the target cannot tell). */
  cpuTimeMs: number | null;
  /** Every boot's since the daemon started. */
  cpuTimeTotalMs: number;
  heap: { used: number; limit: number } | null;
  /** All of its memory as the limit counts it: V8's heap, what V8 counts outside it and what the runtime charged (external), reservations V8 does not count (reserved). */
  memory: MemoryUse | null;
  memoryLimitBytes: number;
  connections: number;
  /** This boot's devices: bytes in and out, connections, datagrams, block I/O. */
  devices: Readonly<Record<string, DeviceStats>>;
  /** The same counters summed over every boot since the daemon started. */
  deviceTotals: Readonly<Record<string, DeviceTotals>>;
  rejectedCalls: Readonly<Record<string, number>>;
  /** CPU time, heap, connections and devices are the last its tender thread sent: it is inside a long guest turn. */
  stale: boolean;
  restarts: number;
  lastExit: ExitInfo | null;
  console: {
    lines: number;
    total: number;
    /** Dropped from the ring (the oldest, past its lines or bytes); they were written. */
    dropped: number;
    followers: number;
    /** Every boot's: lines the tender dropped over the rate and burst, dropped with its reader behind, and cut at 16 KiB. */
    rateDropped: number;
    backlogDropped: number;
    truncated: number;
    limits: ConsoleRate;
  };
}

export interface RingLine {
  /** Numbered from 1 over the ring's life, so a reader can tell what it missed. */
  readonly seq: number;
  /** Wall-clock ms since the epoch. */
  readonly time: number;
  /** 1: output, 2: errors. */
  readonly stream: 1 | 2;
  readonly text: string;
  /** Written by the tender about the unikernel (a drop notice), not by the guest. */
  readonly tender?: true;
}

/** A block volume as the API answers about it. */
export interface VolumeInfo {
  readonly name: string;
  /** Bytes. */
  readonly size: number;
  /** What it counts against storage budgets. */
  readonly sizeMb: number;
  /** Its file (the administrator sees it; tenants do not). */
  readonly file?: string;
  /** The tenant that created it, or null for the administrator. */
  readonly tenant?: string | null;
  readonly created: string;
  /** The unikernels that bind it. */
  readonly boundBy: readonly string[];
  /** Its file has gone (removed behind the daemon's back): unikernels binding it fail to boot. */
  readonly missing: boolean;
}
