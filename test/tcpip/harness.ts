/**
 * @module test/tcpip/harness
 * Boots a unikernel on a TAP whose kernel side lives in a network namespace made for it, for the
 * Linux tests of tsuki/tcpip and for bench:tcpip: the TAP is made in this process's namespace (the
 * tender attaches to it by name), then moved into the namespace and addressed 10.0.0.1/24 there, so
 * every test has its own link and the host's own interfaces are never touched. Console lines that
 * are JSON objects with an `event` are the guest's reports; `event(name)` waits for the next one.
 */

import path from "node:path";
import { buildImage } from "../../src/host/build/build.ts";
import { type Image, readImage } from "../../src/host/image/image.ts";
import type { ConsoleLine } from "../../src/host/tender/console.ts";
import type { TargetName } from "../../src/host/tender/targets/index.ts";
import type { Unikernel } from "../../src/host/tender/unikernel.ts";
import { testTender } from "../helpers.ts";
import { Netns, createTap, deleteLink } from "../netns.ts";
import { readFileSync } from "node:fs";

export const FIXTURE = path.join(import.meta.dirname, "fixture");
export const PEER = path.join(import.meta.dirname, "peer.ts");
export const HOST_ADDRESS = "10.0.0.1";
export const GUEST_ADDRESS = "10.0.0.2";

export async function buildFolder(folder: string): Promise<Image> {
  const result = await buildImage(folder);
  return readImage(readFileSync(result.image));
}

export interface Event {
  readonly event: string;
  readonly [key: string]: unknown;
}

export interface Link {
  readonly ns: Netns;
  readonly tap: string;
  readonly unikernel: Unikernel;
  readonly lines: ConsoleLine[];
  /** Waits for the next guest event named `name` (after those already taken), up to `ms`. */
  event(name: string, ms?: number): Promise<Event>;
  /** Runs a command in the namespace without blocking this process's loop (the tender must go on). */
  spawn(command: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Runs the Node peer (peer.ts) in the namespace → its JSON events. */
  peer(...args: string[]): Promise<Event[]>;
  /** Sends one control datagram to the guest's port 5000. */
  command(text: string): Promise<void>;
  stop(): Promise<void>;
}

export interface LinkOptions {
  readonly image: Image;
  readonly target?: TargetName;
  readonly args?: Record<string, unknown>;
  readonly mtu?: number;
  /** The kernel side's address (CIDR), or null for none (DHCP tests add their own). */
  readonly hostCidr?: string | null;
  readonly device?: string;
  readonly memoryMb?: number;
  /** Called after the TAP is in the namespace and up, before `ready` is awaited. */
  readonly afterAdopt?: (ns: Netns, tap: string) => void | Promise<void>;
  /** The event that says the guest is ready (default "ready"); null to wait for none. */
  readonly readyEvent?: string | null;
}

export async function link(options: LinkOptions): Promise<Link> {
  const ns = Netns.create();
  const tap = createTap(undefined, options.mtu === undefined ? {} : { mtu: options.mtu });
  const { tender, lines } = testTender(options.target ?? "isolate");
  let unikernel: Unikernel;
  try {
    unikernel = await tender.boot(options.image, {
      bindings: [{ name: options.device ?? "eth", uri: `tap:${tap}` }],
      args: { address: `${GUEST_ADDRESS}/24`, gateway: HOST_ADDRESS, ...options.args },
      memoryMb: options.memoryMb ?? 256,
    });
  } catch (error) {
    deleteLink(tap);
    ns.delete();
    throw error;
  }
  ns.adopt(tap, options.hostCidr === null ? undefined : (options.hostCidr ?? `${HOST_ADDRESS}/24`));
  await options.afterAdopt?.(ns, tap);
  let taken = 0;
  const seen: Event[] = [];
  const event = async (name: string, ms = 30_000): Promise<Event> => {
    const deadline = Date.now() + ms;
    for (;;) {
      for (; taken < lines.length; taken++) {
        const text = lines[taken]!.text;
        if (text.startsWith("{")) {
          try {
            seen.push(JSON.parse(text) as Event);
          } catch {
            // not an event
          }
        }
      }
      const index = seen.findIndex((e) => e.event === name);
      if (index >= 0) return seen.splice(index, 1)[0]!;
      const status = unikernel.status;
      if (status !== undefined) throw new Error(`the unikernel ended (${JSON.stringify(status)}) while waiting for "${name}":\n${lines.map((l) => l.text).join("\n")}`);
      if (Date.now() > deadline) throw new Error(`no "${name}" event within ${ms} ms; the guest said:\n${lines.map((l) => l.text).join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const result: Link = {
    ns,
    tap,
    unikernel,
    lines,
    event,
    spawn: (command, args) => ns.spawn(command, args),
    async peer(...args) {
      const r = await ns.spawn(process.execPath, ["--disable-warning=ExperimentalWarning", PEER, ...args]);
      const events = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Event);
      if (r.code !== 0) throw new Error(`peer ${args.join(" ")} failed (${r.code}): ${r.stdout}${r.stderr}`);
      return events;
    },
    async command(text) {
      const r = await ns.spawn("bash", ["-c", `printf '%s' "$1" > /dev/udp/${GUEST_ADDRESS}/5000`, "command", text]);
      if (r.code !== 0) throw new Error(`sending "${text}" failed: ${r.stderr}`);
    },
    async stop() {
      if (unikernel.status === undefined) {
        unikernel.stop();
        await unikernel.exited;
      }
      ns.delete();
    },
  };
  if (options.readyEvent !== null) {
    try {
      await event(options.readyEvent ?? "ready");
    } catch (error) {
      await result.stop();
      throw error;
    }
  }
  return result;
}
