/**
 * Runs the real `tsuki` command in a child process, the way an operator does: either through the
 * Node that runs the tests with the flags the tender needs, or as `bin/tsuki.js` itself, whose
 * shebang finds Node 24 first on PATH.
 */

import { type ChildProcessByStdio, spawn } from "node:child_process";
import path from "node:path";
import type { Readable } from "node:stream";
import { ROOT, TSUKI_BIN } from "../helpers.ts";

export const NODE_FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];

export interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SpawnOptions {
  /** Run bin/tsuki.js directly (its shebang) instead of `node <flags> bin/tsuki.js`. */
  readonly direct?: boolean;
  readonly cwd?: string;
  /** Run it with RLIMIT_NOFILE lowered to this, soft and hard (so Node cannot raise it again). */
  readonly nofile?: number;
}

export type Child = ChildProcessByStdio<null, Readable, Readable> & { stdoutText(): string; stderrText(): string };

/** The environment of the child: ours, without the test runner's context, with Node 24 first on PATH. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return env;
}

/** Starts `tsuki ...args` and collects its output as it comes. */
export function start(args: readonly string[], options: SpawnOptions = {}): Child {
  const cwd = options.cwd ?? ROOT;
  const [command, ...rest] = options.direct ? [TSUKI_BIN, ...args] : [process.execPath, ...NODE_FLAGS, TSUKI_BIN, ...args];
  // sh's ulimit sets both limits; exec keeps the pid, so signals reach tsuki itself.
  const argv = options.nofile === undefined ? [command!, ...rest] : ["sh", "-c", 'ulimit -n "$0" && exec "$@"', String(options.nofile), command!, ...rest];
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] }) as Child;
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  child.stdoutText = () => out;
  child.stderrText = () => err;
  return child;
}

/** Waits for the child to end and returns how, with everything it printed. */
export function finished(child: Child): Promise<Ran> {
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout: child.stdoutText(), stderr: child.stderrText() }));
  });
}

/** Runs `tsuki ...args` to the end. */
export function tsuki(args: readonly string[], options: SpawnOptions = {}): Promise<Ran> {
  return finished(start(args, options));
}

/** Resolves once the child's stdout satisfies `ready`; rejects if it ends first. */
export function waitForOutput(child: Child, ready: (stdout: string) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (ready(child.stdoutText())) {
        child.stdout.off("data", check);
        child.off("close", early);
        resolve();
      }
    };
    const early = () => reject(new Error(`tsuki ended before the expected output; stdout:\n${child.stdoutText()}\nstderr:\n${child.stderrText()}`));
    child.stdout.on("data", check);
    child.on("close", early);
    check();
  });
}

/** The `tsuki: error CODE: …` lines of stderr, as [code, message] pairs. */
export function errors(stderr: string): [string, string][] {
  return [...stderr.matchAll(/^tsuki: error (ERR_[A-Z_]+): (.*)$/gm)].map((m) => [m[1]!, m[2]!]);
}
