/**
 * @module cli/commands/info
 * `tsuki info NAME`: one unikernel as tsukid keeps it: state, image, limits, bindings and the
 * addresses they got, restart policy and count, the last exit.
 */

import { parse, positional } from "../support/args.ts";
import { printInfo } from "../support/print.ts";
import { REMOTE_FLAGS, REMOTE_USAGE, client, reporting } from "../support/remote.ts";

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
