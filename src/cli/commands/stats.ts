/**
 * @module cli/commands/stats
 * `tsuki stats NAME`: what a unikernel on tsukid uses: CPU time, heap and its limit, memory
 * limit, connections and bytes per device, uptime, restarts, refused hypercalls, console lines.
 * When the unikernel's tender thread is inside a long guest turn, tsukid answers with the last
 * figures it had, and this says so.
 */

import { parse, positional } from "../support/args.ts";
import type { DeviceStats } from "../../host/index.ts";
import { printFields } from "../support/print.ts";
import { REMOTE_FLAGS, REMOTE_USAGE, client, reporting } from "../support/remote.ts";

export const usage = `Usage: tsuki stats NAME [--json]

Shows what the unikernel NAME uses: CPU time (this boot, and every boot since the daemon started),
heap in use and its limit, its memory limit, open connections, what each device carried (bytes in
and out, connections, datagrams, block reads and writes), uptime, restarts, hypercalls the host
refused (by errno), its console ring, and the console lines the tender dropped over the
unikernel's console limits or cut. "In" is towards the unikernel, "out" from it. When its
tender thread is busy in a long guest turn, the figures are the last it sent, marked stale.

  --json             print them as JSON
${REMOTE_USAGE}`;

export async function stats(argv: string[]): Promise<number> {
  const { values, positionals } = parse("stats", argv, { ...REMOTE_FLAGS, json: { type: "boolean" } });
  if (values.help) return void console.log(usage), 0;
  const name = positional("stats", positionals, "a unikernel's name");
  return reporting(async () => {
    const s = await client(values).stats(name);
    if (values.json) return void console.log(JSON.stringify(s)), 0;
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    const n = (count: number) => count.toLocaleString("en-US");
    const cpu = (ms: number) => (ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`);
    const devices: Record<string, string> = {};
    for (const [device, d] of Object.entries(s.devices)) devices[`  ${device}`] = describeDevice(d);
    printFields({
      name: s.name,
      state: s.state,
      ...(s.stale ? { figures: "as last read (stale: its tender thread is busy)" } : {}),
      uptime: `${(s.uptimeMs / 1000).toFixed(1)} s`,
      "cpu time": `${s.cpuTimeMs === null ? (s.state === "running" ? "not measured" : "-") : cpu(s.cpuTimeMs)} this boot, ${cpu(s.cpuTimeTotalMs)} in all`,
      memory: s.memory === null ? null : `${mib(s.memory.used)} of ${mib(s.memory.limit)} (heap ${mib(s.memory.heap)}, external ${mib(s.memory.external)}, reserved ${mib(s.memory.reserved)})`,
      heap: s.heap === null ? null : `${mib(s.heap.used)} of ${mib(s.heap.limit)}`,
      "memory limit": mib(s.memoryLimitBytes),
      connections: s.connections,
      devices: Object.keys(devices).length === 0 ? "none" : Object.keys(devices).length,
      ...devices,
      restarts: s.restarts,
      "refused calls": Object.keys(s.rejectedCalls).length === 0 ? "none" : s.rejectedCalls,
      "last exit": s.lastExit === null ? null : `${s.lastExit.code} (${s.lastExit.reason})`,
      console: `${s.console.total} lines written, ${s.console.lines} held, ${s.console.dropped} dropped from the ring, ${s.console.followers} followers`,
      "console limits": `${n(s.console.limits.rate)} lines/s, bursts of ${n(s.console.limits.burst)}: ${n(s.console.rateDropped)} lines dropped over them, ${n(s.console.backlogDropped)} dropped with the daemon behind, ${n(s.console.truncated)} cut at 16 KiB`,
    });
    return 0;
  });
}

/** One device's counters on one line. */
function describeDevice(d: DeviceStats): string {
  const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 2 ** 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 2 ** 20).toFixed(1)} MiB`);
  const io = `${bytes(d.bytesIn)} in, ${bytes(d.bytesOut)} out`;
  if ("connectionsTotal" in d) return `${d.kind}: ${d.connections} open, ${d.connectionsTotal} in all, ${io}`;
  if ("datagramsIn" in d) return `${d.kind}: ${d.datagramsIn} datagrams in, ${d.datagramsOut} out, ${d.dropped} dropped; ${io}`;
  if ("reads" in d) return `${d.kind}: ${d.reads} reads (${bytes(d.bytesIn)}), ${d.writes} writes (${bytes(d.bytesOut)}), ${d.flushes} flushes`;
  return `${d.kind}: ${d.framesIn} frames in, ${d.framesOut} out, ${d.dropsOut} dropped; ${io}`;
}
