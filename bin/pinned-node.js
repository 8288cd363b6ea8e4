/**
 * @module bin/pinned-node
 * What both commands (bin/tsuki.js, bin/tsuki-runtime.js) start with: they run on the Node that
 * tsuki pins (the `node` package among its dependencies, whose major version isolated-vm's
 * prebuilt addon is built for), from any folder: when the `node` first on PATH is another major
 * version (an older one cannot run tsuki at all), or was started without the flags the tender
 * needs (isolated-vm requires --no-node-snapshot, and the unix target evaluates images with
 * vm.SourceTextModule), the bin file runs itself again on the pinned Node, with the flags, and
 * passes on its exit status and the signals it gets. This file must parse on old Node versions.
 *
 * Its one error, ERR_NODE_VERSION (exit 70), is a row of the host's table of error codes
 * (src/host/common/error-codes.ts), spelled out here because this part runs before the table can
 * be loaded; test/architecture.test.ts checks that the two agree.
 */

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];
const REQUIRED_MAJOR = 24;

/** The pinned Node: the `node` package as Node resolves it from here (nested or hoisted), else node_modules/.bin. */
function pinnedNode(self) {
  try {
    const pkg = createRequire(self).resolve("node/package.json");
    const bin = path.join(path.dirname(pkg), "bin", "node");
    if (existsSync(bin)) return { bin, major: Number(JSON.parse(readFileSync(pkg, "utf8")).version.split(".")[0]) };
  } catch {}
  const bin = path.join(self, "../../node_modules/.bin/node");
  return existsSync(bin) ? { bin, major: undefined } : undefined;
}

function rerun(node, self, name) {
  const child = spawn(node, [...FLAGS, self, ...process.argv.slice(2)], { stdio: "inherit", env: { ...process.env, TSUKI_RERUN: "1" } });
  // In a terminal, Ctrl-C and Ctrl-\ reach the whole foreground group, the child included: passing
  // them on would count twice (tsuki run stops at once on a second SIGINT). Elsewhere, pass them on.
  const fromTerminal = process.stdin.isTTY === true;
  const signals = ["SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", ...(fromTerminal ? [] : ["SIGINT", "SIGQUIT"])];
  const forward = (signal) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  if (fromTerminal) for (const signal of ["SIGINT", "SIGQUIT"]) process.on(signal, () => {});
  child.on("error", (error) => {
    process.stderr.write(`${name}: error ERR_NODE_VERSION: cannot start the Node.js that tsuki pins (${node}): ${error.message}\n`);
    process.exit(70);
  });
  child.on("exit", (code, signal) => {
    if (signal === null) process.exit(code ?? 70);
    // End the way the child ended, so that a shell sees the same signal.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}

/** The Node to run this file on again, if not this one as it is; undefined to run here. */
function rerunOn(self, name) {
  const major = Number(process.versions.node.split(".")[0]);
  const flagged = FLAGS.slice(0, 2).every((flag) => process.execArgv.includes(flag));
  // Set for the run on the pinned Node: it runs here, whatever it finds, so that nothing loops.
  if (process.env.TSUKI_RERUN === "1") return void delete process.env.TSUKI_RERUN;
  const pinned = pinnedNode(self);
  if (pinned !== undefined && (pinned.major === undefined ? major < REQUIRED_MAJOR : pinned.major !== major)) return pinned.bin;
  if (major < REQUIRED_MAJOR) {
    process.stderr.write(
      `${name}: error ERR_NODE_VERSION: tsuki needs Node.js ${REQUIRED_MAJOR} or newer, this is ${process.version}, and the Node.js it pins (its dependency "node") is not installed: reinstall tsuki with its dependencies (npm install tsuki), or put Node.js ${REQUIRED_MAJOR} first on PATH\n`,
    );
    process.exit(70);
  }
  return flagged ? undefined : process.execPath;
}

/**
 * Runs `main` (a module's exported main(argv) → exit code) on the pinned Node with the flags: here
 * when this process is that, else in a child started on it (`self`, the bin file, run again).
 */
export async function launch(self, name, loadMain) {
  const node = rerunOn(self, name);
  if (node !== undefined) return rerun(node, self, name);
  // First of all: tsuki's own .ts files from a cache of their stripped JavaScript, so that Node's
  // type stripper (about 16 MiB kept for the life of the process) is not loaded (src/host/loader).
  (await import("../src/host/loader/hook.js")).register();
  const { main } = await loadMain();
  process.exitCode = await main(process.argv.slice(2));
}
