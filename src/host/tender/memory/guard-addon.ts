/**
 * @module host/tender/memory/guard-addon
 * The heap guard (guard.cc) as a file isolated-vm can load into a guest isolate: built once per
 * host with the C++ compiler against the headers of the running Node, cached like the TAP addon
 * and the seccomp shim by the hash of its source, the compiler and the headers.
 *
 * The guard speaks V8's C++ API, which is not stable across releases: the headers must be this
 * Node's own (its version in `node_version.h` and V8's in `v8-version.h` must match the running
 * ones), so the headers of another Node installed on the host are refused rather than risked.
 * The `node` package ships the right ones (`node_modules/node/.../include/node`); so do the
 * official tarballs next to `bin/node`. `TSUKI_NODE_HEADERS=DIR` names the folder; `CXX` the
 * compiler (default `c++`).
 *
 * Without the guard, the isolate and process targets refuse to boot (ERR_MEMORY_GUARD_UNAVAILABLE):
 * their memory limit would not hold (see README, "Memory").
 */

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TsukiError } from "../../common/errors.ts";
import { cached, hashOf } from "../../sandbox/cache.ts";
import { headerCandidates } from "../devices/tap/addon.ts";

const SOURCE = fileURLToPath(new URL("./guard.cc", import.meta.url));

export type GuardBuild = { readonly path: string } | { readonly problem: string };

let built: GuardBuild | undefined;

/** `#define NAME value` from a header, or undefined. */
function define(header: string, name: string): string | undefined {
  return new RegExp(`^#define ${name} (\\d+)`, "m").exec(header)?.[1];
}

/** Why the headers in `dir` are not this Node's and V8's, or undefined if they are. */
export function headersMismatch(dir: string): string | undefined {
  const nodeFile = path.join(dir, "node_version.h");
  const v8File = path.join(dir, "v8-version.h");
  if (!existsSync(nodeFile) || !existsSync(v8File) || !existsSync(path.join(dir, "v8.h"))) return "no v8.h, v8-version.h or node_version.h";
  const n = readFileSync(nodeFile, "utf8");
  const v = readFileSync(v8File, "utf8");
  const node = ["NODE_MAJOR_VERSION", "NODE_MINOR_VERSION", "NODE_PATCH_VERSION"].map((d) => define(n, d)).join(".");
  const v8 = ["V8_MAJOR_VERSION", "V8_MINOR_VERSION", "V8_BUILD_NUMBER", "V8_PATCH_LEVEL"].map((d) => define(v, d)).join(".");
  if (node !== process.versions.node) return `they are Node ${node}'s, not ${process.versions.node}'s`;
  if (!process.versions.v8.startsWith(`${v8}`)) return `they are V8 ${v8}'s, not ${process.versions.v8}'s`;
  return undefined;
}

/** Builds the guard once per host, or says why it cannot. Never throws. */
export function heapGuardBuild(): GuardBuild {
  if (built !== undefined) return built;
  const tried: string[] = [];
  const headers = headerCandidates().find((dir) => {
    const mismatch = headersMismatch(dir);
    if (mismatch !== undefined && existsSync(dir)) tried.push(`${dir} (${mismatch})`);
    return mismatch === undefined;
  });
  if (headers === undefined) {
    return (built = {
      problem: `the memory guard needs the C++ headers of this Node (v${process.versions.node}, V8 ${process.versions.v8}); ${tried.length > 0 ? `not usable: ${tried.join("; ")}` : "none found"}: install the \`node\` package of this version (npm ci does) or unpack the include/ folder of its tarball next to bin/node, or set TSUKI_NODE_HEADERS=DIR`,
    });
  }
  const compiler = process.env.CXX ?? "c++";
  try {
    const source = readFileSync(SOURCE);
    const file = cached(`guard-${hashOf(source, compiler, headers, process.versions.node, process.versions.v8, process.arch)}.node`, (out) => {
      const r = spawnSync(compiler, ["-O2", "-Wall", "-std=c++20", "-shared", "-fPIC", `-I${headers}`, "-o", out, SOURCE], { encoding: "utf8" });
      if (r.error !== undefined || r.status !== 0) {
        const why = r.error?.message ?? r.stderr.split("\n").find((l) => /error/.test(l)) ?? r.stderr.trim().split("\n")[0];
        throw new Error(`building the memory guard needs a C++ compiler (Debian: apt-get install g++; or set CXX): ${why}`);
      }
    });
    built = { path: file };
  } catch (error) {
    built = { problem: (error as Error).message };
  }
  return built;
}

/** A guard built elsewhere: the process target's child, which finds it at a fixed path in its sandbox. */
export function useHeapGuard(file: string): void {
  built = { path: file };
}

/** The guard's path; throws ERR_MEMORY_GUARD_UNAVAILABLE saying why there is none. */
export function heapGuardPath(): string {
  const build = heapGuardBuild();
  if ("problem" in build) throw new TsukiError("MEMORY_GUARD_UNAVAILABLE", `the isolate and process targets cannot hold --mem on this host: ${build.problem}`);
  return build.path;
}
