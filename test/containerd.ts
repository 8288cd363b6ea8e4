/**
 * A containerd of a test's own: started with its own config (no CRI plugin), root, state and
 * socket in `dir`, asked until it answers, and ended with SIGTERM. Used by the OCI image tests
 * (test/host/oci/peers.test.ts) and tsuki-runtime's (test/oci-runtime/containerd.test.ts).
 */

import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

export interface Containerd {
  readonly address: string;
  /** Runs `ctr --address … args` and returns its stdout; throws with its stderr on failure. */
  ctr(...args: string[]): string;
  stop(): Promise<void>;
}

export async function startContainerd(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<Containerd> {
  const address = path.join(dir, "containerd.sock");
  const ctr = (...args: string[]) => execFileSync("ctr", ["--address", address, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env });
  writeFileSync(path.join(dir, "config.toml"), `version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n`);
  const daemon = spawn("containerd", ["--config", path.join(dir, "config.toml"), "--root", path.join(dir, "root"), "--state", path.join(dir, "state"), "--address", address], { stdio: "ignore", env });
  const stop = async () => {
    if (daemon.exitCode !== null || daemon.signalCode !== null) return;
    const ended = new Promise((resolve) => daemon.once("exit", resolve));
    daemon.kill("SIGTERM");
    await ended;
  };
  for (let i = 0; ; i++) {
    try {
      ctr("version");
      return { address, ctr, stop };
    } catch (error) {
      if (i > 100 || daemon.exitCode !== null) {
        await stop();
        throw new Error(`containerd did not start: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
