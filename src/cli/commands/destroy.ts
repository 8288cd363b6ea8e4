/**
 * @module cli/commands/destroy
 * `tsuki destroy NAME`: tsukid stops the unikernel, forgets it (it does not come back after the
 * daemon restarts) and drops its image if no other unikernel uses it; block volumes stay.
 */

import { parse, positional } from "../support/args.ts";
import { REMOTE_FLAGS, REMOTE_USAGE, client, reporting } from "../support/remote.ts";

export const usage = `Usage: tsuki destroy NAME

Stops the unikernel NAME on tsukid and forgets it: it does not come back when the daemon restarts.
Its image is removed when no other unikernel uses it; its block volumes stay (tsuki block).

${REMOTE_USAGE}`;

export async function destroy(argv: string[]): Promise<number> {
  const { values, positionals } = parse("destroy", argv, REMOTE_FLAGS);
  if (values.help) return void console.log(usage), 0;
  const name = positional("destroy", positionals, "a unikernel's name");
  return reporting(async () => {
    const info = await client(values).destroy(name);
    console.log(`destroyed ${info.name}${info.lastExit ? ` (exited with code ${info.lastExit.code}: ${info.lastExit.reason})` : ""}`);
    return 0;
  });
}
