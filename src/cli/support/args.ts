/**
 * @module cli/support/args
 * Flag parsing for the tsuki command: `node:util`'s parseArgs in strict mode, with its errors
 * turned into ours (stable codes, the flag named, where to read more), and the value parsers the
 * commands share (sizes, integers). The run flags (--mem, --dev, --arg, …) are read by the run
 * specification's own module, host/spec/flags.ts.
 */

import { type ParseArgsConfig, parseArgs } from "node:util";
import { TsukiError, parseMemoryMb } from "../../host/common/index.ts";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<O extends Options>(command: string, argv: string[], options: O) {
  try {
    // allowNegative: --no-check turns off a boolean flag that is on by default.
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, allowNegative: true, strict: true });
  } catch (error) {
    const e = error as { code?: string; message: string };
    // parseArgs explains some mistakes over several lines; an error is one line on stderr.
    const message = e.message.replace(/\s*\n\s*/g, " ");
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const flag = /'([^']+)'/.exec(e.message)?.[1] ?? e.message;
      throw new TsukiError("UNKNOWN_FLAG", `unknown flag ${flag} for "tsuki ${command}": see "tsuki ${command} --help"`);
    }
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      throw new TsukiError("FLAG_VALUE", `${message.replace(/^Option /, "flag ")} (tsuki ${command})`);
    }
    throw new TsukiError("FLAG_VALUE", `${message} (tsuki ${command})`);
  }
}

/** One positional argument, required. */
export function positional(command: string, positionals: string[], what: string): string {
  if (positionals.length === 0) throw new TsukiError("MISSING_ARGUMENT", `"tsuki ${command}" needs ${what}: see "tsuki ${command} --help"`);
  if (positionals.length > 1) throw new TsukiError("FLAG_VALUE", `"tsuki ${command}" takes one argument, ${what}; got ${positionals.length}: ${positionals.join(" ")}`);
  return positionals[0]!;
}

/** A memory size: `64M`, `1G`, `512K` or a bare number of MiB → MiB. */
export function parseMemory(flag: string, text: string): number {
  const mib = parseMemoryMb(text);
  if (mib === undefined) throw new TsukiError("FLAG_VALUE", `${flag} ${JSON.stringify(text)} is not a size: write e.g. ${flag} 64M or ${flag} 1G`);
  if (!Number.isInteger(mib)) throw new TsukiError("FLAG_VALUE", `${flag} ${text} is not a whole number of MiB`);
  return mib;
}

export function parseInteger(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new TsukiError("FLAG_VALUE", `${flag} ${JSON.stringify(text)} is not a whole number`);
  return Number(text);
}
