/**
 * @module host/tender/devices/tap/addon
 * The TAP addon (tap.c), built once per host with the C compiler against Node's headers and
 * cached by the hash of its source, the compiler and the headers (the sandbox's cache,
 * `node_modules/.cache/tsuki/`, like the seccomp shim), then loaded into the tender. Only the
 * tender loads it: a process-target unikernel never holds a TAP's file descriptor.
 *
 * Node's headers are looked for next to the running `node` (`<prefix>/include/node`, as the
 * official tarballs and the `node` package ship them), then in npm's `nodedir`, then in
 * `/usr/include/node` and `/usr/local/include/node`. Only Node-API (version 8) and libuv's 1.x
 * interface are used, both stable across Node versions, so headers of another Node release work.
 * `TSUKI_NODE_HEADERS=DIR` names the folder holding `node_api.h` and `uv.h`.
 */

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cached, hashOf } from "../../../sandbox/cache.ts";

const SOURCE = fileURLToPath(new URL("./tap.c", import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL("../../../../../", import.meta.url));

/** The addon's functions (see tap.c). */
export interface TapAddon {
  /** Attaches to TAP `name` → [fd, mtu, whether the kernel created the interface]; throws an Error with `code` and `syscall`. */
  open(name: string): [fd: number, mtu: number, created: boolean];
  start(fd: number, maxFrame: number, maxFrames: number, onBatch: (packed: Buffer, count: number) => void): object;
  pause(reader: object): void;
  resume(reader: object): void;
  stop(reader: object): void;
  /** Writes each frame of `packed` → how many the kernel took. */
  write(fd: number, packed: Uint8Array): number;
  close(fd: number): void;
}

export type Loaded = { readonly addon: TapAddon } | { readonly problem: string };

let loaded: Loaded | undefined;

/** Folders that may hold Node's headers, best first. */
export function headerCandidates(): string[] {
  const found: string[] = [];
  if (process.env.TSUKI_NODE_HEADERS) found.push(process.env.TSUKI_NODE_HEADERS);
  const prefix = path.resolve(path.dirname(process.execPath), "..");
  found.push(path.join(prefix, "include/node"));
  // The `node` package's bin/node is a copy of the binary of node-<platform>-<arch>, which carries
  // include/ and sits in the package's own node_modules wherever npm placed the package.
  found.push(path.join(prefix, "node_modules", `node-${process.platform}-${process.arch}`, "include/node"));
  // The `node` package installs its binary from node-<platform>-<arch>, which carries include/.
  for (const root of [path.join(PACKAGE_ROOT, "node_modules/node/node_modules"), path.join(PACKAGE_ROOT, "node_modules")]) {
    found.push(path.join(root, `node-${process.platform}-${process.arch}`, "include/node"));
  }
  const nodedir = process.env.npm_config_nodedir;
  if (nodedir) found.push(path.join(nodedir, "include/node"));
  found.push("/usr/include/node", "/usr/local/include/node");
  return found;
}

/** The folder holding `node_api.h` and `uv.h`, or undefined. */
export function nodeHeaders(): string | undefined {
  return headerCandidates().find((dir) => existsSync(path.join(dir, "node_api.h")) && existsSync(path.join(dir, "uv.h")));
}

/** Builds (once per host) and loads the addon, or says why it cannot. Never throws. */
export function tapAddon(): Loaded {
  if (loaded !== undefined) return loaded;
  try {
    const headers = nodeHeaders();
    if (headers === undefined) {
      throw new Error(
        `the TAP addon needs Node's C headers (node_api.h and uv.h), found in none of ${headerCandidates().join(", ")}: install them (Debian: apt-get install libnode-dev; or unpack the include/ folder of the Node tarball next to bin/node) or set TSUKI_NODE_HEADERS=DIR`,
      );
    }
    const source = readFileSync(SOURCE);
    const compiler = process.env.CC ?? "cc";
    const file = cached(`tap-${hashOf(source, compiler, headers, readFileSync(path.join(headers, "node_api.h")))}.node`, (out) => {
      const r = spawnSync(compiler, ["-O2", "-Wall", "-shared", "-fPIC", `-I${headers}`, "-DNODE_GYP_MODULE_NAME=tsuki_tap", "-o", out, SOURCE], { encoding: "utf8" });
      if (r.error !== undefined || r.status !== 0) {
        const why = r.error?.message ?? r.stderr.split("\n").find((l) => /error/.test(l)) ?? r.stderr.trim().split("\n")[0];
        throw new Error(`building the TAP addon needs a C compiler (Debian: gcc): ${why}`);
      }
    });
    loaded = { addon: createRequire(import.meta.url)(file) as TapAddon };
  } catch (error) {
    loaded = { problem: (error as Error).message };
  }
  return loaded;
}
