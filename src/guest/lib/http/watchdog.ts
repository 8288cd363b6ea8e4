/**
 * @module tsuki/http/watchdog
 * Deadlines for many waits with one interval timer, instead of a timer per read: a wait registers
 * its deadline, and a sweep every `tick` ms ends the waits whose deadline has passed. A deadline
 * is therefore late by at most one tick; the server picks a tick of a quarter of its shortest
 * timeout. The interval runs only while something waits, so an idle server arms no timer.
 * Deadlines are on the loop time (`loopTime()`), which costs no hypercall to read.
 */

import { loopTime } from "../../sdk/clock.ts";

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

  constructor(tick: number, now: () => number = loopTime) {
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
    // One promise settled by whichever comes first (cheaper than Promise.race on every read).
    return new Promise<T | typeof TIMEOUT>((resolve, reject) => {
      const waiter: Waiter = { deadline, expire: () => resolve(TIMEOUT) };
      this.#waiters.add(waiter);
      this.#interval ??= setInterval(() => this.#sweep(), this.#tick);
      promise.then(
        (value) => {
          this.#waiters.delete(waiter);
          resolve(value);
        },
        (error: unknown) => {
          this.#waiters.delete(waiter);
          reject(error);
        },
      );
    });
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
