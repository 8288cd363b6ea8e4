/**
 * @module tcpip/counters
 * Drop counters by reason: a plain object from reason to count, so `Stack.stats()` can hand out a
 * copy that JSON-serialises as it is. Every packet a layer discards is counted under exactly one
 * reason (malformed input is counted, never thrown).
 */

export type Drops = Record<string, number>;

/** Counts one drop for `reason`. */
export function drop(drops: Drops, reason: string): void {
  drops[reason] = (drops[reason] ?? 0) + 1;
}

/** A deep copy of a tree of counters (numbers and nested objects of numbers). */
export function snapshot<T extends object>(counters: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(counters)) out[key] = value !== null && typeof value === "object" ? snapshot(value as object) : value;
  return out as T;
}
