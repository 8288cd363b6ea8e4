/**
 * @module host/tender/memory/guarded
 * The tender's side of one guest's heap guard (guard.cc): loads the guard into the guest's
 * isolate, sets its limit to --mem, leaves its functions in `__tsukiMemory` for the guest runtime
 * to take (src/guest/runtime/core/memory/limits.ts; the runtime deletes the name before any guest code runs)
 * and reads, between turns, what the guest uses and whether it reached the limit.
 *
 * The guard stops a guest the moment V8 nears its heap limit or a GC finds it over, and checks
 * again at the end of every turn (V8 lets one large object past its limit without a GC). Each
 * time it stops one it sets a word in a SharedArrayBuffer shared with the tender, so that the
 * tender learns it after each turn without entering the isolate (a call in costs ~3 µs).
 */

import ivm from "isolated-vm";
import { heapGuardBuild, heapGuardPath } from "./guard-addon.ts";
import { setMemoryFlags } from "./v8-flags.ts";

let guardModule: ivm.NativeModule | undefined;

const MIB = 2 ** 20;
const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;

export class GuardedMemory {
  /** Sets the process-wide V8 flags behind every guard (v8-flags.ts). */
  static setFlags(): void {
    setMemoryFlags();
  }

  /** The guard's state function; undefined for a guest allowed to run without the guard where it cannot be built. */
  #state: ivm.Reference | undefined;
  /** Word 0: set by the guard when it stops the guest. */
  #flag = new Int32Array(new SharedArrayBuffer(4));
  #last: MemoryUse | undefined;

  /** Throws ERR_MEMORY_GUARD_UNAVAILABLE when the guard cannot be built on this host, unless `optional`. */
  constructor(context: ivm.Context, memoryMb: number, optional = false) {
    if (guardModule === undefined && optional && "problem" in heapGuardBuild()) return;
    guardModule ??= new ivm.NativeModule(heapGuardPath());
    const exports = guardModule.createSync(context);
    try {
      const flag = new ivm.ExternalCopy(this.#flag.buffer).copyInto({ release: true });
      (exports.getSync("watch", { reference: true }) as ivm.Reference).applySync(undefined, [memoryMb * MIB, flag]);
      this.#state = exports.getSync("state", { reference: true }) as ivm.Reference;
      context.global.setSync("__tsukiMemory", exports.derefInto());
    } finally {
      exports.release();
    }
  }

  /** What the guest uses now, as the limit counts it; the last reading once the isolate is gone. */
  use(): MemoryUse | undefined {
    if (this.#state === undefined) return undefined;
    try {
      const [heap, external, reserved, limit] = this.#state.applySync(undefined, [], { result: { copy: true } }) as [number, number, number, number, boolean];
      this.#last = { heap, external, reserved, used: heap + external + reserved, limit };
    } catch {
      // The isolate is gone (isolated-vm disposed it at its own limit) or still unwinding a termination.
    }
    return this.#last;
  }

  /** Whether the guest reached its limit: the guard stopped it, or found it over after a turn and a full GC. */
  over(): boolean {
    if (Atomics.load(this.#flag, 0) === 0) return false;
    this.use();
    return true;
  }

  /** How a guest over its limit ends. */
  end(): OutOfMemory {
    const u = this.#last;
    const detail = u === undefined ? "over its memory limit" : `over its memory limit of ${mib(u.limit)}: heap ${mib(u.heap)}, external ${mib(u.external)}, reserved ${mib(u.reserved)}`;
    return { kind: "out-of-memory", detail };
  }
}

/** A unikernel's memory as its limit counts it, in bytes (README, "Memory"). */
export interface MemoryUse {
  /** V8's heap in use: objects, strings, compiled JavaScript, wasm tables. */
  readonly heap: number;
  /** What V8 counts outside its heap: ArrayBuffers, committed wasm memory, and what the guest runtime charged (wasm code, Intl objects). */
  readonly external: number;
  /** Reserved and not counted by V8: each wasm memory's uncommitted rest up to its maximum, resizable buffers' maxima. */
  readonly reserved: number;
  /** heap + external + reserved: what the limit holds. */
  readonly used: number;
  /** --mem. */
  readonly limit: number;
}

/** How a guest over its limit ends: a turn's end of this kind (targets/target.ts, TurnEnd). */
export interface OutOfMemory {
  readonly kind: "out-of-memory";
  readonly detail: string;
}
