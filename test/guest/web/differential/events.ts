/**
 * Events and abort: seeded listener sets (capture, once, passive, a signal, handleEvent objects,
 * listeners that stop propagation or prevent the default) dispatched twice, with the order of
 * calls and what dispatchEvent returns; AbortController, AbortSignal.abort() and any() over
 * random trees of signals, with reasons, event counts and throwIfAborted.
 */

import type { Recorder } from "./observe.ts";
import { Random } from "./random.ts";

export async function events(recorder: Recorder, seed: number, cases: number): Promise<void> {
  const random = new Random(seed);
  for (let c = 0; c < cases; c++) {
    const specs = Array.from({ length: 1 + random.int(5) }, (_, i) => ({
      i,
      capture: random.chance(0.3),
      once: random.chance(0.3),
      passive: random.chance(0.2),
      stop: random.pick(["", "", "stopImmediatePropagation", "stopPropagation", "preventDefault"]),
      object: random.chance(0.2),
      abortable: random.chance(0.2),
    }));
    const cancelable = random.chance(0.5);
    await recorder.record(`events/${c} ${JSON.stringify(specs)} cancelable ${cancelable}`, () => {
      const target = new EventTarget();
      const calls: string[] = [];
      const controller = new AbortController();
      for (const spec of specs) {
        const run = (event: Event) => {
          calls.push(`${spec.i}:${event.eventPhase}:${event.defaultPrevented}`);
          if (spec.stop !== "") (event as unknown as Record<string, () => void>)[spec.stop]!();
          if (spec.abortable) controller.abort();
        };
        const listener = spec.object ? { handleEvent: run } : run;
        target.addEventListener("x", listener, { capture: spec.capture, once: spec.once, passive: spec.passive, signal: spec.abortable ? controller.signal : undefined });
      }
      const results = [target.dispatchEvent(new Event("x", { cancelable })), target.dispatchEvent(new Event("x", { cancelable }))];
      return [calls, results];
    });
    const depth = random.int(3);
    const abortWhich = random.int(4);
    await recorder.record(`abort/${c} depth ${depth} abort ${abortWhich}`, () => {
      const controllers = [new AbortController(), new AbortController(), new AbortController()];
      let signal = AbortSignal.any(controllers.slice(0, 2).map((ctl) => ctl.signal));
      for (let d = 0; d < depth; d++) signal = AbortSignal.any([signal, controllers[2]!.signal]);
      let fired = 0;
      signal.addEventListener("abort", () => fired++);
      signal.onabort = () => fired++;
      if (abortWhich < 3) controllers[abortWhich]!.abort(abortWhich === 1 ? undefined : `reason ${abortWhich}`);
      let thrown: unknown = "nothing";
      try {
        signal.throwIfAborted();
      } catch (error) {
        thrown = error instanceof DOMException ? `DOMException:${error.name}` : error;
      }
      const reason = signal.reason instanceof DOMException ? `DOMException:${signal.reason.name}` : signal.reason;
      return [signal.aborted, reason ?? null, fired, thrown, AbortSignal.abort().reason.name];
    });
  }
}
