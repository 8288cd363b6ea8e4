/**
 * @module guest/web/abort/abort-signal
 * `AbortSignal` and `AbortController` (DOM Standard §3.1–§3.2), with `AbortSignal.abort()`,
 * `timeout()` and `any()`. Aborting runs the signal's abort algorithms (what `EventTarget`,
 * streams and fetch attach), then fires `abort` at it, then does the same for its dependents
 * (signals made by `any()`), as §3.2's "signal abort" orders it.
 *
 * A signal made by `any()` is held by its sources only weakly (a `WeakRef`, pruned as the list
 * grows), as the standard intends: a long-lived signal combined with one per request does not keep
 * every request's signal alive. `timeout()` arms an ordinary timer, so unlike Node (whose timer
 * does not hold the event loop) a unikernel whose start() is done waits for it to fire.
 */

import { Event, EventTarget } from "../events/index.ts";
import { enumerable, requireArgs, toEnforcedULongLong, toStringTag } from "../common/webidl.ts";

let constructing = false;
let stateOf: (signal: AbortSignal) => SignalState;

interface SignalState {
  aborted: boolean;
  reason: unknown;
  algorithms: Set<() => void>;
  dependent: boolean;
  sources: Set<AbortSignal>;
  dependents: Set<WeakRef<AbortSignal>>;
  /** Dependents' count at the last pruning of dead WeakRefs. */
  pruned: number;
  handler: ((this: AbortSignal, event: Event) => unknown) | null;
  handlerListener: ((event: Event) => void) | null;
}

export class AbortSignal extends EventTarget {
  #state: SignalState = { aborted: false, reason: undefined, algorithms: new Set(), dependent: false, sources: new Set(), dependents: new Set(), pruned: 0, handler: null, handlerListener: null };

  static {
    stateOf = (signal) => {
      if (typeof signal !== "object" || signal === null || !(#state in signal)) throw new TypeError("Illegal invocation: not an AbortSignal");
      return signal.#state;
    };
  }

  constructor() {
    if (!constructing) throw new TypeError("Illegal constructor: make an AbortSignal with new AbortController(), AbortSignal.abort(), timeout() or any()");
    super();
    constructing = false;
  }

  static abort(reason?: unknown): AbortSignal {
    const signal = makeSignal();
    const state = stateOf(signal);
    state.aborted = true;
    state.reason = reason === undefined ? abortError() : reason;
    return signal;
  }

  static timeout(milliseconds: number): AbortSignal {
    requireArgs(arguments.length, 1, "AbortSignal.timeout");
    const ms = toEnforcedULongLong(milliseconds, "AbortSignal.timeout");
    const signal = makeSignal();
    setTimeout(() => signalAbort(signal, new DOMException("The operation was aborted due to timeout", "TimeoutError")), ms);
    return signal;
  }

  static any(signals: Iterable<AbortSignal>): AbortSignal {
    requireArgs(arguments.length, 1, "AbortSignal.any");
    const list = [...signals];
    for (const signal of list) stateOf(signal);
    const result = makeSignal();
    const state = stateOf(result);
    for (const signal of list) {
      const source = stateOf(signal);
      if (source.aborted) {
        state.aborted = true;
        state.reason = source.reason;
        return result;
      }
    }
    state.dependent = true;
    for (const signal of list) {
      const source = stateOf(signal);
      for (const root of source.dependent ? source.sources : [signal]) {
        if (state.sources.has(root)) continue;
        state.sources.add(root);
        addDependent(stateOf(root), result);
      }
    }
    return result;
  }

  get aborted(): boolean {
    return stateOf(this).aborted;
  }

  get reason(): unknown {
    return stateOf(this).reason;
  }

  throwIfAborted(): void {
    const state = stateOf(this);
    if (state.aborted) throw state.reason;
  }

  get onabort(): ((this: AbortSignal, event: Event) => unknown) | null {
    return stateOf(this).handler;
  }

  /** An event handler attribute (HTML §8.1.8.1): one listener, added when first set, calls whichever handler is current. */
  set onabort(handler: ((this: AbortSignal, event: Event) => unknown) | null) {
    const state = stateOf(this);
    state.handler = typeof handler === "function" || (typeof handler === "object" && handler !== null) ? handler : null;
    if (state.handler !== null && state.handlerListener === null) {
      state.handlerListener = (event) => {
        const current = state.handler;
        if (typeof current === "function") current.call(this, event);
      };
      this.addEventListener("abort", state.handlerListener);
    }
  }
}

enumerable(AbortSignal, ["aborted", "reason", "throwIfAborted", "onabort"]);
for (const name of ["abort", "timeout", "any"]) Object.defineProperty(AbortSignal, name, { ...Object.getOwnPropertyDescriptor(AbortSignal, name), enumerable: true });
toStringTag(AbortSignal, "AbortSignal");

function makeSignal(): AbortSignal {
  constructing = true;
  return new AbortSignal();
}

function abortError(): DOMException {
  return new DOMException("This operation was aborted", "AbortError");
}

function addDependent(source: SignalState, dependent: AbortSignal): void {
  source.dependents.add(new WeakRef(dependent));
  if (source.dependents.size >= 2 * source.pruned + 64) {
    for (const ref of source.dependents) if (ref.deref() === undefined) source.dependents.delete(ref);
    source.pruned = source.dependents.size;
  }
}

/** DOM §3.2 "signal abort": the reason is set on the signal and its dependents, then each runs its abort steps. */
export function signalAbort(signal: AbortSignal, reason: unknown): void {
  const state = stateOf(signal);
  if (state.aborted) return;
  state.aborted = true;
  state.reason = reason === undefined ? abortError() : reason;
  const dependents: AbortSignal[] = [];
  for (const ref of state.dependents) {
    const dependent = ref.deref();
    if (dependent === undefined) continue;
    const other = stateOf(dependent);
    if (other.aborted) continue;
    other.aborted = true;
    other.reason = state.reason;
    dependents.push(dependent);
  }
  state.dependents.clear();
  runAbortSteps(signal);
  for (const dependent of dependents) runAbortSteps(dependent);
}

function runAbortSteps(signal: AbortSignal): void {
  const state = stateOf(signal);
  const algorithms = [...state.algorithms];
  state.algorithms.clear();
  for (const algorithm of algorithms) algorithm();
  signal.dispatchEvent(new Event("abort"));
}

/** @internal Runs `algorithm` when `signal` aborts (not if it already has); returns what removes it. */
export function onAbort(signal: AbortSignal, algorithm: () => void): () => void {
  const state = stateOf(signal);
  if (state.aborted) return () => undefined;
  state.algorithms.add(algorithm);
  return () => void state.algorithms.delete(algorithm);
}

export function isAbortSignal(value: unknown): value is AbortSignal {
  try {
    stateOf(value as AbortSignal);
    return true;
  } catch {
    return false;
  }
}

export class AbortController {
  #signal = makeSignal();

  get signal(): AbortSignal {
    if (!(#signal in this)) throw new TypeError("Illegal invocation: not an AbortController");
    return this.#signal;
  }

  abort(reason?: unknown): void {
    signalAbort(this.signal, reason);
  }
}

enumerable(AbortController, ["signal", "abort"]);
toStringTag(AbortController, "AbortController");
