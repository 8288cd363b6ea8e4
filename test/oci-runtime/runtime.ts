/**
 * Shared by the tsuki-runtime tests: the runtime command run as the shim runs it (the test's Node
 * with the tender's flags, so the pid it writes is the init's own), hello-http built once, a
 * bundle made of it, and a free loopback port.
 */

import { spawnSync } from "node:child_process";
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { buildImage } from "../../src/host/build/build.ts";
import { ROOT, tempDir } from "../helpers.ts";

export const RUNTIME_BIN = path.join(ROOT, "bin/tsuki-runtime.js");
export const NODE_FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The lines of the JSON log (--log), parsed. */
  readonly log: { level: string; msg: string; time: string }[];
}

/** Runs `tsuki-runtime --root ROOT --log LOG --log-format json ...args` and reads the log lines it added. */
export function runtime(root: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Ran {
  const base = path.join(path.dirname(root), Math.random().toString(36).slice(2));
  const log = `${base}.log.json`;
  // Files, not pipes, for stdout and stderr: an init process keeps them (as it keeps the shim's),
  // and spawnSync would wait for a pipe's last writer.
  const out = openSync(`${base}.out`, "w");
  const err = openSync(`${base}.err`, "w");
  const r = spawnSync(process.execPath, [...NODE_FLAGS, RUNTIME_BIN, "--root", root, "--log", log, "--log-format", "json", ...args], { stdio: ["ignore", out, err], env: { ...process.env, NODE_TEST_CONTEXT: undefined, ...env }, timeout: 60_000 });
  closeSync(out);
  closeSync(err);
  let lines: string[] = [];
  try {
    lines = readFileSync(log, "utf8").trim().split("\n");
  } catch {
    // nothing logged
  }
  return { code: r.status, stdout: readFileSync(`${base}.out`, "utf8"), stderr: readFileSync(`${base}.err`, "utf8"), log: lines.filter(Boolean).map((l) => JSON.parse(l)) };
}

let built: string | undefined;
/** examples/hello-http, built once per test file. */
export async function helloHttp(): Promise<string> {
  if (built === undefined) {
    const out = path.join(tempDir("tsuki-rt-build-"), "hello-http.tsuki");
    built = (await buildImage(path.join(ROOT, "examples/hello-http"), { out, check: false })).image;
  }
  return built;
}

/** A bundle folder: config.json from `config`, and rootfs/unikernel.tsuki copied from `image` when given. */
export function makeBundle(config: Record<string, unknown>, image?: string): string {
  const dir = tempDir("tsuki-rt-bundle-");
  mkdirSync(path.join(dir, "rootfs"));
  if (image !== undefined) copyFileSync(image, path.join(dir, "rootfs/unikernel.tsuki"));
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ociVersion: "1.0.2", root: { path: "rootfs" }, process: { args: ["/unikernel.tsuki"] }, ...config }));
  return dir;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
