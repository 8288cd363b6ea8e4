/**
 * @module host/orchestrator/supervision/console-ring
 * A unikernel's console as the daemon keeps it: the last `capacity` lines, holding at most
 * `maxBytes` of text (the oldest are dropped, and counted), read back by count or since a time,
 * and any number of followers (up to `maxFollowers`) that get every new line as it comes. It
 * outlives restarts of its unikernel, so the lines before a crash are still there after it.
 *
 * The byte bound is what holds a daemon's memory: a line can be up to 16 KiB (the tender cuts
 * longer ones), so 1,024 lines alone could be 16 MiB a unikernel.
 */

import type { RingLine } from "../api/info.ts";

/** Text a ring holds at most, by default: 1 MiB (UTF-16 code units, counted as two bytes each). */
export const RING_BYTES = 1024 * 1024;
/** What a line costs the ring besides its text. */
const LINE_OVERHEAD = 64;

/** A line as the API answers with it. */
export type { RingLine } from "../api/info.ts";

export interface Follower {
  line(line: RingLine): void;
  /** The ring is closing (its unikernel was destroyed). */
  end(): void;
}

export class ConsoleRing {
  readonly capacity: number;
  readonly maxFollowers: number;
  readonly maxBytes: number;
  /** The lines held are `#lines[#head…]`; the array is compacted as the head moves on. */
  #lines: RingLine[] = [];
  #head = 0;
  #bytes = 0;
  #seq = 0;
  #dropped = 0;
  #followers = new Set<Follower>();

  constructor(capacity = 1024, maxFollowers = 16, maxBytes = RING_BYTES) {
    this.capacity = capacity;
    this.maxFollowers = maxFollowers;
    this.maxBytes = maxBytes;
  }

  push(time: number, stream: 1 | 2, text: string, tender = false): void {
    const line: RingLine = tender ? { seq: ++this.#seq, time, stream, text, tender } : { seq: ++this.#seq, time, stream, text };
    this.#lines.push(line);
    this.#bytes += cost(line);
    while (this.#lines.length - this.#head > this.capacity || (this.#bytes > this.maxBytes && this.#lines.length - this.#head > 1)) {
      this.#bytes -= cost(this.#lines[this.#head]!);
      this.#head++;
      this.#dropped++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#lines.length) {
      this.#lines = this.#lines.slice(this.#head);
      this.#head = 0;
    }
    for (const follower of this.#followers) follower.line(line);
  }

  /** Lines dropped from the ring since it was made. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Lines pushed since the ring was made (held or dropped). */
  get total(): number {
    return this.#seq;
  }

  /** Lines held now. */
  get held(): number {
    return this.#lines.length - this.#head;
  }

  /** The lines held, oldest first; the last `count`, or those at or after `since` (ms). */
  history(options: { count?: number; since?: number } = {}): RingLine[] {
    let lines = this.#lines.slice(this.#head);
    if (options.since !== undefined) lines = lines.filter((l) => l.time >= options.since!);
    if (options.count !== undefined) lines = options.count === 0 ? [] : lines.slice(-options.count);
    return lines;
  }

  /** Adds a follower; returns how to remove it, or undefined when there are already `maxFollowers`. */
  follow(follower: Follower): (() => void) | undefined {
    if (this.#followers.size >= this.maxFollowers) return undefined;
    this.#followers.add(follower);
    return () => this.#followers.delete(follower);
  }

  get followers(): number {
    return this.#followers.size;
  }

  /** Ends every follower (the unikernel was destroyed). */
  close(): void {
    for (const follower of this.#followers) follower.end();
    this.#followers.clear();
  }
}

/** What a line costs the ring: its text (two bytes a code unit, as V8 may hold it) and the rest of it. */
function cost(line: RingLine): number {
  return line.text.length * 2 + LINE_OVERHEAD;
}
