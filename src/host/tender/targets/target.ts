/**
 * @module host/tender/targets/target
 * The one interface every target implements. A target turns an image's module into a running
 * guest: a fresh global scope holding nothing but the guest runtime and the hypercall function,
 * with whatever walls the target promises (see DESIGN.md, "Targets"). The tender drives it in
 * turns: `evaluate`, `boot`, then one `dispatch` per batch of events, and asks `busy` after each turn.
 *
 * A turn never throws: the guest ending itself through a hypercall is the tender's business, and
 * everything else that can end a guest (memory, CPU, an escaping exception) comes back as a
 * `TurnEnd` naming what happened.
 *
 * Turns of the in-process targets are synchronous (`SyncGuest`): the fast path. A target whose
 * guest runs elsewhere (the process target) answers with a promise instead, and the tender queues
 * events while such a turn is in flight; hypercalls still reach the tender's one validator.
 */

import type { TargetName } from "../../spec/limits.ts";
import type { BootInfo, GuestEvent, HypercallFn } from "../../../abi/index.ts";
import type { MemoryUse } from "../memory/guarded.ts";

export interface Declaration {
  readonly devices: Record<string, { kind: string; optional?: unknown; origin?: unknown }>;
  readonly assets: string | null;
  /** Set when the default export is a Workers-style module rather than a unikernel: its handlers. */
  readonly workers?: readonly string[];
}

export type { MemoryUse, TargetName };

export interface GuestOptions {
  readonly name: string;
  /** The image's bundled ES module. */
  readonly entry: string;
  readonly hypercall: HypercallFn;
  /** Heap limit in MiB. */
  readonly memoryMb: number;
  /** The longest one turn may run, in milliseconds. */
  readonly cpuMs: number;
  /** Whether to load the device drivers (the image declares devices). */
  readonly drivers?: boolean;
  /** Whether to load the web platform's globals (the image's `manifest.runtime` lists `web`). */
  readonly web?: boolean;
  /**
   * The image has udp devices: a target may defer their sends to the end of each turn and hand
   * them to `hypercall` then (the isolate target does; the others send at once).
   */
  readonly datagrams?: boolean;
  /**
   * The image has net devices: a target may defer their frames to the end of each turn and hand
   * each device's batch to `hypercall` as one `net.send` (the isolate and process targets do; the
   * unix target sends each frame at once).
   */
  readonly frames?: boolean;
  /**
   * The guest may run without the heap guard where it cannot be built on this host (its memory
   * then held by V8's heap limit alone): only for the build, which evaluates its author's own
   * code to read the declaration. A unikernel never may (ERR_MEMORY_GUARD_UNAVAILABLE).
   */
  readonly guardOptional?: boolean;
  /**
   * Called when the guest ends between turns, with no turn to report it (a process-target
   * unikernel whose process died or broke its channel's protocol while idle).
   */
  readonly ended?: (end: TurnEnd) => void;
}

/**
 * CPU time a guest has used, in milliseconds. Isolate target: the time V8 spent running in its
 * isolate (isolated-vm's `cpuTime`), and the wall time it was entered (`wallTime`). Process
 * target: user and system time of its sandboxed process tree since the guest was given it.
 */
export interface CpuTime {
  readonly cpuMs: number;
  /** Wall time spent inside the guest, where the target measures it; else null. */
  readonly wallMs: number | null;
}

/** How a turn ended, when it did not simply return. */
export type TurnEnd =
  /**
   * `error` may carry the host's frames below the guest's (guest-stack.ts keeps only the guest's).
   * `rejection`: it is a promise's rejection nobody handled, not an exception thrown out of the
   * turn (the runtime's entry points catch those; isolated-vm reports such a rejection after the
   * turn's microtasks, as a copy: an error's name, message and stack, or a primitive).
   */
  | { readonly kind: "threw"; readonly error: unknown; readonly rejection?: true }
  | { readonly kind: "out-of-memory"; readonly detail: string }
  | { readonly kind: "cpu-limit" }
  | { readonly kind: "crashed"; readonly detail: string };

/** How a turn ended: at once (`TurnEnd | undefined`), or later for a guest in another process. */
export type Turn = TurnEnd | undefined | Promise<TurnEnd | undefined>;

export interface Guest {
  /** Runs the top level of the image's module. */
  evaluate(): Turn;
  /** The device declaration of the evaluated module's default export (the build reads it); throws if it is not a unikernel. */
  declaration(): Declaration;
  /** Calls the runtime's `boot` with the evaluated module's default export: `start` is entered. */
  boot(info: BootInfo): Turn;
  /** Delivers a batch of events; `now` is the tender's monotonic clock as the turn begins (the guest's loop time). */
  dispatch(events: readonly GuestEvent[], now: number): Turn;
  /** Whether the guest still waits for something (timers, devices), as of the end of its last turn. */
  busy(): boolean;
  /** V8's heap in use and the limit, in bytes; undefined where the target cannot tell. */
  heap(): { used: number; limit: number } | undefined;
  /** All of its memory as the limit counts it; undefined where the target cannot tell (unix) or the guest is gone. */
  memory?(): MemoryUse | undefined;
  /** CPU time the guest has used so far; undefined where the target cannot tell (or the guest is gone). */
  cpuTime?(): CpuTime | undefined;
  /** Frees everything the guest holds. Idempotent. */
  dispose(): void;
}

/** A guest whose turns run on the tender's thread and end before they return. */
export interface SyncGuest extends Guest {
  evaluate(): TurnEnd | undefined;
  boot(info: BootInfo): TurnEnd | undefined;
  dispatch(events: readonly GuestEvent[], now: number): TurnEnd | undefined;
}

export interface Target {
  readonly name: TargetName;
  /** What stands between this target's guests and the host, for `tsuki doctor` and the docs. */
  readonly walls: readonly string[];
  /**
   * Creates a guest with the runtime installed; throws (or rejects with) a `TsukiError` if the
   * entry does not compile or the target's walls cannot be built.
   */
  create(options: GuestOptions): Guest | Promise<Guest>;
}

/** A target whose guests run in the tender's own thread (isolate, unix). */
export interface SyncTarget extends Target {
  create(options: GuestOptions): SyncGuest;
}
