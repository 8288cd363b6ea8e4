/**
 * @module cli/runtime/runc
 * What tsuki-runtime leaves to runc: a bundle without a tsuki image (a Pod's pause container, a
 * sidecar) and every container runc made are handled by runc itself, given the same argv in
 * place of this process (execve, so the shim sees runc's exit code and pid file as if it had
 * called runc). runc is `$TSUKI_RUNTIME_RUNC` or the first `runc` on PATH. Also the `features`
 * document (runtime-spec features.md) of what tsuki-runtime itself supports.
 */

import { accessSync, constants } from "node:fs";
import path from "node:path";
import { TsukiError } from "../../host/common/index.ts";
import { RUNTIME_ANNOTATION } from "../../host/oci/runtime/index.ts";

export function findRunc(): string | undefined {
  const given = process.env.TSUKI_RUNTIME_RUNC;
  if (given !== undefined && given !== "") return given;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir === "") continue;
    const candidate = path.join(dir, "runc");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Replaces this process with runc, given `argv`; throws RUNTIME_RUNC when there is no runc. */
export function execRunc(argv: readonly string[]): never {
  const runc = findRunc();
  if (runc === undefined) throw new TsukiError("RUNTIME_RUNC", "this bundle holds no tsuki image (/unikernel.tsuki) and is for runc, which is not installed (Debian package runc), or set TSUKI_RUNTIME_RUNC to its path");
  // A failed execve aborts Node (it cannot return an error), so it is tried only on an executable.
  try {
    accessSync(runc, constants.X_OK);
  } catch (error) {
    throw new TsukiError("RUNTIME_RUNC", `cannot start runc (${runc}): ${(error as Error).message}`);
  }
  process.execve!(runc, [runc, ...argv], process.env);
  throw new TsukiError("RUNTIME_RUNC", `runc (${runc}) did not start`);
}

export function runcFeatures(): Record<string, unknown> {
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: "1.1.0",
    hooks: [],
    mountOptions: [],
    linux: { namespaces: ["network"], capabilities: [], cgroup: { v1: false, v2: false, systemd: false, systemdUser: false }, seccomp: { enabled: false }, apparmor: { enabled: false }, selinux: { enabled: false } },
    annotations: { "dev.tsuki.runtime.annotations": `${RUNTIME_ANNOTATION.device}NAME, ${RUNTIME_ANNOTATION.arg}KEY, ${RUNTIME_ANNOTATION.target}`, "dev.tsuki.runtime.runc-fallback": "bundles without /unikernel.tsuki" },
  };
}
