/**
 * @module host/tender/targets/isolate
 * The default target: each guest in its own V8 isolate (isolated-vm) with its own heap and heap
 * limit, a CPU watchdog on every turn, and a global scope holding only ECMAScript's built-ins, the
 * guest runtime and one hypercall function. The hypercall crosses as an `ivm.Callback`, which
 * copies arguments and results; no `Reference`, `ExternalCopy` or other isolated-vm object is
 * ever placed where the guest can reach it.
 *
 * Turns run synchronously on the tender's thread (`applySync` with a timeout): a hypercall is
 * then a direct call (about 1 µs) instead of a thread hop (about 60 µs), and the guest's
 * microtasks run before the turn returns.
 *
 * Datagrams (`GuestOptions.datagrams`): the guest runtime defers udp sends to the end of the
 * turn, and the target takes them all in one crossing after it, then hands each to the hypercall
 * function as a `datagram.send` of its own, so the one validator checks and counts every one. A
 * crossing per datagram (about 1.7 µs) becomes one per turn (a DNS server under load answers
 * tens of queries per turn). What the target takes is the guest's data: its shape is checked
 * here, and anything malformed still goes to the validator, which refuses it.
 *
 * Frames (`GuestOptions.frames`) go the same way, in the same crossing: the frames a net device
 * sent during the turn, packed into batches of up to `LIMITS.netFrames` frames, each handed to the
 * hypercall function as one `net.send`. A stack answering a burst sends thousands of frames in a
 * turn; they cross once.
 *
 * Memory: --mem holds all of the guest's memory through the heap guard loaded into the isolate
 * (memory/guarded.ts, guard.cc). It stops the guest inside a turn when V8 nears its limit or a GC
 * finds it over, checks again as each turn ends, and sets a shared word the tender reads after
 * the turn: the turn then ends `out-of-memory` whatever V8 threw.
 */

import ivm from "isolated-vm";
import { isUint8Array } from "node:util/types";
import { setFlagsFromString } from "node:v8";
import { type BootInfo, type GuestEvent, type HypercallFn, encodeEventBatch } from "../../../abi/index.ts";
import { TsukiError } from "../../common/errors.ts";
import { GuardedMemory } from "../memory/guarded.ts";
import { driversScript, runtimeScript, webScript } from "../guest/runtime-script.ts";
import { warmCodeCache } from "./warm-cache.ts";
import type { CpuTime, Declaration, GuestOptions, MemoryUse, SyncGuest, SyncTarget, TurnEnd } from "./target.ts";

/**
 * No Sparkplug: V8's baseline compiler takes a fresh code-space page in every isolate whose code
 * runs a loop even briefly (~30 KiB of RSS per idle unikernel, a fifth of what tsuki adds to a
 * bare isolate). Start-up code runs once, so interpreting it costs nothing that matters, and hot
 * code still reaches Maglev and TurboFan. The flag is process-wide; the tender's own code loses
 * only its baseline tier. Measured with `npm run bench:boot`.
 */
setFlagsFromString("--no-sparkplug");

/**
 * Young-generation GC on the thread that runs the turn: no parallel scavenge, no concurrent sweep
 * of the ArrayBuffers a scavenge freed. A guest's and the tender's young generations are small and
 * are collected thousands of times a second under load; each collection handed to V8's worker
 * threads cost more in wake-ups and hand-offs (a 2-core host: the workers take the core the
 * clients and other tenders need) than it saved. Hello over HTTP under wrk: 34.3k → 36.2k req/s
 * mean of 4 alternating rounds, the workers' wake-ups from ~6,000/s to ~50/s (`npm run
 * bench:http`). The old generation keeps its concurrent marking and parallel compaction. Limits
 * hold as before: the heap guard's callbacks run on the same GCs, and an ArrayBuffer a scavenge
 * frees leaves the external count as the scavenge ends, not when a background sweep gets to it.
 */
setFlagsFromString("--no-parallel-scavenge");
setFlagsFromString("--no-concurrent-array-buffer-sweeping");
GuardedMemory.setFlags();

/**
 * Code caches of the runtime's scripts, made once per process: compiling from one is ~3× faster.
 * The web script's is warmed (warm-cache.ts): a web unikernel's boot, making a Response and a URL,
 * went from 7.2 to 4.7 ms p50 with it (measured interleaved, hello 2.8 ms).
 */
const codeCaches = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();

function compile(isolate: ivm.Isolate, filename: string, source: string): ivm.Script {
  let cache = codeCaches.get(filename);
  if (cache === undefined && filename === "tsuki:web") {
    cache = warmCodeCache(runtimeScript(), filename, source);
    if (cache !== undefined) codeCaches.set(filename, cache);
  }
  if (cache !== undefined) return isolate.compileScriptSync(source, { filename, cachedData: cache });
  const script = isolate.compileScriptSync(source, { filename, produceCachedData: true }) as ivm.Script & ivm.CachedDataResult;
  if (script.cachedData) codeCaches.set(filename, script.cachedData);
  return script;
}

export class IsolateGuest implements SyncGuest {
  /**
   * After a fatal V8 error (an out-of-memory the heap guard could not turn into a termination),
   * isolated-vm either parks the thread for good and reports it (the default: a tender thread
   * must not take its other unikernels down) or, without a handler, aborts the process: what the
   * process target's child wants, since the tender reports its death with the reason.
   */
  static abortOnCatastrophe = false;

  #isolate: ivm.Isolate;
  #context: ivm.Context;
  #module: ivm.Module;
  /** The runtime's entry points. `boot` and `declaration` are used once and released (handles cost memory). */
  #entry: { boot?: ivm.Reference; dispatch: ivm.Reference; busy: ivm.Reference; declaration?: ivm.Reference; sends?: ivm.Reference };
  #cpuMs: number;
  #hypercall: HypercallFn;
  #catastrophe: string | undefined;
  /** The heap guard in the isolate: all of its memory against --mem (memory/guarded.ts). */
  #memory: GuardedMemory;
  #ended: ((end: TurnEnd) => void) | undefined;

  constructor(options: GuestOptions) {
    this.#cpuMs = options.cpuMs;
    this.#hypercall = options.hypercall;
    this.#ended = options.ended;
    this.#isolate = new ivm.Isolate({
      memoryLimit: options.memoryMb,
      ...(IsolateGuest.abortOnCatastrophe
        ? {}
        : {
            onCatastrophicError: (message: string) => {
              this.#catastrophe = message;
            },
          }),
    });
    try {
      this.#context = this.#isolate.createContextSync();
      this.#memory = new GuardedMemory(this.#context, options.memoryMb, options.guardOptional === true);
      const global = this.#context.global;
      global.setSync("__tsukiHypercall", new ivm.Callback(options.hypercall, { sync: true }));
      // The runtime's own tables (pending timers) are bounded by the heap limit (timers.ts).
      global.setSync("__tsukiMemoryMb", options.memoryMb);
      const setup = { timeout: Math.max(options.cpuMs, 1000) };
      compile(this.#isolate, "tsuki:runtime", runtimeScript()).runSync(this.#context, setup);
      if (options.web) compile(this.#isolate, "tsuki:web", webScript()).runSync(this.#context, setup);
      if (options.drivers) compile(this.#isolate, "tsuki:drivers", driversScript()).runSync(this.#context, setup);
      const entry = global.getSync("__tsukiEntry", { reference: true }) as ivm.Reference;
      global.deleteSync("__tsukiEntry");
      this.#entry = {
        boot: entry.getSync("boot", { reference: true }) as ivm.Reference,
        dispatch: entry.getSync("dispatchBatch", { reference: true }) as ivm.Reference,
        busy: entry.getSync("busy", { reference: true }) as ivm.Reference,
        declaration: entry.getSync("declaration", { reference: true }) as ivm.Reference,
      };
      if (options.drivers && (options.datagrams || options.frames)) {
        (entry.getSync("deferSends", { reference: true }) as ivm.Reference).applySync(undefined, [options.datagrams === true, options.frames === true], setup);
        this.#entry.sends = entry.getSync("takeSends", { reference: true }) as ivm.Reference;
      }
      entry.release();
      try {
        this.#module = this.#isolate.compileModuleSync(options.entry, { filename: `tsuki:image/${options.name}/main.js` });
      } catch (error) {
        throw new TsukiError("IMAGE_MALFORMED", `the image's main.js does not compile: ${(error as Error).message}`);
      }
      this.#module.instantiateSync(this.#context, (specifier) => {
        throw new Error(`main.js imports "${specifier}", but an image's module must not import anything`);
      });
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  evaluate(): TurnEnd | undefined {
    return this.#turn(() => this.#module.evaluateSync({ timeout: this.#cpuMs }));
  }

  declaration(): Declaration {
    const declaration = this.#take("declaration");
    return declaration.applySync(undefined, [this.#main()], { result: { copy: true }, timeout: this.#cpuMs }) as Declaration;
  }

  boot(info: BootInfo): TurnEnd | undefined {
    const boot = this.#take("boot");
    const main = this.#main();
    this.#module.release();
    return this.#turn(() => boot.applySync(undefined, [new ivm.ExternalCopy(info).copyInto({ release: true }), main], { timeout: this.#cpuMs }), true);
  }

  /** Takes a one-time entry point, releasing the runtime's other one-time handle with it. */
  #take(name: "boot" | "declaration"): ivm.Reference {
    const ref = this.#entry[name];
    if (ref === undefined) throw new Error(`the guest's ${name} entry point was already used`);
    (name === "boot" ? this.#entry.declaration : this.#entry.boot)?.release();
    this.#entry.boot = this.#entry.declaration = undefined;
    return ref;
  }

  dispatch(events: readonly GuestEvent[], now: number): TurnEnd | undefined {
    const batch = encodeEventBatch(events);
    return this.dispatchBatch(batch.json, batch.bytes, now);
  }

  /** `dispatch` with the batch already encoded (the process target's child receives it so). */
  dispatchBatch(json: string, batchBytes: Uint8Array | undefined, now: number): TurnEnd | undefined {
    const bytes = batchBytes === undefined ? undefined : new ivm.ExternalCopy(batchBytes).copyInto({ release: true });
    return this.#turn(() => this.#entry.dispatch.applySync(undefined, [json, bytes, now], { timeout: this.#cpuMs }), true);
  }

  /** Enters the isolate after a turn: a limit reached here (isolated-vm checks it on every entry) ends the guest through `ended`, never as a throw. */
  busy(): boolean {
    if (this.#isolate.isDisposed) return false;
    let busy: boolean;
    try {
      busy = this.#entry.busy.applySync(undefined, [], { timeout: this.#cpuMs }) === true;
    } catch (error) {
      this.#ended?.(this.#endOf(error));
      return false;
    }
    if (!this.#memory.over()) return busy;
    this.#ended?.(this.#memory.end());
    return false;
  }

  /** V8's heap alone, against the unikernel's limit (--mem, which also counts what lies outside the heap). */
  heap() {
    const use = this.memory();
    return use === undefined ? undefined : { used: use.heap, limit: use.limit };
  }

  /** All of its memory as the limit counts it (heap, external, reserved); undefined once it is gone. */
  memory(): MemoryUse | undefined {
    if (this.#isolate.isDisposed) return undefined;
    return this.#memory.use();
  }

  cpuTime(): CpuTime | undefined {
    if (this.#isolate.isDisposed) return undefined;
    return { cpuMs: Number(this.#isolate.cpuTime) / 1e6, wallMs: Number(this.#isolate.wallTime) / 1e6 };
  }

  dispose(): void {
    if (!this.#isolate.isDisposed) this.#isolate.dispose();
  }

  #main(): ivm.Copy<unknown> | ivm.Reference | unknown {
    return this.#module.namespace.getSync("default", { reference: true })!.derefInto();
  }

  /** `entered`: the runtime's boot or dispatch, which catch what the guest throws, so that anything thrown out of them is a rejection nobody handled. */
  #turn(run: () => unknown, entered = false): TurnEnd | undefined {
    try {
      run();
      if (this.#entry.sends !== undefined) takeSends(this.#entry.sends, this.#hypercall, this.#cpuMs);
      return this.#memory.over() ? this.#memory.end() : undefined;
    } catch (error) {
      return this.#endOf(error, entered);
    }
  }

  /** What an error thrown out of the isolate means for the guest. */
  #endOf(error: unknown, entered = false): TurnEnd {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#catastrophe !== undefined) return { kind: "crashed", detail: this.#catastrophe };
    // The guard terminated the guest (V8 then throws no Error, only a termination).
    if (!this.#isolate.isDisposed && this.#memory.over()) return this.#memory.end();
    if (this.#isolate.isDisposed) {
      return /memory limit/i.test(message) ? { kind: "out-of-memory", detail: message } : { kind: "crashed", detail: message };
    }
    if (message === "Script execution timed out.") return { kind: "cpu-limit" };
    // The error carries the host's frames too; the tender shows only the guest's (guest-stack.ts).
    return entered ? { kind: "threw", error, rejection: true } : { kind: "threw", error };
  }
}

/** Takes the datagrams and frames the guest sent during the turn and hands them to the hypercall function. */
function takeSends(entry: ivm.Reference, hypercall: HypercallFn, timeout: number): void {
  const taken = entry.applySync(undefined, [], { result: { copy: true }, timeout }) as unknown;
  if (taken !== undefined) sendTaken(taken, hypercall);
}

/**
 * What the guest runtime took after a turn (`[datagrams, frames]`, either undefined) becomes
 * hypercalls. A shape the guest got wrong becomes one call the validator refuses and counts.
 */
export function sendTaken(taken: unknown, hypercall: HypercallFn): void {
  if (!Array.isArray(taken) || taken.length !== 2) {
    hypercall("datagram.send");
    return;
  }
  const [datagrams, frames] = taken as unknown[];
  if (datagrams !== undefined) sendTakenDatagrams(datagrams, hypercall);
  if (frames !== undefined) sendTakenFrames(frames, hypercall);
}

/** Each `[handle, packed]` pair the guest runtime took becomes one `net.send`; the validator checks every one. */
export function sendTakenFrames(frames: unknown, hypercall: HypercallFn): void {
  if (!Array.isArray(frames) || frames.length === 0 || frames.length % 2 !== 0) {
    hypercall("net.send");
    return;
  }
  for (let i = 0; i < frames.length; i += 2) hypercall("net.send", frames[i], frames[i + 1]);
}

/**
 * Makes each datagram the guest runtime took (`[json, bytes]`: `[handle, address, port, length,
 * …]` and the datagrams back to back) a `datagram.send`. The shape is the guest's to get wrong: a
 * malformed batch becomes one call with no arguments, and a datagram whose length does not fit
 * a call without bytes, so that the validator refuses (and counts) them.
 */
export function sendTakenDatagrams(taken: unknown, hypercall: HypercallFn): void {
  const pair = Array.isArray(taken) && taken.length === 2 ? (taken as unknown[]) : [];
  const bytes = pair[1];
  let meta: unknown;
  if (typeof pair[0] === "string") {
    try {
      meta = JSON.parse(pair[0]);
    } catch {}
  }
  if (!Array.isArray(meta) || meta.length === 0 || meta.length % 4 !== 0 || !isUint8Array(bytes)) {
    hypercall("datagram.send");
    return;
  }
  for (let i = 0, at = 0; i < meta.length; i += 4) {
    const length = meta[i + 3] as unknown;
    const fits = Number.isInteger(length) && (length as number) >= 0 && at + (length as number) <= bytes.length;
    hypercall("datagram.send", meta[i], fits ? bytes.subarray(at, (at += length as number)) : undefined, meta[i + 1], meta[i + 2]);
  }
}

export const isolateTarget: SyncTarget = {
  name: "isolate",
  walls: [
    "V8 isolate: own heap, no host objects reachable (isolated-vm)",
    "memory limit per unikernel (--mem): V8 heap, ArrayBuffers, WebAssembly memories (their maxima), wasm code and Intl objects, held by the heap guard",
    "CPU watchdog per turn (--cpu-ms)",
    "global scope: ECMAScript built-ins, the guest runtime and one hypercall function",
  ],
  create: (options) => new IsolateGuest(options),
};
