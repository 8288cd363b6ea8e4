/**
 * @module tcpip/tcp/seq
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): sequence numbers are unsigned 32-bit
 * values compared by the sign of their 32-bit difference, which is right while the two are less
 * than 2^31 apart (windows are at most 2^30, RFC 7323 §2.3).
 */

/** `a + n` modulo 2^32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** The signed distance `a − b` (negative when `a` is before `b`). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** The later of two sequence numbers. */
export function seqMax(a: number, b: number): number {
  return ((a - b) | 0) >= 0 ? a : b;
}

/** The earlier of two sequence numbers. */
export function seqMin(a: number, b: number): number {
  return ((a - b) | 0) <= 0 ? a : b;
}

/** Whether `low ≤ x < high` in sequence space. */
export function seqInRange(x: number, low: number, high: number): boolean {
  return ((x - low) | 0) >= 0 && ((x - high) | 0) < 0;
}
