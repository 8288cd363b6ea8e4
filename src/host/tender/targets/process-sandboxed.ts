/**
 * @module host/tender/targets/process-sandboxed
 * One sandboxed child process as the tender holds it: bubblewrap started with the walls of
 * src/host/sandbox, the channel on the child's fd 3 (a socketpair), and the last lines of its
 * stderr for the exit reason. Everything the child sends is untrusted: frames go through a capped
 * `FrameReader`, and a frame over the cap or one that does not decode ends the process. The handle
 * keeps the tender's event loop alive only while someone waits for the child (`hold`).
 */

import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { TsukiError } from "../../common/errors.ts";
import { type LaunchOptions, bwrapArgs } from "../../sandbox/bwrap.ts";
import { SEAL_FAILED } from "../../sandbox/seal.ts";
import { withoutFrames } from "../guest/guest-stack.ts";
import type { Sandbox } from "../../sandbox/walls.ts";
import { driversScript, runtimeScript, webScript } from "../guest/runtime-script.ts";
import { FrameError, FrameReader, framePieces } from "./process-frames.ts";

/** Bytes the tender lets queue towards a child that does not read: past this it is flooding. */
export const WRITE_CAP = 8 * 1024 * 1024;
const STDERR_TAIL = 4096;
/** How long a fresh child may take to start, under load. */
const START_TIMEOUT_MS = 30_000;

export class Sandboxed {
  readonly process: ChildProcess;
  /** Where the child is in its own pid namespace is 1; this is its bubblewrap's pid on the host. */
  readonly pid: number | undefined;
  /** Resolves when the child has started and said hello; rejects if it dies first. */
  readonly ready: Promise<void>;
  /** Set once the process is gone or is being killed, with why. */
  dead: string | undefined;

  #channel: Socket;
  #reader = new FrameReader();
  #stderr = "";
  #holds = 0;
  #onMessage: (message: Record<string, unknown>) => void = () => this.kill("sent a frame when none was expected");
  #onDeath: (why: string) => void = () => undefined;

  constructor(sandbox: Sandbox, options: LaunchOptions) {
    this.process = spawn(sandbox.files.bwrap, bwrapArgs(sandbox.files, options), {
      stdio: ["ignore", "ignore", "pipe", "pipe"],
      env: {},
      ...(sandbox.uid === undefined ? {} : { uid: sandbox.uid, gid: sandbox.gid! }),
    });
    this.pid = this.process.pid;
    this.#channel = this.process.stdio[3] as Socket;
    const stderr = this.process.stderr!;
    stderr.setEncoding("utf8");
    stderr.on("data", (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL);
    });
    this.#channel.on("data", (chunk: Buffer) => this.#receive(chunk));
    this.#channel.on("error", () => undefined); // the exit that follows says what happened
    let started!: () => void;
    let failed!: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
    this.ready.catch(() => undefined);
    const timeout = setTimeout(() => this.kill(`did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    timeout.unref();
    this.#onMessage = (message) => {
      if (message.t !== "hello") return this.kill(`sent ${describe(message)} before hello`);
      clearTimeout(timeout);
      this.#onMessage = () => this.kill("sent a frame when none was expected");
      started();
    };
    this.#onDeath = (why) => {
      clearTimeout(timeout);
      failed(new TsukiError("SANDBOX_UNAVAILABLE", `the process target could not start a sandboxed process: ${why}`));
    };
    this.process.on("error", (error) => this.#died(`bubblewrap could not be started: ${error.message}`));
    this.process.on("exit", (code, signal) => this.#died(this.dead ?? this.#exitReason(code, signal)));
    this.#send({ t: "prepare", runtime: runtimeScript(), drivers: driversScript(), web: webScript() });
    this.#unrefAll();
    this.hold();
  }

  /** Where the child's messages go from now on, and what to do when it dies. */
  attach(onMessage: (message: Record<string, unknown>) => void, onDeath: (why: string) => void): void {
    this.#onMessage = onMessage;
    this.#onDeath = onDeath;
    if (this.dead !== undefined) onDeath(this.dead);
  }

  /**
   * Sends a frame; a child that lets more than WRITE_CAP bytes pile up is killed. What was queued
   * before this frame counts: one large frame (a turn delivering megabytes of data) is not a flood.
   */
  send(message: unknown): void {
    if (this.dead !== undefined) return;
    const queued = this.#channel.writableLength;
    if (queued > WRITE_CAP) return this.kill(`flooded the channel: it let ${queued} bytes of answers pile up unread`);
    this.#send(message);
  }

  #send(message: unknown): void {
    const [head, body] = framePieces(message);
    // A small frame is cheaper joined (one write); a large one is cheaper not copied (two, corked).
    if (body.length < 64 * 1024) return void this.#channel.write(Buffer.concat([head, body], 4 + body.length));
    this.#channel.cork();
    this.#channel.write(head);
    this.#channel.write(body);
    this.#channel.uncork();
  }

  /** Keeps the tender alive while it waits for the child (a turn, a start); `release` undoes one hold. */
  hold(): void {
    if (this.#holds++ === 0) this.#channel.ref();
  }

  release(): void {
    if (this.#holds > 0 && --this.#holds === 0) this.#channel.unref();
  }

  /** Ends the process (idempotent); `why` becomes the reason reported to whoever is attached. */
  kill(why: string): void {
    if (this.dead !== undefined) return;
    this.dead = why;
    this.#channel.destroy();
    this.process.kill("SIGKILL");
    this.#onDeath(why);
    this.#onDeath = () => undefined;
  }

  /** The last lines the child wrote to stderr (Node's fatal errors, the shim's failures) on one line, without stack frames: an exit reason names no host code. */
  stderrTail(): string {
    return withoutFrames(this.#stderr).replace(/\s+/g, " ").trim().slice(-400);
  }

  #receive(chunk: Buffer): void {
    if (this.dead !== undefined) return;
    let messages: unknown[];
    try {
      messages = this.#reader.push(chunk);
    } catch (error) {
      return this.kill(error instanceof FrameError ? `sent ${error.message}` : String(error));
    }
    for (const message of messages) {
      if (this.dead !== undefined) return;
      if (typeof message !== "object" || message === null || Array.isArray(message) || typeof (message as { t?: unknown }).t !== "string") {
        return this.kill(`sent a frame that is not a message (${describe(message)})`);
      }
      this.#onMessage(message as Record<string, unknown>);
    }
  }

  #died(why: string): void {
    this.#unrefAll();
    this.#holds = 0;
    if (this.dead === undefined) {
      this.dead = why;
      this.#onDeath(why);
    }
    this.#onDeath = () => undefined;
  }

  #exitReason(code: number | null, signal: NodeJS.Signals | null): string {
    const tail = this.stderrTail();
    const how = signal !== null ? `was killed by ${signal}` : code === SEAL_FAILED ? "could not raise its walls" : `exited with status ${code}`;
    return `its process ${how}${tail ? `: ${tail}` : ""}`;
  }

  #unrefAll(): void {
    this.process.unref();
    this.#channel.unref();
    (this.process.stderr as Socket | null)?.unref();
  }
}

export function describe(value: unknown): string {
  if (typeof value !== "object" || value === null) return typeof value;
  const t = (value as { t?: unknown }).t;
  return typeof t === "string" ? `"${t.slice(0, 20).replace(/[^\w-]/g, "?")}"` : Array.isArray(value) ? "an array" : "an object";
}
