/**
 * @module cli/main
 * The `tsuki` command: dispatches to a subcommand and turns every `TsukiError` into one message
 * with its stable code on stderr and the error's exit code; anything unforeseen exits 70.
 */

import { ExitCode } from "../abi/index.ts";
import { TsukiError } from "../host/errors.ts";
import { TSUKI_VERSION } from "../host/version.ts";
import { build, usage as buildUsage } from "./commands/build.ts";
import { doctor, usage as doctorUsage } from "./commands/doctor.ts";
import { inspect, usage as inspectUsage } from "./commands/inspect.ts";
import { scaffold, usage as newUsage } from "./commands/new.ts";
import { run, usage as runUsage } from "./commands/run.ts";
import { consoleCommand, usage as consoleUsage } from "./commands/console.ts";
import { create, usage as createUsage } from "./commands/create.ts";
import { daemon, usage as daemonUsage } from "./commands/daemon.ts";
import { destroy, usage as destroyUsage } from "./commands/destroy.ts";
import { info, usage as infoUsage } from "./commands/info.ts";
import { list, usage as listUsage } from "./commands/list.ts";
import { restart, usage as restartUsage } from "./commands/restart.ts";
import { stats, usage as statsUsage } from "./commands/stats.ts";
import { keygen, usage as keygenUsage } from "./commands/keygen.ts";
import { signCommand, usage as signUsage } from "./commands/sign.ts";
import { verifyCommand, usage as verifyUsage } from "./commands/verify.ts";

const COMMANDS: Record<string, { run: (argv: string[]) => number | Promise<number>; usage: string }> = {
  build: { run: build, usage: buildUsage },
  run: { run, usage: runUsage },
  inspect: { run: inspect, usage: inspectUsage },
  new: { run: scaffold, usage: newUsage },
  doctor: { run: doctor, usage: doctorUsage },
  keygen: { run: keygen, usage: keygenUsage },
  sign: { run: signCommand, usage: signUsage },
  verify: { run: verifyCommand, usage: verifyUsage },
  daemon: { run: daemon, usage: daemonUsage },
  create: { run: create, usage: createUsage },
  destroy: { run: destroy, usage: destroyUsage },
  restart: { run: restart, usage: restartUsage },
  list: { run: list, usage: listUsage },
  info: { run: info, usage: infoUsage },
  console: { run: consoleCommand, usage: consoleUsage },
  stats: { run: stats, usage: statsUsage },
};

const USAGE = `tsuki ${TSUKI_VERSION}: TypeScript unikernels

Usage: tsuki <command> [flags]

  new <dir>            create a unikernel
  build <dir>          build it into a sealed, reproducible image
  run <image|dir>      boot it (builds a folder first)
  inspect <image>      verify an image and print its manifest
  doctor               show the walls each target puts around a unikernel on this host
  keygen <name>        make an Ed25519 key pair for signing images
  sign <image>         sign an image's SHA-256 (--key KEY): writes <image>.sig
  verify <image>       check an image's signature (--key PUB)

On a host running tsukid:
  daemon               run tsukid, which keeps this host's unikernels running
  create <name> <img>  hand it a unikernel (an image, or a folder to build)
  destroy <name>       stop a unikernel and forget it
  restart <name>       stop it and boot it again
  list                 the unikernels on tsukid
  info <name>          one unikernel: state, image, bindings, addresses, last exit
  console <name>       its console lines (--follow, --count, --since)
  stats <name>         what it uses: heap, connections, restarts

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
    if (!(error instanceof TsukiError)) return unexpected(error);
    // One line per problem, each with its own code: one check can find mistakes of several kinds.
    for (const { code, message } of error.problems) process.stderr.write(`tsuki: error ${code}: ${message}\n`);
    return error.exitCode;
  }
}

/**
 * A failure tsuki did not foresee. It ends with EX_SOFTWARE (70), never with 1, which would say
 * the unikernel aborted. A system error (Node's `code` and `syscall`, e.g. ENOTDIR) is one line;
 * anything else is a bug in tsuki and keeps its stack for the report.
 */
function unexpected(error: unknown): number {
  const e = (typeof error === "object" && error !== null ? error : {}) as { code?: unknown; syscall?: unknown; message?: unknown; stack?: unknown };
  if (typeof e.code === "string" && typeof e.syscall === "string") {
    process.stderr.write(`tsuki: error ${e.code}: ${String(e.message)}\n`);
  } else {
    process.stderr.write(`tsuki: internal error: ${typeof e.stack === "string" ? e.stack : String(error)}\ntsuki: this is a bug in tsuki; please report it with the command that caused it\n`);
  }
  return ExitCode.INTERNAL;
}
