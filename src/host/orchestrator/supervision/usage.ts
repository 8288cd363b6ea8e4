/**
 * @module host/orchestrator/supervision/usage
 * What a unikernel on tsukid has used since the daemon started, summed over its boots: the
 * figures its stats' totals and the metrics' counters are made of. A boot's figures are added
 * once, as it ended (`UsageTotals.add`); a running boot's are added to a copy when read
 * (`with`). So the totals only grow across restarts, as Prometheus expects of a counter.
 */

import { type ConsoleCounts, NO_CONSOLE_COUNTS } from "../../tender/console.ts";
import type { DeviceStats } from "../../tender/devices/stats.ts";
import type { DeviceTotals } from "../api/info.ts";
import type { Figures } from "./tender-protocol.ts";

/** A device's counters summed over boots, as the API answers with them. */
export type { DeviceTotals } from "../api/info.ts";

/** What an instance has used since the daemon started: the figures metrics are made of. */
export interface Usage {
  readonly cpuMs: number;
  readonly devices: Readonly<Record<string, DeviceTotals>>;
  /** Console lines the tender passed, dropped and cut, every boot. */
  readonly console: ConsoleCounts;
}

/** What an instance uses, read now (or, `stale`, as its busy tender thread last said). */
export interface Sample {
  /** This boot's figures; undefined when it is not running. */
  readonly boot: Figures | undefined;
  /** Every boot's since the daemon started. */
  readonly usage: Usage;
  /** The thread did not answer in time (STATS_DEADLINE_MS): these are the last figures it sent. */
  readonly stale: boolean;
}

/** The totals of the boots that have ended. */
export class UsageTotals {
  #cpuMs = 0;
  #devices: Record<string, DeviceTotals> = {};
  #console: ConsoleCounts = NO_CONSOLE_COUNTS;

  /** Adds an ended boot's figures (as it ended). */
  add(figures: Figures): void {
    this.#cpuMs += figures.cpuTime?.cpuMs ?? 0;
    this.#devices = addDeviceTotals(this.#devices, figures.devices);
    this.#console = addCounts(this.#console, figures.console);
  }

  /** The totals with a running boot's figures added, if any. */
  with(figures?: Figures): Usage {
    if (figures === undefined) return { cpuMs: this.#cpuMs, devices: this.#devices, console: this.#console };
    return { cpuMs: this.#cpuMs + (figures.cpuTime?.cpuMs ?? 0), devices: addDeviceTotals(this.#devices, figures.devices), console: addCounts(this.#console, figures.console) };
  }
}

function addCounts(a: ConsoleCounts, b: ConsoleCounts): ConsoleCounts {
  return { lines: a.lines + b.lines, bytes: a.bytes + b.bytes, droppedRate: a.droppedRate + b.droppedRate, droppedBacklog: a.droppedBacklog + b.droppedBacklog, truncated: a.truncated + b.truncated };
}

/** `totals` plus `stats`' counters (every number but the open connections, a gauge). */
function addDeviceTotals(totals: Readonly<Record<string, DeviceTotals>>, stats: Readonly<Record<string, DeviceStats>>): Record<string, DeviceTotals> {
  const out: Record<string, DeviceTotals> = {};
  for (const [name, t] of Object.entries(totals)) out[name] = { ...t };
  for (const [name, s] of Object.entries(stats)) {
    const into: DeviceTotals = (out[name] ??= { kind: s.kind });
    for (const [key, value] of Object.entries(s)) {
      if (key !== "connections" && typeof value === "number") into[key] = (typeof into[key] === "number" ? (into[key] as number) : 0) + value;
    }
  }
  return out;
}
