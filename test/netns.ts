/**
 * @module test/netns
 * Network namespaces, TAP and veth interfaces for tests against the real Linux kernel (the net
 * device, the in-guest TCP/IP stack). Every name is unique to the test process (`tsk<pid>n<k>`),
 * and everything made is removed when the test calls `cleanup()` and, whatever happens, when the
 * process exits (also after a failed assertion or an uncaught error).
 *
 * The tender attaches to a TAP by name in its own network namespace (the test process's), so the
 * usual shape of a test is:
 *
 *     const skip = netUnavailable();                 // root, /dev/net/tun and `ip` are needed
 *     const ns = Netns.create();                     // the kernel's side lives here
 *     const tap = createTap();                       // a TAP in the test's namespace, down
 *     const u = await tender.boot(image, { bindings: [{ name: "eth", uri: `tap:${tap}` }] });
 *     ns.adopt(tap, "10.0.0.1/24");                  // moved into ns (the tender's fd stays attached), addressed, up
 *     ns.sh("echo hi > /dev/udp/10.0.0.2/9");        // traffic from the kernel's stack inside ns
 *
 * Moving the TAP keeps the test's namespace clean: its address and routes exist only inside `ns`,
 * so tests running in parallel may all use the same subnet.
 */

import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

let counter = 0;
const namespaces = new Set<string>();
const links = new Set<string>();

/** A name unique to this process, at most 15 characters (an interface name's limit). */
export function uniqueName(prefix = "tsk"): string {
  return `${prefix}${process.pid}n${counter++}`.slice(0, 15);
}

/** Runs a command; returns its output, or throws with its error output. */
export function run(command: string, args: readonly string[], options: { input?: string; allowFail?: boolean } = {}): string {
  const r = spawnSync(command, args, { encoding: "utf8", input: options.input, timeout: 30_000 });
  if (!options.allowFail && (r.error !== undefined || r.status !== 0)) {
    throw new Error(`${command} ${args.join(" ")} failed: ${r.error?.message ?? r.stderr.trim()}`);
  }
  return r.stdout ?? "";
}

/** Why kernel networking tests cannot run here (a skip reason), or undefined. */
export function netUnavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces and TAP interfaces are Linux only";
  if (process.getuid?.() !== 0) return "creating network namespaces and TAP interfaces needs root";
  try {
    accessSync("/dev/net/tun", constants.R_OK | constants.W_OK);
  } catch {
    return "this host has no usable /dev/net/tun (modprobe tun; in a container, --device /dev/net/tun)";
  }
  const ip = spawnSync("ip", ["-V"], { encoding: "utf8" });
  if (ip.error !== undefined || ip.status !== 0) return "the ip command (iproute2) is not installed";
  return undefined;
}

/** Creates a persistent TAP in the test process's namespace (down, no address); removed on cleanup. */
export function createTap(name = uniqueName(), options: { mtu?: number; user?: string } = {}): string {
  run("ip", ["tuntap", "add", "dev", name, "mode", "tap", ...(options.user ? ["user", options.user] : [])]);
  links.add(name);
  if (options.mtu !== undefined) run("ip", ["link", "set", name, "mtu", String(options.mtu)]);
  return name;
}

/** Deletes an interface of the test process's namespace, if it is still there. */
export function deleteLink(name: string): void {
  run("ip", ["link", "del", name], { allowFail: true });
  links.delete(name);
}

/** An interface's counters (`ip -s link`: rx/tx packets, bytes, dropped…). */
export interface LinkStats {
  rx: { packets: number; bytes: number; dropped: number; errors: number };
  tx: { packets: number; bytes: number; dropped: number; errors: number };
}

export interface Neighbour {
  dst: string;
  lladdr?: string;
  state: string[];
}

/** A network namespace made by the test; `ip netns` names it. */
export class Netns {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  static create(name = uniqueName("tsn")): Netns {
    run("ip", ["netns", "add", name]);
    namespaces.add(name);
    const ns = new Netns(name);
    ns.ip("link", "set", "lo", "up");
    return ns;
  }

  /** `ip -n NAME …` → its output. */
  ip(...args: string[]): string {
    return run("ip", ["-n", this.name, ...args]);
  }

  /** Runs a command inside the namespace → its output (throws on failure unless `allowFail`). */
  exec(command: string, args: readonly string[] = [], options: { input?: string; allowFail?: boolean } = {}): string {
    return run("ip", ["netns", "exec", this.name, command, ...args], options);
  }

  /**
   * Runs a command inside the namespace without blocking the test's event loop (a tender in the
   * test process must go on reading its TAP meanwhile) → its status and output.
   */
  spawn(command: string, args: readonly string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn("ip", ["netns", "exec", this.name, command, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Runs a bash script inside the namespace (bash's /dev/udp and /dev/tcp make traffic without other tools). */
  sh(script: string, options: { allowFail?: boolean } = {}): string {
    return this.exec("bash", ["-c", script], options);
  }

  /** Moves interface `name` of the test's namespace into this one, optionally gives it an address, and sets it up. */
  adopt(name: string, cidr?: string): void {
    run("ip", ["link", "set", name, "netns", this.name]);
    links.delete(name);
    if (cidr !== undefined) this.ip("addr", "add", cidr, "dev", name);
    this.ip("link", "set", name, "up");
  }

  /**
   * A veth pair: `inside` in this namespace (addressed `cidr`, up) and `outside` in the test's
   * namespace (down, for a bridge or a second namespace to take). Returns the outside's name.
   */
  veth(inside: string, cidr?: string, outside = uniqueName("tsv")): string {
    run("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside, "netns", this.name]);
    links.add(outside);
    if (cidr !== undefined) this.ip("addr", "add", cidr, "dev", inside);
    this.ip("link", "set", inside, "up");
    return outside;
  }

  stats(name: string): LinkStats {
    const [link] = JSON.parse(this.ip("-s", "-j", "link", "show", "dev", name)) as { stats64: { rx: Record<string, number>; tx: Record<string, number> } }[];
    const pick = (s: Record<string, number>) => ({ packets: s.packets ?? 0, bytes: s.bytes ?? 0, dropped: s.dropped ?? 0, errors: s.errors ?? 0 });
    return { rx: pick(link!.stats64.rx), tx: pick(link!.stats64.tx) };
  }

  neighbours(name: string): Neighbour[] {
    return JSON.parse(this.ip("-j", "neigh", "show", "dev", name) || "[]") as Neighbour[];
  }

  /** Deletes the namespace (and the virtual interfaces in it). */
  delete(): void {
    run("ip", ["netns", "del", this.name], { allowFail: true });
    namespaces.delete(this.name);
  }
}

/** Polls `check` every 20 ms until it returns a value other than undefined, or throws after `ms`. */
export async function until<T>(check: () => T | undefined, ms = 5000, what = "the condition"): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Removes every namespace and interface this process made and has not removed yet. */
export function cleanup(): void {
  for (const name of [...links]) deleteLink(name);
  for (const name of [...namespaces]) {
    run("ip", ["netns", "del", name], { allowFail: true });
    namespaces.delete(name);
  }
}

process.on("exit", cleanup);
