/**
 * @module guest/web/events/event-target
 * `EventTarget` (DOM Standard §2.7–§2.9) without a node tree: an event is dispatched to its target
 * alone, capture listeners first, then the others (§2.9's "inner invoke" at the target).
 *
 * As the standard says: a listener is added once per (type, callback, capture); `once` removes it
 * before it runs; `passive` makes `preventDefault()` do nothing; `signal` removes it when aborted
 * (and an aborted signal adds nothing); listeners added during a dispatch wait for the next one,
 * removed ones are not called. A listener that throws does not stop the others: its exception is
 * reported (`reportError`, which ends the unikernel as an uncaught exception, as in Node and Deno).
 */

import { abort } from "../common/registry.ts";
import { reportError } from "../common/report.ts";
import { enumerable, requireArgs, toDOMString, toStringTag } from "../common/webidl.ts";
import { type Event, eventState } from "./event.ts";

type Callback = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };

interface Listener {
  readonly callback: Callback;
  readonly capture: boolean;
  readonly passive: boolean;
  readonly once: boolean;
  removed: boolean;
}

export interface AddEventListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: unknown;
}

const AT_TARGET = 2;

export class EventTarget {
  #listeners = new Map<string, Listener[]>();

  addEventListener(type: string, callback: Callback | null, options?: boolean | AddEventListenerOptions): void {
    requireArgs(arguments.length, 2, "EventTarget.addEventListener");
    const name = toDOMString(type);
    const { capture, passive, once, signal } = flatten(options);
    if (callback === null || callback === undefined) return;
    checkCallback(callback);
    if (signal?.aborted) return;
    let list = this.#listeners.get(name);
    if (list === undefined) this.#listeners.set(name, (list = []));
    if (list.some((l) => l.callback === callback && l.capture === capture)) return;
    const listener: Listener = { callback, capture, passive, once, removed: false };
    list.push(listener);
    if (signal !== undefined) abort().onAbort(signal as never, () => this.#remove(name, listener));
  }

  removeEventListener(type: string, callback: Callback | null, options?: boolean | { capture?: boolean }): void {
    requireArgs(arguments.length, 2, "EventTarget.removeEventListener");
    const name = toDOMString(type);
    const capture = typeof options === "object" && options !== null ? !!options.capture : !!options;
    if (callback === null || callback === undefined) return;
    checkCallback(callback);
    const listener = this.#listeners.get(name)?.find((l) => l.callback === callback && l.capture === capture);
    if (listener !== undefined) this.#remove(name, listener);
  }

  dispatchEvent(event: Event): boolean {
    requireArgs(arguments.length, 1, "EventTarget.dispatchEvent");
    const state = eventState(event);
    if (state.dispatching || !state.initialized) throw new DOMException("The event is already being dispatched or was not initialised", "InvalidStateError");
    state.dispatching = true;
    state.target = this;
    state.currentTarget = this;
    state.phase = AT_TARGET;
    try {
      this.#invoke(event, true);
      this.#invoke(event, false);
    } finally {
      state.phase = 0;
      state.currentTarget = null;
      state.dispatching = false;
      state.stopPropagation = false;
      state.stopImmediate = false;
    }
    return !state.canceled;
  }

  /** DOM §2.9 "invoke" and "inner invoke" for the listeners of one phase at the target. */
  #invoke(event: Event, capturing: boolean): void {
    const state = eventState(event);
    if (state.stopPropagation) return;
    const list = this.#listeners.get(state.type);
    if (list === undefined) return;
    for (const listener of list.slice()) {
      if (listener.removed || listener.capture !== capturing) continue;
      if (listener.once) this.#remove(state.type, listener);
      if (listener.passive) state.inPassiveListener = true;
      try {
        const callback = listener.callback;
        if (typeof callback === "function") callback.call(this, event);
        else {
          const handle = callback.handleEvent;
          if (typeof handle !== "function") throw new TypeError("the event listener's handleEvent is not a function");
          handle.call(callback, event);
        }
      } catch (error) {
        reportError(error);
      }
      state.inPassiveListener = false;
      if (state.stopImmediate) break;
    }
  }

  #remove(type: string, listener: Listener): void {
    listener.removed = true;
    const list = this.#listeners.get(type);
    if (list === undefined) return;
    const at = list.indexOf(listener);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.#listeners.delete(type);
  }
}

enumerable(EventTarget, ["addEventListener", "removeEventListener", "dispatchEvent"]);
toStringTag(EventTarget, "EventTarget");

function checkCallback(callback: unknown): void {
  if (typeof callback !== "function" && typeof callback !== "object") throw new TypeError("EventTarget: the listener must be a function or an object with handleEvent");
}

/** WebIDL conversion of the options: a boolean is `capture`; `signal` must be an AbortSignal. */
function flatten(options: unknown): { capture: boolean; passive: boolean; once: boolean; signal: { aborted: boolean } | undefined } {
  if (typeof options !== "object" || options === null) return { capture: !!options, passive: false, once: false, signal: undefined };
  const o = options as AddEventListenerOptions;
  const capture = !!o.capture;
  const once = !!o.once;
  const passive = !!o.passive;
  const signal = o.signal;
  if (signal !== undefined && !abort().isAbortSignal(signal)) throw new TypeError("EventTarget.addEventListener: options.signal is not an AbortSignal");
  return { capture, passive, once, signal: signal as { aborted: boolean } | undefined };
}
