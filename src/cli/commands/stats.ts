/**
 * @module cli/commands/stats
 * `tsuki stats NAME`: what a unikernel on tsukid uses: heap and its limit, connections, uptime,
 * restarts, refused hypercalls, console lines.
 */

import { parse, positional } from "../args.ts";
import { REMOTE_FLAGS, REMOTE_USAGE, client, printFields, reporting } from "./remote.ts";

export const usage = `Usage: tsuki stats NAME [--json]

Shows what the unikernel NAME uses: heap in use and its limit, open connections, uptime, restarts,
hypercalls the host refused (by errno) and its console ring.

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
    printFields({
      name: s.name,
      state: s.state,
      uptime: `${(s.uptimeMs / 1000).toFixed(1)} s`,
      "cpu time": s.cpuTimeMs === null ? "not measured" : `${s.cpuTimeMs} ms`,
      heap: s.heap === null ? null : `${mib(s.heap.used)} of ${mib(s.heap.limit)}`,
      "memory limit": mib(s.memoryLimitBytes),
      connections: s.connections,
      restarts: s.restarts,
      "refused calls": Object.keys(s.rejectedCalls).length === 0 ? "none" : s.rejectedCalls,
      "last exit": s.lastExit === null ? null : `${s.lastExit.code} (${s.lastExit.reason})`,
      console: `${s.console.lines} lines held, ${s.console.dropped} dropped, ${s.console.followers} followers`,
    });
    return 0;
  });
}
