/**
 * @module cli/commands/restart
 * `tsuki restart NAME`: tsukid stops the unikernel and boots it again at once, from a clean slate
 * (a crash loop's backoff starts over).
 */

import { parse, positional } from "../support/args.ts";
import { printInfo } from "../support/print.ts";
import { REMOTE_FLAGS, REMOTE_USAGE, client, reporting } from "../support/remote.ts";

export const usage = `Usage: tsuki restart NAME [--json]

Stops the unikernel NAME on tsukid and boots it again at once; a crash loop's backoff starts over.

  --json             print its info as JSON
${REMOTE_USAGE}`;

export async function restart(argv: string[]): Promise<number> {
  const { values, positionals } = parse("restart", argv, { ...REMOTE_FLAGS, json: { type: "boolean" } });
  if (values.help) return void console.log(usage), 0;
  const name = positional("restart", positionals, "a unikernel's name");
  return reporting(async () => {
    const info = await client(values).restart(name);
    if (values.json) console.log(JSON.stringify(info));
    else printInfo(info);
    return 0;
  });
}
