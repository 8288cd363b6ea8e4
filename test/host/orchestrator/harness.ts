/**
 * Test harness for tsukid: starts the real daemon (`tsuki daemon`) as a child process on a
 * temporary state directory, reads its JSON event log from stdout, and hands out a client on its
 * socket. Images are built once per test file with the real build.
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { buildImage } from "../../../src/host/build/build.ts";
import { DaemonClient } from "../../../src/host/orchestrator/api/client.ts";
import { ROOT, tempDir, unikernelDir } from "../../helpers.ts";
import { type Child, type SpawnOptions, finished, start, waitForOutput } from "../../cli/spawn.ts";

export interface DaemonEvent {
  readonly time: string;
  readonly event: string;
  readonly name?: string;
  readonly [key: string]: unknown;
}

export class RunningDaemon {
  readonly stateDir: string;
  readonly socket: string;
  readonly child: Child;
  readonly client: DaemonClient;

  constructor(stateDir: string, child: Child) {
    this.stateDir = stateDir;
    this.socket = path.join(stateDir, "tsukid.sock");
    this.child = child;
    this.client = new DaemonClient(this.socket);
  }

  events(): DaemonEvent[] {
    return this.child
      .stdoutText()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as DaemonEvent);
  }

  /** Resolves once an event matching `match` has been logged. */
  async waitFor(match: (e: DaemonEvent) => boolean, what = "event"): Promise<DaemonEvent> {
    let found: DaemonEvent | undefined;
    await waitForOutput(this.child, () => (found = this.events().find(match)) !== undefined).catch((error: Error) => {
      throw new Error(`waiting for ${what}: ${error.message}`);
    });
    return found!;
  }

  /** SIGKILL: no chance to clean up. */
  async kill9(): Promise<void> {
    const done = finished(this.child);
    this.child.kill("SIGKILL");
    await done;
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const done = finished(this.child);
    this.child.kill("SIGTERM");
    return (await done).code;
  }

  /** `tsuki <args> --socket <socket>` through the real command. */
  tsukiArgs(...args: string[]): string[] {
    return [...args, "--socket", this.socket];
  }
}

/** Starts `tsuki daemon --state DIR` and waits until it is ready; `options.nofile` lowers its RLIMIT_NOFILE. */
export async function startDaemon(stateDir = path.join(tempDir("tsukid-"), "state"), extra: string[] = [], options: SpawnOptions = {}): Promise<RunningDaemon> {
  const daemon = new RunningDaemon(stateDir, start(["daemon", "--state", stateDir, ...extra], options));
  await daemon.waitFor((e) => e.event === "daemon-ready", "daemon-ready");
  return daemon;
}

const images = tempDir("tsukid-images-");

/** examples/hello-http, built into a temporary image. */
export async function helloHttpImage(): Promise<Uint8Array> {
  const built = await buildImage(path.join(ROOT, "examples/hello-http"), { out: path.join(images, "hello-http.tsuki") });
  return readFileSync(built.image);
}

/** A unikernel from source text, built into a temporary image. */
export async function sourceImage(name: string, source: string): Promise<Uint8Array> {
  // Guests written to test tsukid (hostile ones among them), not the type check: it has tests of its own.
  const built = await buildImage(unikernelDir({ "src/main.ts": source }, name), { out: path.join(images, `${name}.tsuki`), check: false });
  return readFileSync(built.image);
}

export async function fetchText(address: string): Promise<string> {
  const res = await fetch(address.replace(/^tcp:/, "http:") + "/");
  return res.text();
}
