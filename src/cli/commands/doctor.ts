/**
 * @module cli/commands/doctor
 * `tsuki doctor`: what this host can give each target. For the process target it lists every wall
 * with whether it is active and how it is built, then starts one sandboxed process to prove it;
 * exits 0 when every wall is up and 78 (ERR_SANDBOX_UNAVAILABLE's code) when one is missing.
 * It also says whether `net` devices can be attached here (/dev/net/tun, the TAP addon); that is
 * information, not a failure: a host without TAP interfaces runs every other device. The heap
 * guard, which holds --mem on the isolate and process targets, is built here if it is not yet;
 * without it those targets refuse to boot, and doctor exits 78 too. It lists what the runtime
 * refuses inside every unikernel because no limit could hold it.
 */

import { ExitCode } from "../../abi/index.ts";
import { TARGETS, memoryGuard, netDevices, processWalls, proveProcessSandbox } from "../../host/index.ts";
import { parse } from "../support/args.ts";

export const usage = `Usage: tsuki doctor

Prints the walls each target puts around a unikernel on this host. For the process target, each
wall is checked (bubblewrap, user namespaces, the seccomp shim built with the C compiler and
libseccomp, files readable by the sandbox's user), then one sandboxed process is started to prove
it. Also says whether the heap guard that holds --mem is built (C++ compiler, this Node's headers),
what the runtime refuses because no limit could hold it, and whether net devices (TAP
interfaces) can be attached. Exits 0 if every wall of every target is up, 78 if the heap guard or
a wall of the process target cannot be built.`;

/** What the guest runtime refuses in every unikernel, because nothing could hold it to --mem (README, "Memory"). */
const REFUSED = [
  "WebAssembly memories with 64-bit addresses (memory64): CompileError / RangeError",
  "WebAssembly JS Promise Integration (WebAssembly.Suspending, WebAssembly.promising): removed",
  "Intl.v8BreakIterator (V8's non-standard segmenter): removed",
  "eval and new Function of sources over 1 MiB characters: EvalError",
];

export async function doctor(argv: string[]): Promise<number> {
  const { values } = parse("doctor", argv, {});
  if (values.help) return void console.log(usage), 0;
  for (const name of ["isolate", "unix"] as const) {
    console.log(`target ${name}:`);
    for (const wall of TARGETS[name].walls) console.log(`  ${wall}`);
  }
  const guard = memoryGuard();
  console.log(`memory guard: ${"path" in guard ? `built (${guard.path}): --mem holds heap, ArrayBuffers, WebAssembly memories and code, Intl objects` : `UNAVAILABLE: ${guard.problem}`}`);
  if ("problem" in guard) console.log("tsuki run refuses the isolate and process targets on this host (ERR_MEMORY_GUARD_UNAVAILABLE)");
  console.log("refused inside every unikernel:");
  for (const refused of REFUSED) console.log(`  ${refused}`);
  console.log(`net devices: ${netDevices()}`);
  const check = await processWalls();
  console.log("target process:");
  for (const wall of check.walls) console.log(`  ${wall.active ? "active " : "MISSING"}  ${wall.name.padEnd(16)} ${wall.detail}`);
  for (const problem of check.problems) console.log(`  problem: ${problem}`);
  if (check.sandbox === undefined) {
    console.log("tsuki run --target process refuses to start on this host (ERR_SANDBOX_UNAVAILABLE)");
    return ExitCode.CONFIG;
  }
  const proof = await proveProcessSandbox();
  if ("error" in proof) {
    console.log(`  FAILED to start a sandboxed process: ${proof.error}`);
    return ExitCode.CONFIG;
  }
  console.log(`  proved: a sandboxed process started with every wall up in ${proof.ms.toFixed(0)} ms`);
  return "problem" in guard ? ExitCode.CONFIG : 0;
}
