/**
 * @module guest/runtime/core/memory/ledger
 * The heap guard's ledger as the guest runtime sees it: what the memory limits (wasm.ts,
 * growable-buffers.ts, intl-charges.ts, json-parse.ts) charge, reserve and ask of it. Apart from
 * limits.ts, which makes it from the guard the tender loaded, so that the limits and their
 * installer do not import each other.
 */

export interface Ledger {
  /** Counts `bytes` while the returned token is alive (keep it with what it pays for); null if they do not fit. */
  charge(bytes: number): object | null;
  /**
   * Counts a buffer's reservation of `max` bytes while its memory lives; false if it does not
   * fit. `counted`: V8 already counts the committed part (wasm memory), so only the rest is added.
   */
  reserve(buffer: ArrayBuffer | SharedArrayBuffer, max: number, counted: boolean): boolean;
  /** Memory V8 cannot see that will be garbage soon: makes the next full GC come sooner. */
  pressure(bytes: number): void;
  /** Bytes left under the limit (after a full GC if `collect`); Infinity where nothing is limited. */
  available(collect: boolean): number;
}
