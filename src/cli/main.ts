/**
 * @module cli/main
 * The `tsuki` command: dispatches to a subcommand and turns every `TsukiError` into one message
 * with its stable code on stderr and the error's exit code; anything unforeseen exits 70.
 */

import { ExitCode } from "../abi/index.ts";
import { TSUKI_VERSION, TsukiError } from "../host/common/index.ts";

type Command = (argv: string[]) => number | Promise<number>;

/**
 * Each command's module, loaded when it runs: `tsuki daemon` (which stays up) then holds neither
 * the build, the run configuration's YAML parser nor the certificate tooling (about 7 MiB of RSS).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  build: async () => (await import("./commands/build.ts")).build,
  run: async () => (await import("./commands/run.ts")).run,
  inspect: async () => (await import("./commands/inspect.ts")).inspect,
  new: async () => (await import("./commands/new.ts")).scaffold,
  doctor: async () => (await import("./commands/doctor.ts")).doctor,
  keygen: async () => (await import("./commands/keygen.ts")).keygen,
  sign: async () => (await import("./commands/sign.ts")).signCommand,
  verify: async () => (await import("./commands/verify.ts")).verifyCommand,
  daemon: async () => (await import("./commands/daemon.ts")).daemon,
  create: async () => (await import("./commands/create.ts")).create,
  destroy: async () => (await import("./commands/destroy.ts")).destroy,
  restart: async () => (await import("./commands/restart.ts")).restart,
  list: async () => (await import("./commands/list.ts")).list,
  info: async () => (await import("./commands/info.ts")).info,
  console: async () => (await import("./commands/console.ts")).consoleCommand,
  stats: async () => (await import("./commands/stats.ts")).stats,
  block: async () => (await import("./commands/block.ts")).blockCommand,
  ca: async () => (await import("./commands/ca.ts")).caCommand,
  cert: async () => (await import("./commands/cert.ts")).certCommand,
  oci: async () => (await import("./commands/oci.ts")).ociCommand,
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
  oci pack <image>     write it as an OCI image (--tag NAME:VERSION, --out DIR, --archive FILE)
  oci unpack <oci>     the image back out of an OCI layout or archive (--out FILE)

On a host running tsukid:
  daemon               run tsukid, which keeps this host's unikernels running
  create <name> <img>  hand it a unikernel (an image, or a folder to build)
  destroy <name>       stop a unikernel and forget it
  restart <name>       stop it and boot it again
  list                 the unikernels on tsukid
  info <name>          one unikernel: state, image, bindings, addresses, last exit
  console <name>       its console lines (--follow, --count, --since)
  stats <name>         what it uses: CPU, heap, connections and bytes per device
  block <subcommand>   block volumes (create NAME --size 64M, list, info, destroy): they outlive
                       the unikernels that bind them
  ca create            make the CA of tsukid's remote API, and the daemon's certificate
  cert issue           issue a tenant with a policy, and its client certificate
  cert show <file>     a certificate chain: subjects, validity, policies, tenant path
  (create … list … --remote https://HOST:PORT --cert --key --ca: the same over mutual TLS)

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
    return await (await entry())(rest);
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
