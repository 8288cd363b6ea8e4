/**
 * @module guest/runtime/core/timers
 * `setTimeout`, `setInterval`, their clears and `queueMicrotask`, driven by one host timer: the
 * runtime keeps every pending timer in a binary heap ordered by deadline and arms the host's
 * `timer.arm` for the earliest one, as Solo5's `yield(deadline)` does. When the host's `timer`
 * event arrives, every due timer runs in deadline order (ties in creation order).
 *
 * A callback that returns a promise (an `async` one) hands it to the timers, and nobody else can
 * reach it: if it rejects, the rejection is unhandled, and `rejected` reports it with the value.
 *
 * Pending timers are bounded (`limit`, by the memory limit: TIMERS_PER_MIB): past the bound
 * `setTimeout` and `setInterval` throw a RangeError saying so. Millions of timers would otherwise
 * grow the runtime's own tables into allocations V8 cannot make within the heap limit, which
 * isolated-vm treats as a catastrophe that stops the tender's thread for good.
 *
 * Delays follow the HTML rules that matter to programs: a missing, negative or NaN delay is 0,
 * and a delay over 2^31-1 ms is 1 (Node warns and does the same).
 */

const MAX_DELAY = 2 ** 31 - 1;
/** Pending timers a unikernel may have per MiB of its memory limit (a timer costs its heap about 120 bytes). */
export const TIMERS_PER_MIB = 1024;

/** A callback's result: if it is a promise, its rejection is reported (its `then` is read once, as `await` would). */
function settle(result: unknown, host: TimerHost): void {
  if ((typeof result !== "object" && typeof result !== "function") || result === null) return;
  const then = (result as { then?: unknown }).then;
  if (typeof then === "function") then.call(result, undefined, host.rejected);
}

interface Timer {
  id: number;
  deadline: number;
  seq: number;
  interval: number; // < 0 for one-shot timers
  callback: (...args: unknown[]) => void;
  args: unknown[];
}

export interface TimerHost {
  now(): number;
  arm(deadline: number): void;
  /** Reports an uncaught exception; ends the unikernel, so it throws to unwind the turn. */
  report(error: unknown): void;
  /** Reports the rejection of a promise a callback returned (never throws). */
  rejected(reason: unknown): void;
}

export class Timers {
  #heap: Timer[] = [];
  #byId = new Map<number, Timer>();
  #nextId = 1;
  #seq = 0;
  #armed = Infinity;
  #max = Infinity;
  #memoryMb = 0;
  #host: TimerHost;

  constructor(host: TimerHost) {
    this.#host = host;
  }

  get pending(): number {
    return this.#byId.size;
  }

  /** Bounds pending timers by the unikernel's memory limit. */
  limit(memoryMb: number): void {
    this.#memoryMb = memoryMb;
    this.#max = Math.max(1, Math.floor(memoryMb)) * TIMERS_PER_MIB;
  }

  setTimeout = (callback: unknown, delay?: unknown, ...args: unknown[]): number => this.#add(callback, delay, args, false);
  setInterval = (callback: unknown, delay?: unknown, ...args: unknown[]): number => this.#add(callback, delay, args, true);
  clearTimeout = (id?: unknown): void => this.#clear(id);
  clearInterval = (id?: unknown): void => this.#clear(id);

  queueMicrotask = (callback: unknown): void => {
    if (typeof callback !== "function") throw new TypeError("queueMicrotask: callback must be a function");
    const host = this.#host;
    Promise.resolve().then(() => {
      try {
        settle(callback(), host);
      } catch (error) {
        try {
          host.report(error);
        } catch {
          // report() ended the unikernel; nothing is left to unwind in a promise job.
        }
      }
    });
  };

  /** Runs every timer whose deadline has passed, then re-arms the host timer. */
  fire(): void {
    const now = this.#host.now();
    this.#armed = Infinity;
    for (let top = this.#heap[0]; top !== undefined && top.deadline <= now; top = this.#heap[0]) {
      this.#pop();
      if (top.interval >= 0) {
        top.deadline = Math.max(now, top.deadline + top.interval);
        top.seq = this.#seq++;
        this.#push(top);
      } else {
        this.#byId.delete(top.id);
      }
      try {
        settle(top.callback(...top.args), this.#host);
      } catch (error) {
        this.#host.report(error);
      }
    }
    this.#rearm();
  }

  #add(callback: unknown, delay: unknown, args: unknown[], repeat: boolean): number {
    if (typeof callback !== "function") {
      throw new TypeError(`${repeat ? "setInterval" : "setTimeout"}: callback must be a function, got ${typeof callback}`);
    }
    if (this.#byId.size >= this.#max) {
      throw new RangeError(`${repeat ? "setInterval" : "setTimeout"}: ${this.#max} timers are pending, the most a unikernel may have with --mem ${this.#memoryMb}M (${TIMERS_PER_MIB} per MiB): clear the timers it no longer needs, or raise --mem`);
    }
    let ms = Number(delay);
    if (!(ms >= 0)) ms = 0;
    if (ms > MAX_DELAY) ms = 1;
    const timer: Timer = {
      id: this.#nextId++,
      deadline: this.#host.now() + ms,
      seq: this.#seq++,
      interval: repeat ? Math.max(ms, 1) : -1,
      callback: callback as Timer["callback"],
      args,
    };
    this.#byId.set(timer.id, timer);
    this.#push(timer);
    this.#rearm();
    return timer.id;
  }

  #clear(id: unknown): void {
    const timer = this.#byId.get(Number(id));
    if (timer === undefined) return;
    this.#byId.delete(timer.id);
    const index = this.#heap.indexOf(timer);
    const last = this.#heap.pop()!;
    if (last !== timer) {
      this.#heap[index] = last;
      this.#down(index);
      this.#up(index);
    }
    this.#rearm();
  }

  #rearm(): void {
    const next = this.#heap[0]?.deadline ?? Infinity;
    if (next !== this.#armed) {
      this.#armed = next;
      this.#host.arm(next);
    }
  }

  #before(a: Timer, b: Timer): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  #push(timer: Timer): void {
    this.#heap.push(timer);
    this.#up(this.#heap.length - 1);
  }

  #pop(): void {
    const last = this.#heap.pop()!;
    if (this.#heap.length > 0) {
      this.#heap[0] = last;
      this.#down(0);
    }
  }

  #up(i: number): void {
    const heap = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #down(i: number): void {
    const heap = this.#heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && this.#before(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && this.#before(heap[right]!, heap[least]!)) least = right;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  }
}
