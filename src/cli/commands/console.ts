/**
 * @module cli/commands/console
 * `tsuki console NAME`: a unikernel's console lines from tsukid's ring buffer (output on stdout,
 * errors on stderr), the last N or since a time, and with --follow every new line until Ctrl-C.
 */

import { TsukiError } from "../../host/common/index.ts";
import { parse, parseInteger, positional } from "../support/args.ts";
import { REMOTE_FLAGS, REMOTE_USAGE, client, reporting } from "../support/remote.ts";

export const usage = `Usage: tsuki console NAME [--follow] [--count N | --since TIME] [--timestamps]

Prints the console lines tsukid keeps for the unikernel NAME (output on stdout, errors on stderr).

  --count N          the last N lines (default: all it holds; with --follow, the last 10)
  --since TIME       the lines since TIME: ISO 8601 (2026-01-31T12:00:00Z) or ms since the epoch
  --follow           then print new lines as they come, until Ctrl-C or the unikernel is destroyed
  --timestamps       prefix each line with its time
${REMOTE_USAGE}`;

export async function consoleCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("console", argv, {
    ...REMOTE_FLAGS,
    follow: { type: "boolean", short: "f" },
    count: { type: "string" },
    since: { type: "string" },
    timestamps: { type: "boolean" },
  });
  if (values.help) return void console.log(usage), 0;
  const name = positional("console", positionals, "a unikernel's name");
  const count = values.count === undefined ? undefined : parseInteger("--count", values.count);
  if (values.since !== undefined && !/^\d+$/.test(values.since) && !Number.isFinite(Date.parse(values.since))) {
    throw new TsukiError("FLAG_VALUE", `--since ${JSON.stringify(values.since)} is not a time: write ISO 8601 (e.g. 2026-01-31T12:00:00Z) or ms since the epoch`);
  }
  return reporting(async () => {
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    try {
      await client(values).console(
        name,
        { ...(count === undefined ? {} : { count }), ...(values.since === undefined ? {} : { since: values.since }), follow: values.follow ?? false, signal: abort.signal },
        (line) => (line.stream === 2 ? process.stderr : process.stdout).write(`${values.timestamps ? `${new Date(line.time).toISOString()} ` : ""}${line.text}\n`),
      );
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
    return 0;
  });
}
