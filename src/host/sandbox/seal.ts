/**
 * @module host/sandbox/seal
 * The seccomp shim (seal.c): built once per host with the C compiler against libseccomp, then
 * preloaded into every process-target unikernel, where it closes every descriptor the process
 * inherited but stdio and the channel, sets the resource limits and loads the filter before
 * Node's main() runs. libseccomp builds the filter (architecture checks included),
 * so tsuki writes no BPF by hand; the shim exists because a filter that denies exec can only be
 * loaded after the exec that starts Node, and Node itself cannot load one.
 */

import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cached, hashOf } from "./cache.ts";

const SOURCE = fileURLToPath(new URL("./seal.c", import.meta.url));

/** Exit status of a process whose shim could not raise its walls. */
export const SEAL_FAILED = 121;

export type Built = { readonly path: string } | { readonly problem: string };

let built: Built | undefined;

export function sealLibrary(): Built {
  if (built !== undefined) return built;
  const source = readFileSync(SOURCE);
  const compiler = process.env.CC ?? "cc";
  try {
    built = {
      path: cached(`seal-${hashOf(source, compiler)}.so`, (file) => {
        const r = spawnSync(compiler, ["-O2", "-Wall", "-shared", "-fPIC", "-o", file, SOURCE, "-lseccomp"], { encoding: "utf8" });
        if (r.error !== undefined || r.status !== 0) {
          const why = r.error?.message ?? r.stderr.split("\n").find((l) => /error/.test(l)) ?? r.stderr.trim().split("\n")[0];
          throw new Error(`building the seccomp filter needs a C compiler and libseccomp's headers (Debian: gcc libseccomp-dev): ${why}`);
        }
      }),
    };
  } catch (error) {
    built = { problem: (error as Error).message };
  }
  return built;
}

/** The filter as libseccomp prints it (pseudo-code), for tests and `tsuki doctor --verbose`. */
export function exportFilter(): string {
  const seal = sealLibrary();
  if ("problem" in seal) throw new Error(seal.problem);
  const out = `${seal.path}.${process.pid}.pfc`;
  const r = spawnSync("/bin/true", [], { env: { LD_PRELOAD: seal.path, TSUKI_SEAL_EXPORT: out } });
  if (r.status !== 0) throw new Error(`exporting the filter failed: ${r.stderr}`);
  const text = readFileSync(out, "utf8");
  rmSync(out, { force: true });
  return text;
}
