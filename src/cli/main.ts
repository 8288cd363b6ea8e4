/**
 * @module cli/main
 * The `tsuki` command: dispatches to a subcommand and turns every `TsukiError` into one message
 * with its stable code on stderr and the error's exit code.
 */

import { ExitCode } from "../abi/index.ts";
import { TsukiError } from "../host/errors.ts";
import { TSUKI_VERSION } from "../host/version.ts";
import { build, usage as buildUsage } from "./commands/build.ts";
import { inspect, usage as inspectUsage } from "./commands/inspect.ts";
import { scaffold, usage as newUsage } from "./commands/new.ts";
import { run, usage as runUsage } from "./commands/run.ts";

const COMMANDS: Record<string, { run: (argv: string[]) => number | Promise<number>; usage: string }> = {
  build: { run: build, usage: buildUsage },
  run: { run, usage: runUsage },
  inspect: { run: inspect, usage: inspectUsage },
  new: { run: scaffold, usage: newUsage },
};

const USAGE = `tsuki ${TSUKI_VERSION}: TypeScript unikernels

Usage: tsuki <command> [flags]

  new <dir>            create a unikernel
  build <dir>          build it into a sealed, reproducible image
  run <image|dir>      boot it (builds a folder first)
  inspect <image>      verify an image and print its manifest

"tsuki <command> --help" describes each command.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    console.log(USAGE);
    return command === undefined ? ExitCode.USAGE : 0;
  }
  if (command === "--version" || command === "version") return void console.log(TSUKI_VERSION), 0;
  try {
    const entry = COMMANDS[command];
    if (!entry) throw new TsukiError("UNKNOWN_COMMAND", `unknown command "${command}": the commands are ${Object.keys(COMMANDS).join(", ")} (see tsuki --help)`);
    return await entry.run(rest);
  } catch (error) {
    if (!(error instanceof TsukiError)) throw error;
    process.stderr.write(`tsuki: error ${error.code}: ${error.message}\n`);
    for (const detail of error.details.slice(1)) process.stderr.write(`tsuki: error ${error.code}: ${detail}\n`);
    return error.exitCode;
  }
}
