/**
 * @module host/tender/unikernel
 * One running unikernel, as the tender sees it: its guest on a target, its hypercall function, its
 * one host timer, its console, and how it ended. It drives the guest in turns (boot, then one
 * turn per batch of events) and after every turn decides whether the guest lives on.
 *
 * Every way a unikernel can end becomes one `ExitStatus` (code and one-line reason), delivered
 * through `exited`; the guest's resources are freed at once, and nothing else in the tender is
 * disturbed.
 *
 * On the in-process targets a turn ends before it returns. A guest in another process (the
 * process target) answers each turn with a promise: events that arrive meanwhile wait in the
 * queue and go out in the next turn, so the tender's event loop never waits for a guest.
 */

import { type BootInfo, ExitCode, type ExitStatus, type GuestEvent, type PeerAddress } from "../../abi/index.ts";
import type { Image } from "../image/image.ts";
import { stackMapper } from "../image/source-map.ts";
import { type ConsoleCounts, ConsoleLines, type ConsoleSink } from "./console.ts";
import type { ConsoleLimits } from "./console-limits.ts";
import { rejectionText, thrownText } from "./guest/guest-stack.ts";
import type { EventSink, EventSource } from "./devices/events.ts";
import { type OpenDevice, deviceAddresses, deviceInfo, deviceLinks } from "./devices/index.ts";
import { DeviceTable } from "./devices/table.ts";
import { makeHypercall } from "./hypercalls.ts";
import { TsukiError } from "../common/errors.ts";
import type { DeviceStats } from "./devices/stats.ts";
import type { Guest, Target, Turn, TurnEnd } from "./targets/index.ts";
import type { CpuTime, MemoryUse } from "./targets/target.ts";

const OUT_OF_ARRAY_BUFFERS = /^(?:uncaught|unhandled rejection:) RangeError: Array buffer allocation failed/;

export interface UnikernelOptions {
  /** What the operator calls it (console lines, the guest's `name`); the image's name by default. */
  readonly name?: string;
  readonly target: Target;
  readonly console: ConsoleSink;
  /** How many console lines it may write (console-limits.ts); the defaults when absent. */
  readonly consoleLimits?: ConsoleLimits;
  readonly args: Readonly<Record<string, unknown>>;
  readonly memoryMb: number;
  readonly cpuMs: number;
  /** Monotonic clock shared by the tender's unikernels, in ms. */
  readonly now: () => number;
  /** The host side of its bound devices, already open. */
  readonly devices?: readonly OpenDevice[];
}

export class Unikernel {
  readonly name: string;
  readonly image: Image;
  readonly target: string;
  readonly memoryMb: number;
  readonly cpuMs: number;
  /** Resolves once, when the unikernel has ended and its resources are freed. */
  readonly exited: Promise<ExitStatus>;
  /**
   * Resolves once `start` has been entered (or the unikernel has already ended); rejects with the
   * `TsukiError` that kept a guest of an asynchronous target from being created.
   */
  readonly started: Promise<void>;
  /** Hypercalls the host refused, by errno: a guest that keeps making them is visible here. */
  readonly rejectedCalls = new Map<string, number>();

  #guest: Guest | undefined;
  #console: ConsoleLines;
  #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #idleCheck: NodeJS.Immediate | undefined;
  #ending: ExitStatus | undefined;
  #status: ExitStatus | undefined;
  /** The guest's CPU time as it ended (the guest is gone after). */
  #finalCpu: CpuTime | undefined;
  #resolve!: (status: ExitStatus) => void;
  #devices: DeviceTable;
  /** Events and ready sources waiting for the next turn, in the order they came. */
  #pending: (GuestEvent | EventSource)[] = [];
  #turnScheduled: NodeJS.Immediate | undefined;
  /** A turn of an asynchronous guest is under way (or the guest is still being created). */
  #inTurn = false;
  /** When the turn under way began (monotonic ms), for host work that counts against it (crypto calls). */
  #turnStart: number | undefined;

  constructor(image: Image, options: UnikernelOptions) {
    this.name = options.name ?? image.manifest.name;
    this.image = image;
    this.target = options.target.name;
    this.memoryMb = options.memoryMb;
    this.cpuMs = options.cpuMs;
    this.exited = new Promise((resolve) => (this.#resolve = resolve));
    // Stacks name the developer's files where the image carries a source map (parsed on the first stack printed).
    this.#console = new ConsoleLines(this.name, options.console, {
      ...(options.consoleLimits === undefined ? {} : { limits: options.consoleLimits }),
      ...(image.sourceMap === undefined ? {} : { rewrite: stackMapper(image.sourceMap) }),
    });
    this.#now = options.now;
    const devices = options.devices ?? [];
    this.addresses = deviceAddresses(devices);
    this.links = deviceLinks(devices);
    const sink: EventSink = { post: (event) => this.#queue(event), ready: (source) => this.#queue(source) };
    // Events from the devices wait in the queue until the boot turn is over.
    this.#devices = new DeviceTable(devices, sink);

    const hypercall = makeHypercall({
      alive: () => this.#ending === undefined && this.#status === undefined,
      exit: (code) => this.#end({ kind: "exit", code, reason: `exit(${code}) called` }),
      abort: (reason) =>
        // V8 reports a failed ArrayBuffer allocation (external memory over the limit) as a RangeError.
        this.#end(OUT_OF_ARRAY_BUFFERS.test(reason) ? this.#outOfMemory() : { kind: "aborted", code: ExitCode.ABORTED, reason: `aborted: ${oneLine(reason)}` }),
      console: (stream, bytes) => this.#console.write(stream, bytes),
      monotonic: this.#now,
      armTimer: (deadline) => this.#arm(deadline),
      asset: (handle) => image.assets[handle],
      rejected: (call, errno) => this.rejectedCalls.set(errno, (this.rejectedCalls.get(errno) ?? 0) + 1),
      devices: this.#devices,
      turn: {
        elapsed: () => (this.#turnStart === undefined ? undefined : this.#now() - this.#turnStart),
        limitMs: options.cpuMs,
        overrun: () => this.#end(this.#exitFor({ kind: "cpu-limit" })),
      },
    });
    // Creation compiles the runtime and the image's module; a TsukiError here is a boot error for the caller.
    const created = options.target.create({
      name: this.name,
      entry: image.entry,
      hypercall,
      memoryMb: options.memoryMb,
      cpuMs: options.cpuMs,
      drivers: devices.length > 0,
      web: image.manifest.runtime?.includes("web") === true,
      datagrams: devices.some((d) => d.kind === "udp"),
      frames: devices.some((d) => d.kind === "net"),
      ended: (end) => this.#finish(this.#exitFor(end)),
    });

    const info: BootInfo = {
      abi: image.manifest.abi,
      name: this.name,
      args: options.args,
      devices: Object.fromEntries(devices.map((d) => [d.name, deviceInfo(d)])),
      assets: image.manifest.assets.map((a, handle) => ({ path: a.path, size: a.size, sha256: a.sha256, handle })),
    };
    if (!(created instanceof Promise)) {
      this.#guest = created;
      const booted = this.#bootTurns(info);
      this.started = booted === undefined ? Promise.resolve() : booted;
      return;
    }
    this.#inTurn = true;
    this.started = created.then(
      (guest) => {
        this.#inTurn = false;
        if (this.#status !== undefined) return guest.dispose();
        this.#guest = guest;
        return this.#bootTurns(info);
      },
      (error: unknown) => {
        const code = error instanceof TsukiError ? error.exitCode : ExitCode.INTERNAL;
        this.#finish({ kind: "boot-failed", code, reason: `boot failed: ${oneLine(error instanceof Error ? error.message : String(error))}` });
        throw error;
      },
    );
    this.started.catch(() => undefined);
  }

  /** The top level of the module, then `start`. */
  #bootTurns(info: BootInfo): Promise<void> | undefined {
    const evaluated = this.#turn(() => this.#guest!.evaluate());
    if (evaluated === false) return undefined;
    if (evaluated === true) {
      const booted = this.#turn(() => this.#guest!.boot(info));
      return booted instanceof Promise ? booted.then(() => undefined) : undefined;
    }
    return evaluated.then((alive) => (alive ? this.#turn(() => this.#guest!.boot(info)) : false)).then(() => undefined);
  }

  /** Where each listener and udp device is bound (the port the host chose for `:0`). */
  readonly addresses: Readonly<Record<string, PeerAddress>>;

  /** What each net device is attached to: its TAP, the MAC the guest uses, the link's MTU. */
  readonly links: Readonly<Record<string, { readonly tap: string; readonly mac: string; readonly mtu: number }>>;

  /** Open connections, for the operator. */
  get connections(): number {
    return this.#devices.connections;
  }

  /** How it ended, once it has. */
  get status(): ExitStatus | undefined {
    return this.#status;
  }

  /** Heap in use and its limit, in bytes, where the target can tell. */
  heap(): { used: number; limit: number } | undefined {
    return this.#guest?.heap();
  }

  /** All of its memory as the limit counts it (heap, external, reserved), where the target can tell. */
  memory(): MemoryUse | undefined {
    return this.#guest?.memory?.();
  }

  /**
   * CPU time it has used, in ms (see `CpuTime` for what each target counts); after it has ended,
   * the time as it ended. Undefined where the target cannot tell (the unix target).
   */
  cpuTime(): CpuTime | undefined {
    return this.#guest?.cpuTime?.() ?? this.#finalCpu;
  }

  /** What its console carried, and the lines the tender dropped or cut. */
  consoleCounts(): ConsoleCounts {
    return this.#console.counts();
  }

  /** The console limits it runs with. */
  get consoleLimits(): ConsoleLimits {
    return this.#console.limits;
  }

  /** What each bound device has carried (bytes, connections, datagrams, block I/O), by device name. */
  deviceStats(): Record<string, DeviceStats> {
    return this.#devices.stats();
  }

  /** Stops the unikernel from outside (a signal, the operator). */
  stop(reason = "stopped", code: number = ExitCode.SIGTERM): void {
    this.#finish({ kind: "stopped", code, reason });
  }

  /** Queues an event (or a source ready with events) for the next turn, which runs once I/O is read. */
  #queue(item: GuestEvent | EventSource): void {
    if (this.#status !== undefined) return;
    this.#pending.push(item);
    this.#turnScheduled ??= setImmediate(() => this.#deliver());
  }

  /** Delivers everything pending in one turn. */
  #deliver(): void {
    this.#turnScheduled = undefined;
    // An asynchronous turn under way: the events go out when it has ended.
    if (this.#inTurn || this.#guest === undefined) return;
    const events: GuestEvent[] = [];
    for (const item of this.#pending.splice(0)) {
      if ("drain" in item) item.drain(events);
      else events.push(item);
    }
    if (events.length > 0) void this.#turn(() => this.#guest!.dispatch(events, this.#now()));
  }

  /** Runs one turn; returns (or, for an asynchronous guest, resolves to) whether the unikernel lives on. */
  #turn(run: () => Turn): boolean | Promise<boolean> {
    if (this.#status !== undefined) return false;
    this.#turnStart = this.#now();
    const end = run();
    if (!(end instanceof Promise)) {
      this.#turnStart = undefined;
      return this.#afterTurn(end);
    }
    this.#inTurn = true;
    return end.then((settled) => {
      this.#inTurn = false;
      this.#turnStart = undefined;
      const alive = this.#afterTurn(settled);
      // Events that arrived during the turn.
      if (alive && this.#pending.length > 0) this.#turnScheduled ??= setImmediate(() => this.#deliver());
      return alive;
    });
  }

  #afterTurn(end: TurnEnd | undefined): boolean {
    if (this.#status !== undefined) return false;
    if (this.#ending !== undefined) this.#finish(this.#ending);
    else if (end !== undefined) this.#finish(this.#exitFor(end));
    else this.#idleCheck ??= setImmediate(() => this.#checkIdle());
    return this.#status === undefined;
  }

  /** The guest ended itself. Inside a turn, the turn finishes it; outside one (the unix target's promise jobs), the next check does. */
  #end(status: ExitStatus): void {
    this.#ending ??= status;
    this.#idleCheck ??= setImmediate(() => this.#checkIdle());
  }

  #checkIdle(): void {
    this.#idleCheck = undefined;
    if (this.#status !== undefined || this.#guest === undefined || this.#inTurn) return;
    if (this.#ending !== undefined) return this.#finish(this.#ending);
    if (!this.#devices.busy && this.#pending.length === 0 && !this.#guest.busy()) this.#finish({ kind: "returned", code: ExitCode.OK, reason: "returned: start() is done and nothing is left to wait for" });
  }

  #arm(deadline: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (deadline === Infinity) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#queue({ type: "timer" });
    }, Math.max(0, deadline - this.#now()));
  }

  #exitFor(end: TurnEnd): ExitStatus {
    switch (end.kind) {
      case "threw": {
        if (end.rejection) {
          const text = rejectionText(end.error);
          this.#console.write(2, new TextEncoder().encode(`${text.console}\n`));
          const what = `unhandled rejection: ${text.reason}`;
          return OUT_OF_ARRAY_BUFFERS.test(what) ? this.#outOfMemory() : { kind: "aborted", code: ExitCode.ABORTED, reason: `aborted: ${oneLine(what)}` };
        }
        const error = end.error as { name?: unknown; message?: unknown };
        this.#console.write(2, new TextEncoder().encode(`Uncaught ${thrownText(end.error)}\n`));
        const what = `uncaught ${typeof error?.message === "string" ? `${String(error.name ?? "Error")}: ${error.message}` : String(end.error)}`;
        return OUT_OF_ARRAY_BUFFERS.test(what) ? this.#outOfMemory() : { kind: "aborted", code: ExitCode.ABORTED, reason: `aborted: ${oneLine(what)}` };
      }
      case "out-of-memory":
        return this.#outOfMemory();
      case "cpu-limit":
        return { kind: "cpu-limit", code: ExitCode.CPU_LIMIT, reason: `CPU limit: ran longer than ${this.cpuMs} ms without yielding (--cpu-ms)` };
      case "crashed":
        return { kind: "crashed", code: ExitCode.INTERNAL, reason: `crashed: ${oneLine(end.detail)}` };
    }
  }

  #outOfMemory(): ExitStatus {
    return { kind: "out-of-memory", code: ExitCode.OUT_OF_MEMORY, reason: `out of memory: reached the limit of ${this.memoryMb} MiB (raise it with --mem)` };
  }

  #finish(status: ExitStatus): void {
    if (this.#status !== undefined) return;
    this.#status = status;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#idleCheck !== undefined) clearImmediate(this.#idleCheck);
    if (this.#turnScheduled !== undefined) clearImmediate(this.#turnScheduled);
    this.#pending = [];
    this.#devices.closeAll();
    this.#finalCpu = this.#guest?.cpuTime?.();
    this.#guest?.dispose();
    this.#guest = undefined;
    this.#console.flush();
    this.#resolve(status);
  }
}

function oneLine(text: string): string {
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
