/**
 * @module host/doctor
 * What this host can give each target, as `tsuki doctor` reports it: whether the heap guard that
 * holds --mem is built (building it if it is not yet), the process target's walls, one sandboxed
 * process started to prove them, and whether `net` devices (TAP interfaces) can be attached.
 */

import { accessSync, constants } from "node:fs";
import { checkSandbox } from "./sandbox/walls.ts";
import { netUnavailable } from "./tender/devices/net.ts";
import { heapGuardBuild } from "./tender/memory/guard-addon.ts";
import { childScript } from "./tender/targets/process-script.ts";
import { drainProcessTarget, launchOptions, processSandbox } from "./tender/targets/process.ts";
import { Sandboxed } from "./tender/targets/process-sandboxed.ts";

/** The heap guard: where it was built, or why it cannot be on this host. */
export const memoryGuard = heapGuardBuild;

/** Each wall of the process target with whether it is active, and the sandbox when all are. */
export async function processWalls(): Promise<ReturnType<typeof checkSandbox>> {
  return checkSandbox(await childScript(), heapGuardBuild());
}

/** Starts one process with every wall of the process target up: how long it took, or why it failed. */
export async function proveProcessSandbox(): Promise<{ readonly ms: number } | { readonly error: string }> {
  const t0 = performance.now();
  const child = new Sandboxed(await processSandbox(), launchOptions(128));
  try {
    await child.ready;
    return { ms: performance.now() - t0 };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    child.kill("doctor is done");
    drainProcessTarget();
  }
}

/** Whether this host can attach TAP interfaces: /dev/net/tun is usable and the TAP addon builds and loads. */
export function netDevices(): string {
  try {
    accessSync("/dev/net/tun", constants.R_OK | constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? "unavailable: no /dev/net/tun (modprobe tun; in a container, --device /dev/net/tun)"
      : `unavailable: /dev/net/tun is not usable by this user (${code})`;
  }
  const problem = netUnavailable();
  return problem === undefined ? "available (/dev/net/tun usable, TAP addon built)" : `unavailable: ${problem}`;
}
