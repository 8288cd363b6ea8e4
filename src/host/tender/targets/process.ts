/**
 * @module host/tender/targets/process
 * The hardened target: each unikernel's isolate in its own OS process behind the walls of
 * src/host/sandbox (namespaces, a read-only root of a few files, an unprivileged user, rlimits,
 * seccomp, Node's permission model), holding nothing but the isolate and a channel to the tender.
 *
 * The tender stays the one validator: a guest's hypercall crosses the channel as a `call` frame,
 * goes through the same `makeHypercall` as on the isolate target, and its answer crosses back;
 * console writes come gathered in `console` frames (process-child.ts), each run of which goes
 * through the same validator as a `console.write`, with no answer.
 * Turns are asynchronous here: `evaluate`, `boot` and `dispatch` return promises, and the tender's
 * event loop runs on while a child works. Everything the child sends is checked; a child that
 * breaks the protocol, floods the channel, dies or does not answer within its CPU budget plus a
 * second is killed, and its unikernel ends with the reason.
 */

import type { BootInfo, GuestEvent, HypercallFn } from "../../../abi/index.ts";
import { encodeEventBatch } from "../../../abi/index.ts";
import { TsukiError } from "../../common/errors.ts";
import { type LaunchOptions, FD_LIMIT, PROCESS_LIMIT, dataLimit } from "../../sandbox/bwrap.ts";
import { type Sandbox, checkSandbox } from "../../sandbox/walls.ts";
import { heapGuardBuild } from "../memory/guard-addon.ts";
import { processTreeCpuMs } from "./process-cpu.ts";
import { childScript } from "./process-script.ts";
import { SparePool } from "./process-pool.ts";
import { type Sandboxed, describe } from "./process-sandboxed.ts";
import type { CpuTime, Declaration, Guest, GuestOptions, MemoryUse, Target, TurnEnd } from "./target.ts";

/** How much longer than its CPU budget a turn may take before the tender calls the process hung. */
export const HANG_GRACE_MS = 1000;
/** How long creating the guest (compiling the runtime and the image) may take. */
const CREATE_TIMEOUT_MS = 10_000;
const END_KINDS = new Set(["threw", "out-of-memory", "cpu-limit", "crashed"]);
/** A child's death by memory: V8's fatal OOM (isolated-vm prints `is_heap_oom`), or a C++ allocation failing under RLIMIT_DATA. */
const OUT_OF_MEMORY = /out of memory|allocation failed|Failed to reserve|is_heap_oom|std::bad_alloc/i;

let sandbox: Promise<Sandbox> | undefined;

/** The sandbox of this host, checked once; rejects with ERR_SANDBOX_UNAVAILABLE naming every missing wall. */
export function processSandbox(): Promise<Sandbox> {
  sandbox ??= childScript().then((script) => {
    const check = checkSandbox(script, heapGuardBuild());
    if (check.sandbox === undefined) {
      const problems = check.problems.map((message) => ({ code: "ERR_SANDBOX_UNAVAILABLE", message: `the process target cannot build its walls: ${message}` }));
      throw new TsukiError("SANDBOX_UNAVAILABLE", problems[0]!.message, [], problems);
    }
    return check.sandbox;
  });
  return sandbox;
}

/** How a process is launched; `testing` (tests only) adds the escape entry and may drop Node's permission model. */
export interface TestingOptions {
  readonly escapes: true;
  readonly permission: boolean;
}

export function launchOptions(memoryMb: number, testing?: TestingOptions): LaunchOptions {
  const limits = { dataBytes: dataLimit(memoryMb), nofile: FD_LIMIT, nproc: PROCESS_LIMIT };
  return testing === undefined ? { limits } : { limits, permission: testing.permission, extra: ["--test-escape"] };
}

const pools = new Map<string, SparePool>();

async function pool(memoryMb: number, testing?: TestingOptions): Promise<SparePool> {
  const box = await processSandbox();
  const key = `${memoryMb}${testing === undefined ? "" : `:escapes:${testing.permission}`}`;
  let found = pools.get(key);
  if (found === undefined) pools.set(key, (found = new SparePool(box, launchOptions(memoryMb, testing))));
  return found;
}

/** Starts the spare processes for a heap limit ahead of the first boot (the tender's default: 128 MiB); resolves once they are up. */
export async function warmProcessTarget(memoryMb = 128): Promise<void> {
  await (await pool(memoryMb)).ready();
}

/** Ends every spare process (tests; a tender that shuts down). */
export function drainProcessTarget(): void {
  for (const p of pools.values()) p.drain();
}

type Waiting = { readonly expect: string; readonly resolve: (message: Record<string, unknown>) => void; readonly timer: NodeJS.Timeout };

export class ProcessGuest implements Guest {
  #child: Sandboxed;
  #hypercall: HypercallFn;
  #cpuMs: number;
  #ended: ((end: TurnEnd) => void) | undefined;
  #waiting: Waiting | undefined;
  #busy = true;
  #heap: { used: number; limit: number } | undefined;
  #memory: MemoryUse | undefined;
  /** How the process died or was killed, once it has. */
  #death: TurnEnd | undefined;
  /** CPU the process had used before it was given this guest (a spare's start), in ms. */
  #cpuBase: number;
  /** The last CPU time read, kept once the process is gone. */
  #lastCpu: CpuTime | undefined;

  constructor(child: Sandboxed, options: GuestOptions) {
    this.#child = child;
    this.#cpuBase = child.pid === undefined ? 0 : (processTreeCpuMs(child.pid) ?? 0);
    this.#hypercall = options.hypercall;
    this.#cpuMs = options.cpuMs;
    this.#ended = options.ended;
    child.attach(
      (message) => this.#message(message),
      (why) => this.#died(why),
    );
  }

  async create(options: GuestOptions): Promise<void> {
    const reply = await this.#request({ t: "create", name: options.name, entry: options.entry, memoryMb: options.memoryMb, cpuMs: options.cpuMs, drivers: options.drivers ?? false, web: options.web ?? false, frames: options.frames ?? false }, "created", CREATE_TIMEOUT_MS);
    if (reply.t === "error") {
      const message = typeof reply.message === "string" ? reply.message.slice(0, 2000) : "the guest could not be created";
      throw reply.code === "ERR_IMAGE_MALFORMED" ? new TsukiError("IMAGE_MALFORMED", message) : new Error(message);
    }
    if (reply.t !== "created") throw new Error(`the unikernel's process could not create its guest: ${this.#reason()}`);
  }

  evaluate() {
    return this.#turn({ t: "evaluate" });
  }

  declaration(): Declaration {
    throw new Error("the process target does not read declarations; the build uses the isolate target");
  }

  boot(info: BootInfo) {
    return this.#turn({ t: "boot", info });
  }

  dispatch(events: readonly GuestEvent[], now: number) {
    const batch = encodeEventBatch(events);
    return this.#turn({ t: "dispatch", json: batch.json, bytes: batch.bytes, now });
  }

  busy(): boolean {
    return this.#death === undefined && this.#busy;
  }

  heap() {
    return this.#death === undefined ? this.#heap : undefined;
  }

  /** As the child's heap guard counted it at the end of the last turn (the child's word: a figure, never a decision). */
  memory(): MemoryUse | undefined {
    return this.#death === undefined ? this.#memory : undefined;
  }

  /** Read by the tender from /proc (the child's own word is not trusted); no wall time. */
  cpuTime(): CpuTime | undefined {
    if (this.#death !== undefined || this.#child.pid === undefined) return this.#lastCpu;
    const ms = processTreeCpuMs(this.#child.pid);
    if (ms !== undefined) this.#lastCpu = { cpuMs: Math.max(0, ms - this.#cpuBase), wallMs: null };
    return this.#lastCpu;
  }

  /** Tests only (the child refuses it unless started with --test-escape): runs `code` in the child's own realm. */
  async escape(code: string, timeoutMs = 10_000): Promise<unknown> {
    const reply = await this.#request({ t: "escape", code }, "escaped", timeoutMs);
    return reply.t === "escaped" ? reply.result : { died: this.#reason() };
  }

  /** The process's pid on the host (its bubblewrap's), for tests. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  dispose(): void {
    this.cpuTime();
    this.#death ??= { kind: "crashed", detail: "disposed" };
    this.#ended = undefined;
    this.#child.kill("disposed");
  }

  async #turn(message: Record<string, unknown>): Promise<TurnEnd | undefined> {
    const reply = await this.#request(message, "end", this.#cpuMs + HANG_GRACE_MS);
    if (reply.t !== "end") return this.#death;
    const end = reply.end;
    if (typeof reply.busy !== "boolean" || !validHeap(reply.heap) || !validMemory(reply.memory) || !validEnd(end)) {
      this.#child.kill(`ended a turn with a malformed frame`);
      return this.#death;
    }
    this.#busy = reply.busy;
    this.#heap = reply.heap ?? undefined;
    this.#memory = reply.memory ?? undefined;
    if (end === null) return undefined;
    if (end.kind === "threw") return end.rejection === true ? { kind: "threw", error: errorFrom(end.error), rejection: true } : { kind: "threw", error: errorFrom(end.error) };
    if (end.kind === "cpu-limit") return { kind: "cpu-limit" };
    return { kind: end.kind, detail: String(end.detail).slice(0, 1000) } as TurnEnd;
  }

  /** Requests go one at a time (a test's escape frame may meet a turn). */
  #previous: Promise<unknown> = Promise.resolve();

  /** Sends a frame and waits for the answer `expect` (or "error"), the process's death, or the time limit. */
  #request(message: Record<string, unknown>, expect: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const next = this.#previous.then(() => this.#exchange(message, expect, timeoutMs));
    this.#previous = next;
    return next;
  }

  #exchange(message: Record<string, unknown>, expect: string, timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.#death !== undefined) return Promise.resolve({ t: "dead" });
    const exchanged = new Promise<Record<string, unknown>>((resolve) => {
      const timer = setTimeout(() => {
        const hung = message.t === "create" ? `did not create its guest within ${timeoutMs} ms` : `did not answer a turn within ${timeoutMs} ms`;
        this.#death ??= message.t === "create" ? { kind: "crashed", detail: `the unikernel's process ${hung}` } : { kind: "cpu-limit" };
        this.#child.kill(hung);
      }, timeoutMs);
      this.#waiting = { expect, resolve, timer };
      this.#child.hold();
      this.#child.send(message);
    });
    return exchanged;
  }

  #settle(message: Record<string, unknown>): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.#waiting = undefined;
    clearTimeout(waiting.timer);
    this.#child.release();
    waiting.resolve(message);
  }

  #message(message: Record<string, unknown>): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return this.#child.kill(`sent ${describe(message)} outside a turn`);
    // Guest code runs (and may call) while the runtime is installed and during turns.
    if (message.t === "call") {
      if (!Array.isArray(message.args)) return this.#child.kill("sent a hypercall whose arguments are not an array");
      let result: unknown;
      try {
        result = this.#hypercall(message.call as string, ...(message.args as unknown[]));
      } catch (error) {
        return this.#child.kill(`made a hypercall the tender failed on: ${String((error as Error)?.message ?? error)}`);
      }
      return this.#child.send({ t: "answer", result });
    }
    if (message.t === "console") return this.#console(message.runs);
    if (message.t === waiting.expect || (message.t === "error" && waiting.expect === "created")) return this.#settle(message);
    this.#child.kill(`sent ${describe(message)} while the tender waited for "${waiting.expect}"`);
  }

  /** A `console` frame: `[stream, bytes, …]`, each run a `console.write` the validator checks (and counts, if it refuses it). */
  #console(runs: unknown): void {
    if (!Array.isArray(runs) || runs.length % 2 !== 0) return this.#child.kill("sent a console frame that is not [stream, bytes, …] runs");
    for (let i = 0; i < runs.length; i += 2) this.#hypercall("console.write", runs[i], runs[i + 1]);
  }

  #died(why: string): void {
    this.#death ??= OUT_OF_MEMORY.test(why) ? { kind: "out-of-memory", detail: why } : { kind: "crashed", detail: `the unikernel's process ${why.replace(/^its process /, "")}` };
    const waited = this.#waiting?.expect;
    if (waited !== undefined) this.#settle({ t: "dead" });
    // A turn or a creation reports the death itself; otherwise the tender hears of it here.
    if (waited === "end" || waited === "created") return;
    const ended = this.#ended;
    this.#ended = undefined;
    ended?.(this.#death);
  }

  #reason(): string {
    return this.#death !== undefined && "detail" in this.#death ? this.#death.detail : "no reason given";
  }
}

function validHeap(heap: unknown): heap is { used: number; limit: number } | null {
  if (heap === null) return true;
  const h = heap as { used?: unknown; limit?: unknown };
  return typeof heap === "object" && Number.isFinite(h.used) && Number.isFinite(h.limit);
}

function validMemory(memory: unknown): memory is MemoryUse | null {
  if (memory === null) return true;
  const m = memory as Record<string, unknown>;
  return typeof memory === "object" && ["heap", "external", "reserved", "used", "limit"].every((k) => Number.isFinite(m[k]));
}

type EndFrame = null | { kind: "threw"; error: unknown; rejection?: unknown } | { kind: "out-of-memory" | "crashed" | "cpu-limit"; detail?: unknown };

function validEnd(end: unknown): end is EndFrame {
  if (end === null) return true;
  if (typeof end !== "object" || !END_KINDS.has((end as { kind?: unknown }).kind as string)) return false;
  const e = end as { kind: string; detail?: unknown; error?: unknown; rejection?: unknown };
  if (e.kind === "threw") return typeof e.error === "object" && e.error !== null && (e.rejection === undefined || e.rejection === true);
  return e.kind === "cpu-limit" || typeof e.detail === "string";
}

/** The guest's exception as the tender reports it: strings only, bounded; a primitive as the value it was, where that is plain. */
function errorFrom(error: unknown): unknown {
  const e = error as { name?: unknown; message?: unknown; stack?: unknown; text?: unknown; primitive?: unknown };
  const text = (value: unknown, max: number) => (typeof value === "string" ? value.slice(0, max) : undefined);
  if (typeof e.text === "string") {
    const t = e.text.slice(0, 4000);
    if (e.primitive === "number") return Number(t);
    if (e.primitive === "boolean") return t === "true";
    if (e.primitive === "undefined") return undefined;
    if (e.primitive === "object") return null;
    if (e.primitive === "bigint" && /^-?\d{1,4000}$/.test(t)) return BigInt(t);
    return t;
  }
  return { name: text(e.name, 200) ?? "Error", message: text(e.message, 2000) ?? "", stack: text(e.stack, 8000) };
}

/** The process target; `testing` makes one whose processes also take escape frames (tests only). */
export function createProcessTarget(testing?: TestingOptions): Target {
  return {
    name: "process",
    walls: PROCESS_WALLS,
    async create(options: GuestOptions): Promise<Guest> {
      const child = await (await pool(options.memoryMb, testing)).take();
      const guest = new ProcessGuest(child, options);
      try {
        await guest.create(options);
      } catch (error) {
        guest.dispose();
        throw error;
      } finally {
        child.release();
      }
      return guest;
    },
  };
}

const PROCESS_WALLS: readonly string[] = [
    "its own OS process per unikernel, holding only the isolate and a channel to the tender",
    "bubblewrap: new user, pid, mount, ipc, uts, cgroup and network namespaces; no network interface",
    "read-only root with only node, the isolated-vm addon, the child program, the seccomp shim and their libraries",
    "Node's permission model (--permission, only --allow-addons)",
    "no inherited descriptor but stdio and the channel; rlimits: core 0, data, open files, processes; seccomp filter (libseccomp) denying exec, sockets, ptrace, mounts, modules, keyrings",
    "the isolate target's walls inside: memory limit (--mem) held by the heap guard, CPU watchdog per turn (--cpu-ms)",
];

export const processTarget: Target = createProcessTarget();
