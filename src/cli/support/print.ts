/**
 * @module cli/support/print
 * What the client commands print for people: `key: value` lines, aligned, and one unikernel as
 * tsuki info, create and restart show it.
 */

import type { InstanceInfo } from "../../host/orchestrator/api/index.ts";

/** `key: value` lines, aligned, for people. */
export function printFields(fields: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(fields).map((k) => k.length));
  for (const [key, value] of Object.entries(fields)) {
    const text = value === null || value === undefined ? "-" : typeof value === "object" ? JSON.stringify(value) : String(value);
    console.log(`${`${key}:`.padEnd(width + 1)} ${text}`);
  }
}

export function printInfo(info: InstanceInfo): void {
  printFields({
    name: info.name,
    state: info.state,
    image: `${info.imageName ?? "?"} ${info.imageVersion ?? ""} (sha256 ${info.image})`,
    target: info.target,
    memory: `${info.memoryMb}M`,
    "cpu-ms": info.cpuMs,
    console: `${info.console.rate.toLocaleString("en-US")} lines/s, bursts of ${info.console.burst.toLocaleString("en-US")}`,
    restart: info.restart,
    priority: info.priority,
    devices: info.devices.join(" ") || "-",
    addresses: Object.entries(info.addresses).map(([d, a]) => `${d}=${a}`).join(" ") || "-",
    created: info.created,
    started: info.started,
    restarts: info.restarts,
    "next restart": info.nextRestart,
    "last exit": info.lastExit === null ? null : `${info.lastExit.code} (${info.lastExit.reason}) at ${info.lastExit.time}`,
    error: info.error === null ? null : `${info.error.code}: ${info.error.message}`,
  });
}
