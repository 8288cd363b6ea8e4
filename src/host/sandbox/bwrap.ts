/**
 * @module host/sandbox/bwrap
 * The bubblewrap command line that starts one process-target unikernel: fresh user, pid, mount,
 * ipc, uts, cgroup and network namespaces (the network namespace has no interface but a loopback
 * that is down), a new session, death with the tender, and a root that is an empty read-only
 * tmpfs holding only Node, the isolated-vm addon, the heap guard, the child program, the seccomp
 * shim and the shared libraries these need. No /proc, no /dev, no /tmp, no environment but the shim's limits.
 * bubblewrap itself sets no-new-privileges; the shim (seal.c) then sets the rlimits and loads the
 * seccomp filter inside Node's process, and Node runs under its permission model.
 */

/** What one sandbox is made of; paths are on the host. */
export interface SandboxFiles {
  readonly bwrap: string;
  readonly node: string;
  readonly addon: string;
  /** The heap guard (src/host/tender/memory/guard.cc), loaded into the guest's isolate. */
  readonly guard: string;
  readonly script: string;
  readonly seal: string;
  readonly libraries: readonly string[];
}

export interface SandboxLimits {
  /** RLIMIT_DATA in bytes: writable private memory, the backstop behind the isolate's heap limit. */
  readonly dataBytes: number;
  readonly nofile: number;
  readonly nproc: number;
}

/** Where things are inside the sandbox. */
export const INSIDE = { node: "/tsuki/node", addon: "/tsuki/ivm.node", guard: "/tsuki/guard.node", script: "/tsuki/child.js", seal: "/tsuki/seal.so" } as const;

/** RLIMIT_DATA for a heap limit: Node and V8 reserve about 1.05 GiB of writable address space before any guest runs. */
export const dataLimit = (memoryMb: number): number => (1280 + 2 * memoryMb) * 2 ** 20;

export const FD_LIMIT = 64;
export const PROCESS_LIMIT = 64;

export interface LaunchOptions {
  readonly limits: SandboxLimits;
  /** False only for the tests that show the OS walls hold without Node's permission model. */
  readonly permission?: boolean;
  /** Arguments after the child program's own. */
  readonly extra?: readonly string[];
}

export function bwrapArgs(files: SandboxFiles, options: LaunchOptions): string[] {
  const { dataBytes, nofile, nproc } = options.limits;
  const binds: string[] = [];
  for (const library of files.libraries) binds.push("--ro-bind", library, library);
  return [
    "--unshare-user",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-net",
    "--unshare-cgroup-try",
    "--hostname",
    "tsuki",
    "--new-session",
    "--die-with-parent",
    "--as-pid-1",
    "--tmpfs",
    "/",
    ...binds,
    "--ro-bind",
    files.node,
    INSIDE.node,
    "--ro-bind",
    files.addon,
    INSIDE.addon,
    "--ro-bind",
    files.guard,
    INSIDE.guard,
    "--ro-bind",
    files.script,
    INSIDE.script,
    "--ro-bind",
    files.seal,
    INSIDE.seal,
    "--remount-ro",
    "/",
    "--chdir",
    "/",
    "--clearenv",
    "--setenv",
    "LD_PRELOAD",
    INSIDE.seal,
    "--setenv",
    "TSUKI_SEAL_LIMITS",
    `${dataBytes},${nofile},${nproc}`,
    "--",
    INSIDE.node,
    "--no-node-snapshot",
    ...(options.permission === false ? [] : ["--permission", "--allow-addons"]),
    "--disable-warning=SecurityWarning",
    "--disable-warning=ExperimentalWarning",
    INSIDE.script,
    INSIDE.addon,
    INSIDE.guard,
    ...(options.extra ?? []),
  ];
}
