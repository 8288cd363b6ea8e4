/**
 * @module cli/commands/block
 * `tsuki block create NAME --size 64M | list | info NAME | destroy NAME`: tsukid's block volumes,
 * resources of their own as in Albatross. A volume outlives the unikernels that bind it
 * (`--dev data=file:NAME` for a tenant, `--dev data=volume:NAME` on the host's socket), so a
 * unikernel destroyed and created again with a new image finds its data; it counts against the
 * tenant's storage budget from its create to its destroy, which is refused while a unikernel
 * binds it.
 */

import type { VolumeInfo } from "../../host/orchestrator/api/index.ts";
import { TsukiError } from "../../host/common/index.ts";
import { parse, parseMemory } from "../support/args.ts";
import { printFields } from "../support/print.ts";
import { REMOTE_FLAGS, REMOTE_USAGE, client, reporting } from "../support/remote.ts";

export const usage = `Usage: tsuki block create NAME --size SIZE | list | info NAME | destroy NAME

Block volumes on tsukid: files of a fixed size that unikernels bind as block devices and that
outlive them. Destroying a unikernel never destroys its volumes, so a unikernel destroyed and
created again (say with a new image) finds its data.

  create NAME --size SIZE   make a volume of SIZE (whole MiB: 64M, 1G; a bare number is MiB),
                            all zeros; a tenant's counts against its storage budget and each
                            ancestor's until it is destroyed
  list                      the volumes: name, size, the unikernels that bind them
  info NAME                 one volume
  destroy NAME              forget it and delete its data (refused while a unikernel binds it)

Bind one with tsuki create … --dev data=file:NAME (a tenant, over --remote) or
--dev data=volume:NAME (on this host's socket; a tenant's volume is volume:TENANT/NAME).

  --json             print the answer as JSON
${REMOTE_USAGE}`;

const SUBCOMMANDS = ["create", "list", "info", "destroy"];

export async function blockCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("block", argv, { ...REMOTE_FLAGS, size: { type: "string" }, json: { type: "boolean" } });
  if (values.help) return void console.log(usage), 0;
  const [sub, ...rest] = positionals;
  if (sub === undefined || !SUBCOMMANDS.includes(sub)) {
    throw new TsukiError(sub === undefined ? "MISSING_ARGUMENT" : "FLAG_VALUE", `"tsuki block" takes a subcommand, one of ${SUBCOMMANDS.join(", ")}${sub === undefined ? "" : `, not "${sub}"`}: see "tsuki block --help"`);
  }
  const wants = sub === "list" ? 0 : 1;
  if (rest.length !== wants) throw new TsukiError(rest.length < wants ? "MISSING_ARGUMENT" : "FLAG_VALUE", `"tsuki block ${sub}" takes ${wants === 0 ? "no arguments" : "a volume's name"}${rest.length > wants ? `; got ${rest.join(" ")}` : ""}: see "tsuki block --help"`);
  if (sub !== "create" && values.size !== undefined) throw new TsukiError("FLAG_VALUE", `--size is for "tsuki block create" only`);
  const name = rest[0]!;
  let sizeMb = 0;
  if (sub === "create") {
    if (values.size === undefined) throw new TsukiError("MISSING_ARGUMENT", `"tsuki block create" needs --size, e.g. tsuki block create ${name} --size 64M`);
    sizeMb = parseMemory("--size", values.size);
    if (sizeMb < 1) throw new TsukiError("FLAG_VALUE", `--size ${values.size} is less than 1M: a volume is at least 1 MiB`);
  }

  return reporting(async () => {
    const daemon = client(values);
    if (sub === "list") {
      const all = await daemon.listBlocks();
      if (values.json) return void console.log(JSON.stringify(all)), 0;
      const rows = all.map((v) => [v.name, `${v.sizeMb}M`, v.boundBy.join(",") || "-", v.missing ? "missing" : "ok"]);
      const table = [["NAME", "SIZE", "BOUND BY", "FILE"], ...rows];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
      for (const row of table) console.log(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "));
      return 0;
    }
    const answer = sub === "create" ? await daemon.createBlock(name, sizeMb) : sub === "info" ? await daemon.blockInfo(name) : await daemon.destroyBlock(name);
    if (values.json) console.log(JSON.stringify(answer));
    else if (sub === "destroy") console.log(`destroyed block volume ${answer.name} (${answer.sizeMb}M)`);
    else printBlock(answer);
    return 0;
  });
}

function printBlock(info: VolumeInfo): void {
  printFields({
    name: info.name,
    size: `${info.sizeMb}M (${info.size} bytes)`,
    ...(info.file === undefined ? {} : { file: info.file }),
    ...(info.tenant === undefined ? {} : { tenant: info.tenant }),
    created: info.created,
    "bound by": info.boundBy.join(", ") || "-",
    ...(info.missing ? { missing: "its file is gone: unikernels that bind it cannot boot (destroy it and create it again)" } : {}),
  });
}
