/**
 * @module guest/web/events/event
 * `Event` and `CustomEvent` (DOM Standard §2.2, §2.4). There is no node tree in a unikernel, so an
 * event's path is its target alone: `composedPath()` is `[target]` while it is dispatched, and
 * `bubbles`/`composed` are kept but change nothing. `isTrusted` is always false (nothing but the
 * guest dispatches), an own unforgeable accessor as WebIDL's [LegacyUnforgeable] makes it.
 * `timeStamp` is `performance.now()` at creation.
 *
 * The flags an `EventTarget` needs while it dispatches are reached through `eventState`, not
 * through properties a guest could forge.
 */

import type { EventTarget } from "./event-target.ts";
import { defineConstants, enumerable, requireArgs, toDictionary, toDOMString, toStringTag } from "../common/webidl.ts";

/** What dispatch reads and writes on an event (DOM §2.2's flags). */
export interface EventState {
  type: string;
  target: EventTarget | null;
  currentTarget: EventTarget | null;
  phase: number;
  bubbles: boolean;
  cancelable: boolean;
  composed: boolean;
  stopPropagation: boolean;
  stopImmediate: boolean;
  canceled: boolean;
  inPassiveListener: boolean;
  dispatching: boolean;
  initialized: boolean;
  timeStamp: number;
}

let stateOf: (event: Event) => EventState;

const isTrustedGetter = function isTrusted(this: unknown): boolean {
  stateOf(this as Event);
  return false;
};

export class Event {
  #state: EventState;

  static {
    stateOf = (event) => {
      if (!(#state in (event as object))) throw new TypeError("Illegal invocation: not an Event");
      return event.#state;
    };
  }

  constructor(type: string, eventInitDict?: { bubbles?: boolean; cancelable?: boolean; composed?: boolean }) {
    requireArgs(arguments.length, 1, "Event");
    const init = toDictionary(eventInitDict, "Event");
    this.#state = {
      type: toDOMString(type),
      target: null,
      currentTarget: null,
      phase: 0,
      bubbles: !!init.bubbles,
      cancelable: !!init.cancelable,
      composed: !!init.composed,
      stopPropagation: false,
      stopImmediate: false,
      canceled: false,
      inPassiveListener: false,
      dispatching: false,
      initialized: true,
      timeStamp: performance.now(),
    };
    Object.defineProperty(this, "isTrusted", { get: isTrustedGetter, enumerable: true, configurable: false });
  }

  get type(): string {
    return stateOf(this).type;
  }
  get target(): EventTarget | null {
    return stateOf(this).target;
  }
  get srcElement(): EventTarget | null {
    return stateOf(this).target;
  }
  get currentTarget(): EventTarget | null {
    return stateOf(this).currentTarget;
  }
  get eventPhase(): number {
    return stateOf(this).phase;
  }
  get bubbles(): boolean {
    return stateOf(this).bubbles;
  }
  get cancelable(): boolean {
    return stateOf(this).cancelable;
  }
  get composed(): boolean {
    return stateOf(this).composed;
  }
  get defaultPrevented(): boolean {
    return stateOf(this).canceled;
  }
  get timeStamp(): number {
    return stateOf(this).timeStamp;
  }
  get cancelBubble(): boolean {
    return stateOf(this).stopPropagation;
  }
  set cancelBubble(value: boolean) {
    if (value) stateOf(this).stopPropagation = true;
  }
  get returnValue(): boolean {
    return !stateOf(this).canceled;
  }
  set returnValue(value: boolean) {
    if (!value) cancel(stateOf(this));
  }

  composedPath(): EventTarget[] {
    const state = stateOf(this);
    return state.currentTarget === null ? [] : [state.currentTarget];
  }
  stopPropagation(): void {
    stateOf(this).stopPropagation = true;
  }
  stopImmediatePropagation(): void {
    const state = stateOf(this);
    state.stopPropagation = state.stopImmediate = true;
  }
  preventDefault(): void {
    cancel(stateOf(this));
  }
  initEvent(type: string, bubbles = false, cancelable = false): void {
    requireArgs(arguments.length, 1, "Event.initEvent");
    const state = stateOf(this);
    if (state.dispatching) return;
    Object.assign(state, { type: toDOMString(type), bubbles: !!bubbles, cancelable: !!cancelable, initialized: true, stopPropagation: false, stopImmediate: false, canceled: false, target: null });
  }
}

function cancel(state: EventState): void {
  if (state.cancelable && !state.inPassiveListener) state.canceled = true;
}

defineConstants(Event, { NONE: 0, CAPTURING_PHASE: 1, AT_TARGET: 2, BUBBLING_PHASE: 3 });
enumerable(Event, ["type", "target", "srcElement", "currentTarget", "eventPhase", "bubbles", "cancelable", "composed", "defaultPrevented", "timeStamp", "cancelBubble", "returnValue", "composedPath", "stopPropagation", "stopImmediatePropagation", "preventDefault", "initEvent"]);
toStringTag(Event, "Event");

/** @internal The dispatch flags of `event`; a TypeError if it is not an Event. */
export function eventState(event: unknown): EventState {
  return stateOf(event as Event);
}

export class CustomEvent<T = unknown> extends Event {
  #detail: T | null;

  constructor(type: string, eventInitDict?: { bubbles?: boolean; cancelable?: boolean; composed?: boolean; detail?: T }) {
    requireArgs(arguments.length, 1, "CustomEvent");
    super(type, eventInitDict);
    const detail = toDictionary(eventInitDict, "CustomEvent").detail;
    this.#detail = detail === undefined ? null : (detail as T);
  }

  get detail(): T | null {
    if (!(#detail in this)) throw new TypeError("Illegal invocation: not a CustomEvent");
    return this.#detail;
  }

  initCustomEvent(type: string, bubbles = false, cancelable = false, detail: T | null = null): void {
    requireArgs(arguments.length, 1, "CustomEvent.initCustomEvent");
    if (eventState(this).dispatching) return;
    this.initEvent(type, bubbles, cancelable);
    this.#detail = detail;
  }
}

enumerable(CustomEvent, ["detail", "initCustomEvent"]);
toStringTag(CustomEvent, "CustomEvent");
