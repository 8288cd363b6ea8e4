/**
 * @module cli/commands/run
 * `tsuki run <image|dir>`: verifies the image (building it first when given a folder), checks the
 * device bindings against its manifest, boots it on a target, streams its console prefixed with
 * its name, and exits with the unikernel's exit code. SIGINT and SIGTERM stop it cleanly.
 * The flags (host/spec/flags.ts) and `--config run.yaml` (host/config) each give a run
 * specification, checked by the same checkers (host/spec/run-spec.ts); the flags override or
 * extend the file's.
 */

import { statSync } from "node:fs";
import { open as openInspector } from "node:inspector";
import { ExitCode } from "../../abi/index.ts";
import { CONSOLE_DEFAULTS, LIMIT_DEFAULTS, type RunConfig, TARGETS, TARGET_NAMES, Tender, TsukiError, applyCommandLine, buildImage, loadImage, loadRunConfig, runSpecFromFlags, terminalSink } from "../../host/index.ts";
import { parse, parseInteger, positional } from "../support/args.ts";

export const usage = `Usage: tsuki run <image|dir> [flags]
       tsuki run --config run.yaml [image|dir] [flags]

Boots a unikernel image (or builds the folder first) and streams its console, prefixed with its
name. Exits with the unikernel's exit code; SIGINT/SIGTERM stop it (codes 130/143).

  --config FILE      read image, memory, cpu-ms, target, devices (!listen, !connect, !udp, !block,
                     !net) and args from a YAML run configuration; the flags below override it
                     (--dev adds bindings, --arg adds or replaces args)
  --dev NAME=URI     bind the declared device NAME (repeatable), e.g. --dev web=tcp://127.0.0.1:8080
  --arg KEY=VALUE    a plain value for start({ args }) (repeatable); JSON values are parsed
  --mem SIZE         memory limit (heap, buffers, WebAssembly: all of it), e.g. 32M or 1G (default ${LIMIT_DEFAULTS.memoryMb}M)
  --cpu-ms N         longest run without yielding, in ms (default ${LIMIT_DEFAULTS.cpuMs})
  --target NAME      ${TARGET_NAMES.join(" | ")} (default isolate; unix is for debugging)
  --console-rate N   console lines a second it may write (default ${CONSOLE_DEFAULTS.rate}; a line counts
                     once per 256 bytes begun); more are dropped, counted and reported
  --console-burst N  console lines it may write at once (default ${CONSOLE_DEFAULTS.burst}, or twice the rate)
  --inspect[=PORT]   open the Node inspector (use with --target unix to debug the guest)
  --timestamps       prefix console lines with the time
  --quiet            do not print the exit reason
  --no-check         when building a folder, skip the type check (see tsuki build --help)`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("run", argv, {
    config: { type: "string" },
    dev: { type: "string", multiple: true },
    arg: { type: "string", multiple: true },
    mem: { type: "string" },
    "cpu-ms": { type: "string" },
    target: { type: "string" },
    "console-rate": { type: "string" },
    "console-burst": { type: "string" },
    inspect: { type: "string" },
    timestamps: { type: "boolean" },
    quiet: { type: "boolean" },
    check: { type: "boolean", default: true },
  });
  if (values.help) return void console.log(usage), 0;
  // With a run configuration the image may come from its `image:` key instead.
  const given = values.config !== undefined && positionals.length === 0 ? undefined : positional("run", positionals, "an image or a unikernel folder");

  // Every flag is checked before a folder is built: a bad flag should not build.
  const flags = runSpecFromFlags(values);
  const config: RunConfig | undefined = values.config === undefined ? undefined : loadRunConfig(values.config);
  const settings = applyCommandLine(config, { ...flags, ...(given === undefined ? {} : { image: given }) });
  const source = settings.image;
  if (source === undefined) {
    throw new TsukiError("MISSING_ARGUMENT", `"tsuki run" needs an image or a unikernel folder: give one after "run", or write \`image: PATH\` in ${values.config}`);
  }
  const targetName = settings.target ?? "isolate";

  let imagePath = source;
  if (isFolder(source)) {
    const built = await buildImage(source, { check: values.check });
    process.stderr.write(`tsuki: built ${built.image} (sha256 ${built.sha256.slice(0, 16)}…)\n`);
    imagePath = built.image;
  }
  const image = loadImage(imagePath);
  if (values.inspect !== undefined) openInspector(values.inspect === "" ? 9229 : parseInteger("--inspect", values.inspect), "127.0.0.1");

  const output = terminalSink({ timestamps: values.timestamps ?? false });
  const tender = new Tender({ target: TARGETS[targetName], console: output });
  const unikernel = await tender.boot(image, { bindings: settings.devices, args: settings.args, ...settings.limits });

  if (!values.quiet) {
    for (const [name, a] of Object.entries(unikernel.addresses)) {
      const scheme = settings.devices.find((b) => b.name === name)!.uri.split(":")[0];
      process.stderr.write(`tsuki: ${unikernel.name}: ${name} listening on ${scheme}://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}\n`);
    }
    for (const [name, link] of Object.entries(unikernel.links)) {
      process.stderr.write(`tsuki: ${unikernel.name}: ${name} attached to TAP ${link.tap} (MAC ${link.mac}, MTU ${link.mtu})\n`);
    }
  }

  let signals = 0;
  const onSignal = (signal: "SIGINT" | "SIGTERM") => {
    if (++signals > 1) process.exit(signal === "SIGINT" ? ExitCode.SIGINT : ExitCode.SIGTERM);
    unikernel.stop(`stopped by ${signal}`, signal === "SIGINT" ? ExitCode.SIGINT : ExitCode.SIGTERM);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const status = await unikernel.exited;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (!values.quiet) process.stderr.write(`tsuki: ${unikernel.name} exited with code ${status.code}: ${status.reason}\n`);
  // A reader that has stopped reading keeps what is queued for it (at most 1 MiB) and would keep the tender from ending.
  if (!(await output.drained(2000))) process.exit(status.code);
  return status.code;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
