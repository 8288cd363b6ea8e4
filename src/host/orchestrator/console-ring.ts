/**
 * @module host/orchestrator/console-ring
 * A unikernel's console as the daemon keeps it: the last `capacity` lines in a ring buffer (the
 * oldest are dropped, and counted), read back by count or since a time, and any number of
 * followers (up to `maxFollowers`) that get every new line as it comes. It outlives restarts of
 * its unikernel, so the lines before a crash are still there after it.
 */

export interface RingLine {
  /** Numbered from 1 over the ring's life, so a reader can tell what it missed. */
  readonly seq: number;
  /** Wall-clock ms since the epoch. */
  readonly time: number;
  /** 1: output, 2: errors. */
  readonly stream: 1 | 2;
  readonly text: string;
}

export interface Follower {
  line(line: RingLine): void;
  /** The ring is closing (its unikernel was destroyed). */
  end(): void;
}

export class ConsoleRing {
  readonly capacity: number;
  readonly maxFollowers: number;
  /** Grows to `capacity` as lines come (most unikernels print a few), then wraps at `#next`. */
  #lines: RingLine[] = [];
  #next = 0;
  #seq = 0;
  #followers = new Set<Follower>();

  constructor(capacity = 1024, maxFollowers = 16) {
    this.capacity = capacity;
    this.maxFollowers = maxFollowers;
  }

  push(time: number, stream: 1 | 2, text: string): void {
    const line: RingLine = { seq: ++this.#seq, time, stream, text };
    if (this.#lines.length < this.capacity) this.#lines.push(line);
    else this.#lines[this.#next] = line;
    this.#next = (this.#next + 1) % this.capacity;
    for (const follower of this.#followers) follower.line(line);
  }

  /** Lines dropped from the ring since it was made. */
  get dropped(): number {
    return Math.max(0, this.#seq - this.capacity);
  }

  /** Lines pushed since the ring was made (held or dropped). */
  get total(): number {
    return this.#seq;
  }

  /** The lines held, oldest first; the last `count`, or those at or after `since` (ms). */
  history(options: { count?: number; since?: number } = {}): RingLine[] {
    const held = this.#lines.length;
    const first = held < this.capacity ? 0 : this.#next;
    const all: RingLine[] = [];
    for (let i = 0; i < held; i++) all.push(this.#lines[(first + i) % held]!);
    let lines = options.since === undefined ? all : all.filter((l) => l.time >= options.since!);
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
