/**
 * @module cli/commands/info
 * `tsuki info NAME`: one unikernel as tsukid keeps it: state, image, limits, bindings and the
 * addresses they got, restart policy and count, the last exit.
 */

import type { InstanceInfo } from "../../host/orchestrator/supervision/instance.ts";
import { parse, positional } from "../support/args.ts";
import { REMOTE_FLAGS, REMOTE_USAGE, client, printFields, reporting } from "../support/remote.ts";

export const usage = `Usage: tsuki info NAME [--json]

Shows the unikernel NAME on tsukid: state, image, limits, device bindings and their addresses,
restart policy, restarts and the last exit.

  --json             print it as JSON
${REMOTE_USAGE}`;

export async function info(argv: string[]): Promise<number> {
  const { values, positionals } = parse("info", argv, { ...REMOTE_FLAGS, json: { type: "boolean" } });
  if (values.help) return void console.log(usage), 0;
  const name = positional("info", positionals, "a unikernel's name");
  return reporting(async () => {
    const result = await client(values).info(name);
    if (values.json) console.log(JSON.stringify(result));
    else printInfo(result);
    return 0;
  });
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
