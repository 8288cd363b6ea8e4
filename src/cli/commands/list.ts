/**
 * @module cli/commands/list
 * `tsuki list`: the unikernels on tsukid, one line each, in start order.
 */

import { parse } from "../support/args.ts";
import { TsukiError } from "../../host/common/index.ts";
import { REMOTE_FLAGS, REMOTE_USAGE, client, reporting } from "../support/remote.ts";

export const usage = `Usage: tsuki list [--json]

Lists the unikernels on tsukid in start order: name, state, restarts, image and addresses.

  --json             print them as a JSON array
${REMOTE_USAGE}`;

export async function list(argv: string[]): Promise<number> {
  const { values, positionals } = parse("list", argv, { ...REMOTE_FLAGS, json: { type: "boolean" } });
  if (values.help) return void console.log(usage), 0;
  if (positionals.length > 0) throw new TsukiError("FLAG_VALUE", `"tsuki list" takes no arguments; got ${positionals.join(" ")}`);
  return reporting(async () => {
    const all = await client(values).listUnikernels();
    if (values.json) return void console.log(JSON.stringify(all)), 0;
    const rows = all.map((u) => [u.name, u.state, String(u.restarts), `${u.imageName ?? "?"} ${u.image.slice(0, 12)}`, Object.entries(u.addresses).map(([d, a]) => `${d}=${a}`).join(" ") || "-"]);
    const table = [["NAME", "STATE", "RESTARTS", "IMAGE", "ADDRESSES"], ...rows];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const row of table) console.log(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "));
    return 0;
  });
}
