/**
 * @module host/tender/console-limits
 * How much console a unikernel may write: a rate and a burst of lines, per unikernel, over both
 * of its streams. The tender admits each whole line through a token bucket and drops (and counts)
 * what exceeds it, so that a guest that floods its console costs the host a fixed amount of CPU
 * per second and nothing more, wherever its lines go (a terminal, a file, tsukid's ring).
 *
 * A line counts once for every `LINE_UNIT` bytes it has begun (most lines count once), so the
 * rate also bounds bytes: at the default rate a unikernel writes at most
 * `rate × LINE_UNIT` bytes a second (12.5 MiB), whatever the length of its lines. A line is at
 * most `MAX_LINE` bytes; the tender keeps its head and cuts the rest (console.ts).
 *
 * The defaults are far above what an honest, chatty service writes: the website example logging
 * every request wrote about 17,000 lines a second at full load on a 2-core machine (README,
 * "Console limits"), while a flood of a million lines a second is cut to the rate.
 */

import { TsukiError } from "../common/errors.ts";
import type { ConsoleLimits } from "../spec/limits.ts";
import { type InputPath, SpecProblem, consoleLimits } from "../spec/run-spec.ts";

export { CONSOLE_BURST_RANGE, CONSOLE_DEFAULTS, CONSOLE_RATE_RANGE, type ConsoleLimits } from "../spec/limits.ts";

/** The longest line the tender assembles, in bytes; the rest of a longer line is cut and counted. */
export const MAX_LINE = 16 * 1024;
/** A line counts once for every this many bytes it has begun. */
export const LINE_UNIT = 256;

/** What a line of `bytes` bytes (without its newline) costs against the rate. */
export function lineCost(bytes: number): number {
  return bytes <= LINE_UNIT ? 1 : Math.ceil(bytes / LINE_UNIT);
}

/**
 * Console limits as an operator gave them, checked by the run specification's checkers and named
 * as `path` spells them (`--console-rate`, `console.rate`), with the defaults filled in;
 * ERR_FLAG_VALUE when they do not fit.
 */
export function checkConsoleLimits(limits: Partial<ConsoleLimits>, path: InputPath): ConsoleLimits {
  try {
    return consoleLimits(limits, path);
  } catch (error) {
    if (error instanceof SpecProblem) throw new TsukiError("FLAG_VALUE", error.message);
    throw error;
  }
}

/** `rate 1,000/s, burst 5,000`: the limits as the drop notices and `tsuki stats` show them. */
export function describeLimits(limits: ConsoleLimits): string {
  return `rate ${limits.rate.toLocaleString("en-US")}/s, burst ${limits.burst.toLocaleString("en-US")}`;
}

/**
 * A token bucket: `burst` tokens at most, refilled at `rate` a second. Clock-free: the caller
 * passes the time (ms, monotonic) to every call.
 */
export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #at: number;

  constructor(limits: ConsoleLimits, now: number) {
    this.#rate = limits.rate / 1000;
    this.#burst = limits.burst;
    this.#tokens = limits.burst;
    this.#at = now;
  }

  /** Whether not even one token is left at `now`: every line would be dropped until the clock moves. */
  empty(now: number): boolean {
    return !this.take(0, now) || this.#tokens < 1;
  }

  /** Takes `cost` tokens if there are as many; false (taking none) if not. */
  take(cost: number, now: number): boolean {
    if (now > this.#at) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#rate);
      this.#at = now;
    }
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }
}
