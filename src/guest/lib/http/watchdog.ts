/**
 * @module tsuki/http/watchdog
 * Deadlines for many waits with one interval timer, instead of a timer per read: a wait registers
 * its deadline, and a sweep every `tick` ms ends the waits whose deadline has passed. A deadline
 * is therefore late by at most one tick; the server picks a tick of a quarter of its shortest
 * timeout. The interval runs only while something waits, so an idle server arms no timer.
 */

export const TIMEOUT: unique symbol = Symbol("timeout");

interface Waiter {
  readonly deadline: number;
  readonly expire: () => void;
}

export class Watchdog {
  #waiters = new Set<Waiter>();
  #interval: ReturnType<typeof setInterval> | undefined;
  #tick: number;
  #now: () => number;

  constructor(tick: number, now: () => number = () => performance.now()) {
    this.#tick = tick;
    this.#now = now;
  }

  now(): number {
    return this.#now();
  }

  /** `promise`'s outcome, or TIMEOUT once `deadline` (on `now()`'s clock) has passed; Infinity waits forever. */
  wait<T>(promise: Promise<T>, deadline: number): Promise<T | typeof TIMEOUT> {
    if (deadline === Infinity) return promise;
    if (deadline <= this.#now()) return Promise.resolve(TIMEOUT);
    let waiter!: Waiter;
    const expired = new Promise<typeof TIMEOUT>((resolve) => (waiter = { deadline, expire: () => resolve(TIMEOUT) }));
    this.#waiters.add(waiter);
    this.#interval ??= setInterval(() => this.#sweep(), this.#tick);
    const done = () => this.#waiters.delete(waiter);
    promise.then(done, done);
    return Promise.race([promise, expired]);
  }

  #sweep(): void {
    if (this.#waiters.size === 0) {
      clearInterval(this.#interval);
      this.#interval = undefined;
      return;
    }
    const now = this.#now();
    for (const waiter of this.#waiters) {
      if (waiter.deadline > now) continue;
      this.#waiters.delete(waiter);
      waiter.expire();
    }
  }
}
