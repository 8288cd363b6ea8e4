/**
 * @module cli/runtime/main
 * `tsuki-runtime`, the runc-compatible OCI runtime (bin/tsuki-runtime.js): containerd's
 * io.containerd.runc.v2 shim (`ctr run --runc-binary`, a runtime's BinaryName) calls it as it
 * calls runc. It runs a bundle whose root file system holds a tsuki image (host/oci/runtime) and
 * hands every other bundle, and every container that runc made, to runc with the same argv.
 * Errors go to the log (--log, --log-format json) led by their stable code; the exit code is the
 * code's (docs/errors.md).
 */

import { existsSync } from "node:fs";
import path from "node:path";
import { TSUKI_VERSION, TsukiError } from "../../host/common/index.ts";
import { ContainerStore, DEFAULT_ROOT, containerPids, createContainer, deleteContainer, killContainer, ociState, parseSignal, readBundle, startContainer } from "../../host/oci/runtime/index.ts";
import { COMMAND_FLAGS, GLOBAL_FLAGS, parseFlags } from "./argv.ts";
import { errorLines, openLog, type RuntimeLog } from "./log.ts";
import { execRunc, runcFeatures } from "./runc.ts";

export const usage = `Usage: tsuki-runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND [flags] ID

A runc-compatible OCI runtime for containerd's shim: runs bundles whose root file system holds a
tsuki image (/unikernel.tsuki), and hands every other bundle to runc.

  create --bundle DIR [--pid-file FILE] ID   check the bundle, spawn the init process (waits for start)
  start ID                                   boot the unikernel
  state ID                                   print the OCI state (JSON)
  kill [--all] ID [SIGNAL]                   signal the init (its process group with --all); default SIGTERM
  delete [--force] ID                        forget a stopped container (--force: end a running one first)
  ps [--format table|json] ID                list the container's processes (json: an array of pids)
  features                                   print what this runtime supports (JSON)

Annotations: tsuki.dev/device.NAME=URI binds a device, tsuki.dev/arg.KEY=VALUE passes an arg,
tsuki.dev/target=process|isolate|unix chooses the target (default process).`;

export async function main(argv: readonly string[]): Promise<number> {
  let log: RuntimeLog = openLog(undefined, undefined);
  try {
    const globals = parseFlags(argv, GLOBAL_FLAGS, "tsuki-runtime", true);
    log = openLog(globals.values.log, globals.values["log-format"]);
    if (globals.booleans.has("version")) return void console.log(`tsuki-runtime version ${TSUKI_VERSION}\nspec: 1.0.2`), 0;
    const [command, ...rest] = globals.rest;
    if (command === undefined || globals.booleans.has("help")) return void console.log(usage), command === undefined && !globals.booleans.has("help") ? 64 : 0;
    const spec = COMMAND_FLAGS[command];
    if (spec === undefined) throw new TsukiError("RUNTIME_UNSUPPORTED", `tsuki-runtime has no command "${command}" (yet): it has ${Object.keys(COMMAND_FLAGS).filter((c) => c !== "init").join(", ")}`);
    const flags = parseFlags(rest, spec, `tsuki-runtime ${command}`, false);
    if (flags.booleans.has("help")) return void console.log(usage), 0;
    const root = globals.values.root ?? DEFAULT_ROOT;
    const store = new ContainerStore(root);
    if (command === "features") return void console.log(JSON.stringify(runcFeatures(), null, 2)), 0;

    const id = flags.positionals[0];
    if (id === undefined) throw new TsukiError("MISSING_ARGUMENT", `tsuki-runtime ${command} needs a container id`);
    // A container runc made (ROOT/ID/state.json, where runc keeps it) is runc's to handle.
    if (command !== "create" && command !== "init" && !store.has(id) && existsSync(path.join(globals.values.root ?? "/run/runc", id, "state.json"))) execRunc(argv);

    switch (command) {
      case "create": {
        if (flags.values["console-socket"] !== undefined) throw new TsukiError("RUNTIME_UNSUPPORTED", `create ${id}: --console-socket: a unikernel has no terminal (run it without a tty)`);
        const bundle = readBundle(flags.values.bundle ?? ".");
        if (bundle.image === undefined) execRunc(argv);
        const self = [process.execPath, ...process.execArgv, process.argv[1]!, "--root", root, ...(globals.values.log === undefined ? [] : ["--log", globals.values.log]), ...(globals.values["log-format"] === undefined ? [] : ["--log-format", globals.values["log-format"]])];
        await createContainer(store, id, bundle, { initCommand: self, ...(flags.values["pid-file"] === undefined ? {} : { pidFile: flags.values["pid-file"] }) });
        return 0;
      }
      case "init": {
        const { runInit } = await import("../../host/index.ts");
        return await runInit(store, id, (message) => log.write("warning", message));
      }
      case "start":
        await startContainer(store, id);
        return 0;
      case "state":
        console.log(JSON.stringify(ociState(store, store.load(id)), null, 2));
        return 0;
      case "kill":
        killContainer(store, id, parseSignal(flags.positionals[1] ?? "SIGTERM"), flags.booleans.has("all"));
        return 0;
      case "ps": {
        const format = flags.values.format ?? "table";
        if (format !== "json" && format !== "table") throw new TsukiError("FLAG_VALUE", `ps --format ${JSON.stringify(format)}: the formats are table and json`);
        const pids = containerPids(store, store.load(id));
        console.log(format === "json" ? JSON.stringify(pids) : ["PID", ...pids].join("\n"));
        return 0;
      }
      case "delete":
        await deleteContainer(store, id, flags.booleans.has("force"));
        return 0;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof TsukiError)) {
      log.write("error", `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return 70;
    }
    for (const line of errorLines(error)) log.write("error", line);
    return error.exitCode;
  }
}
