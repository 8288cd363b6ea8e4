/**
 * @module guest/sdk/clock
 * `loopTime()`: when the current turn began, on `performance.now()`'s clock; libuv's `uv_now`.
 * The host hands it to the runtime with every batch of events, so reading it is free, where
 * `performance.now()` is a hypercall (about 1 µs on the isolate target). It does not advance
 * during a turn: use it for timeouts and deadlines, and `performance.now()` to measure work.
 */

type LoopTime = () => number;

let read: LoopTime | undefined;

export function loopTime(): number {
  read ??= (globalThis as unknown as Record<symbol, LoopTime | undefined>)[Symbol.for("tsuki.loopTime")] ?? (() => performance.now());
  return read();
}
