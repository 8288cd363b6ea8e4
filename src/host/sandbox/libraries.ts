/**
 * @module host/sandbox/libraries
 * The shared libraries a set of programs needs, as `ldd` resolves them on this host: the only
 * files of the host's own the sandbox's root holds besides Node and the isolated-vm addon.
 */

import { spawnSync } from "node:child_process";

export function sharedLibraries(files: readonly string[]): string[] {
  const found = new Set<string>();
  for (const file of files) {
    const r = spawnSync("ldd", [file], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ldd ${file} failed: ${r.error?.message ?? r.stderr.trim()}`);
    for (const line of r.stdout.split("\n")) {
      const m = /=>\s*(\/\S+)\s+\(/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
      if (m) found.add(m[1]!);
    }
  }
  return [...found].sort();
}
