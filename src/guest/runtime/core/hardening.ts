/**
 * @module guest/runtime/core/hardening
 * Replacements for built-ins that a hostile guest could use to take the whole tender down.
 *
 * V8's native `Array.prototype.fill` runs as one uninterruptible C++ loop. When it allocates its
 * way past the heap limit, or runs past the CPU watchdog, V8 cannot terminate it in time, and
 * isolated-vm's "script failed to terminate" path crashes the host process (seen here with
 * isolated-vm 6.2 on Node 24; upstream reports: laverdet/isolated-vm#107, #186, #527). The same
 * method written in JavaScript is interruptible, so memory and CPU limits end the guest cleanly.
 * It follows ECMA-262 §23.1.3.7 step by step.
 */

const MAX_LENGTH = 2 ** 53 - 1;

function toIntegerOrInfinity(value: unknown): number {
  const n = Number(value);
  return Number.isNaN(n) ? 0 : Math.trunc(n);
}

function relative(value: unknown, length: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = toIntegerOrInfinity(value);
  return n < 0 ? Math.max(length + n, 0) : Math.min(n, length);
}

function fill(this: unknown, value: unknown, start?: unknown, end?: unknown): unknown {
  if (this === null || this === undefined) throw new TypeError("Array.prototype.fill called on null or undefined");
  const o = Object(this) as Record<number, unknown> & { length: unknown };
  const length = Math.min(Math.max(toIntegerOrInfinity(o.length), 0), MAX_LENGTH);
  const last = relative(end, length, length);
  for (let k = relative(start, length, 0); k < last; k++) o[k] = value;
  return o;
}

export function harden(): void {
  Object.defineProperty(fill, "name", { value: "fill" });
  Object.defineProperty(Array.prototype, "fill", { value: fill, writable: true, configurable: true, enumerable: false });
}
