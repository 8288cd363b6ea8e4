/**
 * @module cli/commands/create
 * `tsuki create NAME IMAGE|DIR [flags]`: hands a unikernel to tsukid, which stores the image once
 * by SHA-256, checks the bindings against its manifest, writes down that it should run, boots it
 * and keeps it running by its restart policy. A folder is built first, as `tsuki run` does.
 */

import { readFileSync, statSync } from "node:fs";
import { CONSOLE_DEFAULTS, LIMIT_DEFAULTS, TsukiError, absoluteBinding, buildImage, formatBinding, runSpecFromFlags } from "../../host/index.ts";
import { DAEMON_TARGETS, type DaemonError, type DaemonTarget, PRIORITY_RANGE, RESTART_POLICIES, type RestartPolicy, checkName } from "../../host/orchestrator/api/index.ts";
import { parse, parseInteger } from "../support/args.ts";
import { readSignature } from "../support/files.ts";
import { REMOTE_FLAGS, REMOTE_USAGE, client, isRemote, reporting } from "../support/remote.ts";
import { printInfo } from "../support/print.ts";

export const usage = `Usage: tsuki create NAME <image|dir> [flags]

Creates the unikernel NAME on tsukid from an image (or a unikernel folder, built first): the daemon
stores the image, checks the bindings against its manifest, boots it, and keeps it running by its
restart policy, across its own restarts too.

  --dev NAME=URI     bind the declared device NAME (repeatable), as for tsuki run; relative file
                     paths are made absolute here; a block volume (tsuki block create) is
                     volume:NAME, or file:NAME for a tenant over --remote
  --arg KEY=VALUE    a plain value for start({ args }) (repeatable); JSON values are parsed
  --mem SIZE         memory limit (heap, buffers, WebAssembly: all of it), e.g. 32M (default ${LIMIT_DEFAULTS.memoryMb}M)
  --cpu-ms N         longest run without yielding, in ms (default ${LIMIT_DEFAULTS.cpuMs})
  --target NAME      ${DAEMON_TARGETS.join(" | ")} (default isolate)
  --console-rate N   console lines a second it may write (default ${CONSOLE_DEFAULTS.rate}; a line counts
                     once per 256 bytes begun); more are dropped and counted. Tenants may only lower it
  --console-burst N  console lines it may write at once (default ${CONSOLE_DEFAULTS.burst}, or twice the rate)
  --restart POLICY   ${RESTART_POLICIES.join(" | ")} (default on-failure): a configuration or
                     bad-image exit (codes 64, 65, 78) is never restarted; crash loops back off
  --priority N       start order when the daemon starts, ${PRIORITY_RANGE.min} first (default ${PRIORITY_RANGE.default})
  --signature FILE   the image's signature (tsuki sign); default IMAGE.sig when it exists
  --json             print the unikernel's info as JSON
${REMOTE_USAGE}`;

export async function create(argv: string[]): Promise<number> {
  const { values, positionals } = parse("create", argv, {
    ...REMOTE_FLAGS,
    dev: { type: "string", multiple: true },
    arg: { type: "string", multiple: true },
    mem: { type: "string" },
    "cpu-ms": { type: "string" },
    target: { type: "string" },
    "console-rate": { type: "string" },
    "console-burst": { type: "string" },
    restart: { type: "string" },
    priority: { type: "string" },
    json: { type: "boolean" },
    signature: { type: "string" },
  });
  if (values.help) return void console.log(usage), 0;
  if (positionals.length !== 2) throw new TsukiError(positionals.length < 2 ? "MISSING_ARGUMENT" : "FLAG_VALUE", `"tsuki create" takes a name and an image or folder: tsuki create NAME IMAGE [flags] (see "tsuki create --help")`);
  const [name, source] = positionals as [string, string];
  try {
    checkName(name);
  } catch (error) {
    throw new TsukiError("FLAG_VALUE", (error as DaemonError).message);
  }
  const flags = runSpecFromFlags(values, DAEMON_TARGETS);
  // A remote daemon's tenant names its block volumes by bare name (file:NAME); locally files are host paths, volumes volume:NAME.
  const devices = flags.devices.map((b) => formatBinding(isRemote(values) ? b : absoluteBinding(b)));
  const { memoryMb, cpuMs, console: consoleLimits } = flags.limits;
  const { target, args } = flags;
  const restart = choice("--restart", values.restart, RESTART_POLICIES);
  const priority = values.priority === undefined ? undefined : parseInteger("--priority", values.priority);
  if (priority !== undefined && priority > PRIORITY_RANGE.max) throw new TsukiError("FLAG_VALUE", `--priority ${priority} is out of range: give ${PRIORITY_RANGE.min}–${PRIORITY_RANGE.max}`);

  let imagePath = source;
  if (isFolder(source)) {
    const built = await buildImage(source);
    process.stderr.write(`tsuki: built ${built.image} (sha256 ${built.sha256.slice(0, 16)}…)\n`);
    imagePath = built.image;
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(imagePath);
  } catch {
    throw new TsukiError("IMAGE_NOT_FOUND", `no image at ${imagePath}: build one with "tsuki build <dir>" or check the path`);
  }

  const signature = readSignature(values.signature ?? `${imagePath}.sig`, values.signature !== undefined);

  return reporting(async () => {
    const info = await client(values).create(
      {
        name,
        ...(signature === undefined ? {} : { signature }),
        devices,
        args,
        ...(memoryMb === undefined ? {} : { memoryMb }),
        ...(cpuMs === undefined ? {} : { cpuMs }),
        ...(consoleLimits === undefined ? {} : { console: consoleLimits }),
        ...(target === undefined ? {} : { target: target as DaemonTarget }),
        ...(restart === undefined ? {} : { restart: restart as RestartPolicy }),
        ...(priority === undefined ? {} : { priority }),
      },
      bytes,
    );
    if (values.json) console.log(JSON.stringify(info));
    else printInfo(info);
    return 0;
  });
}

function choice(flag: string, value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value !== undefined && !allowed.includes(value)) throw new TsukiError("FLAG_VALUE", `${flag} ${value} is not one of ${allowed.join(", ")}`);
  return value;
}

function isFolder(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
