/**
 * @module host/sandbox/walls
 * Which walls of the process target this host can build, and the files and user to build them
 * with. Nothing is left out silently: every wall is listed with whether it is active and how, and
 * the process target refuses to start (ERR_SANDBOX_UNAVAILABLE) while any is missing. `tsuki
 * doctor` prints the same list, after starting one sandbox to prove it.
 */

import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { type SandboxFiles, FD_LIMIT, PROCESS_LIMIT } from "./bwrap.ts";
import { sharedLibraries } from "./libraries.ts";
import { type Built, sealLibrary } from "./seal.ts";

export interface WallStatus {
  readonly name: string;
  readonly active: boolean;
  readonly detail: string;
}

export interface Sandbox {
  readonly files: SandboxFiles;
  /** The unprivileged user bubblewrap runs as when the tender is root. */
  readonly uid: number | undefined;
  readonly gid: number | undefined;
}

export interface SandboxCheck {
  readonly walls: readonly WallStatus[];
  readonly problems: readonly string[];
  readonly sandbox: Sandbox | undefined;
}

/** The unprivileged user a root tender's sandboxes run as ("nobody"). */
export const NOBODY = 65534;

function readNumber(file: string): number | undefined {
  try {
    return Number(readFileSync(file, "utf8").trim());
  } catch {
    return undefined;
  }
}

/** The isolated-vm addon node-gyp-build would load: a local build first, then the prebuild for this Node. */
export function isolatedVmAddon(): string | undefined {
  const dir = path.dirname(createRequire(import.meta.url).resolve("isolated-vm/package.json"));
  const candidates = [
    path.join(dir, "build/Release/isolated-vm.node"),
    path.join(dir, `prebuilds/${process.platform}-${process.arch}/isolated-vm.abi${process.versions.modules}.glibc.node`),
  ];
  return candidates.find((file) => existsSync(file));
}

/** Whether `file` can be reached and read by a user who is neither its owner nor in its group. */
function readableByOthers(file: string): boolean {
  let at = path.resolve(file);
  if ((statSync(at).mode & 0o004) === 0) return false;
  while ((at = path.dirname(at)) !== path.dirname(at)) if ((statSync(at).mode & 0o001) === 0) return false;
  return true;
}

let checked: SandboxCheck | undefined;

/**
 * Checks the host once per process; `script` is the bundled child program, `guard` the heap
 * guard's build (the tender's, tender/memory/guard-addon.ts: passed in, so that the sandbox
 * depends on nothing of the tender's).
 */
export function checkSandbox(script: string, guard: Built): SandboxCheck {
  if (checked !== undefined) return checked;
  const problems: string[] = [];
  const root = process.getuid?.() === 0;
  const bwrap = process.env.TSUKI_BWRAP ?? "/usr/bin/bwrap";
  let bwrapOk = process.platform === "linux";
  if (!bwrapOk) problems.push(`the process target needs Linux (this is ${process.platform})`);
  try {
    accessSync(bwrap, constants.X_OK);
  } catch {
    bwrapOk = false;
    problems.push(`bubblewrap is not installed at ${bwrap} (Debian: apt-get install bubblewrap; or set TSUKI_BWRAP)`);
  }
  const maxUserNs = readNumber("/proc/sys/user/max_user_namespaces");
  const unprivilegedClone = readNumber("/proc/sys/kernel/unprivileged_userns_clone");
  const apparmor = readNumber("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  let userns = maxUserNs === undefined || maxUserNs > 0;
  if (!userns) problems.push("user namespaces are disabled (sysctl user.max_user_namespaces=0)");
  if (unprivilegedClone === 0) {
    userns = false;
    problems.push("unprivileged user namespaces are disabled (sysctl kernel.unprivileged_userns_clone=0)");
  }
  if (apparmor === 1) {
    userns = false;
    problems.push("AppArmor restricts unprivileged user namespaces (sysctl kernel.apparmor_restrict_unprivileged_userns=1)");
  }
  const seal = sealLibrary();
  if ("problem" in seal) problems.push(seal.problem);
  const addon = isolatedVmAddon();
  if (addon === undefined) problems.push("the isolated-vm addon for this Node was not found");
  if ("problem" in guard) problems.push(guard.problem);
  const node = realpathSync(process.execPath);

  let files: SandboxFiles | undefined;
  if (bwrapOk && "path" in seal && addon !== undefined && "path" in guard) {
    try {
      files = { bwrap, node, addon, guard: guard.path, script, seal: seal.path, libraries: sharedLibraries([node, addon, guard.path, seal.path]) };
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (files !== undefined && root) {
    const hidden = [files.node, files.addon, files.guard, files.script, files.seal, ...files.libraries].filter((file) => !readableByOthers(file));
    if (hidden.length > 0) problems.push(`the sandbox runs as uid ${NOBODY}, which cannot read ${hidden.join(", ")}: make them and their folders world-readable, or set TSUKI_CACHE_DIR`);
  }

  const walls: WallStatus[] = [
    { name: "namespaces", active: bwrapOk && userns, detail: "bubblewrap: new user, pid, mount, ipc, uts, cgroup and network namespaces; no network interface but a loopback that is down" },
    { name: "root", active: files !== undefined, detail: `read-only empty root holding only node, the isolated-vm addon, the heap guard, the child program, the seccomp shim and ${files?.libraries.length ?? "their"} shared libraries; no /proc, /dev, /tmp or environment` },
    { name: "user", active: bwrapOk, detail: root ? `runs as uid ${NOBODY} (nobody) outside its namespace, not as root` : `runs as your uid ${process.getuid?.()} outside its namespace, with no capabilities` },
    { name: "session", active: bwrapOk, detail: "no new privileges, a new session (no terminal), killed with the tender" },
    { name: "node-permissions", active: true, detail: "Node's permission model: --permission with only --allow-addons (isolated-vm is an addon); no file, network, child-process or worker grants" },
    { name: "rlimits", active: "path" in seal, detail: `core 0, data ${"1280 MiB + 2 × --mem"}, open files ${FD_LIMIT}, processes/threads ${PROCESS_LIMIT}; not dumpable; every inherited descriptor closed but stdio and the channel` },
    { name: "seccomp", active: "path" in seal, detail: "libseccomp filter loaded after Node's exec: exec, sockets, ptrace, mount and namespaces, modules, keyrings, bpf, perf, io_uring, clock and host settings denied; other architectures killed" },
    { name: "isolate", active: true, detail: "inside all this, the isolate target's walls: own V8 heap, --mem held by the heap guard, CPU watchdog per turn, nothing but hypercalls" },
    { name: "watchdog", active: true, detail: "the tender kills a process whose turn does not answer within --cpu-ms + 1 s, and one that breaks the channel's protocol" },
  ];
  checked = { walls, problems, sandbox: problems.length === 0 && files !== undefined ? { files, uid: root ? NOBODY : undefined, gid: root ? NOBODY : undefined } : undefined };
  return checked;
}
