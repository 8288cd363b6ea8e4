/**
 * @module host/tender/devices/read-budget
 * What one unikernel's connections may hold read and not yet delivered, all together. Each
 * connection holds at most READ_BUFFER (connection.ts), but a unikernel may have a thousand
 * connections: with clients that send and a guest that is slow to take it (a long turn, a process
 * target's turn in flight), that was 256 MiB of the tender's memory. Past `READ_BUDGET` every
 * connection of the unikernel is paused at once (TCP's window closes on their peers; pausing only
 * the one that received let each of the others bring one more chunk, 64 KiB a connection); they
 * are resumed once deliveries bring the total under half of it.
 */

/** Bytes a unikernel's connections may hold read and not delivered, together. */
export const READ_BUDGET = 4 * 1024 * 1024;

/** A connection as the budget sees it: it can be paused, and resumed if it still wants to be. */
export interface Paused {
  pause(): void;
  resumeIfWanted(): void;
}

export class ReadBudget {
  readonly limit: number;
  #held = 0;
  #members = new Set<Paused>();
  #paused = false;

  constructor(limit = READ_BUDGET) {
    this.limit = limit;
  }

  get held(): number {
    return this.#held;
  }

  /** A connection of the unikernel's, from its open to its close. */
  join(who: Paused): void {
    this.#members.add(who);
  }

  forget(who: Paused): void {
    this.#members.delete(who);
  }

  /** `bytes` more are held; false when the total is now at or over the limit: every connection is paused. */
  take(bytes: number): boolean {
    this.#held += bytes;
    if (this.#held < this.limit) return true;
    if (!this.#paused) {
      this.#paused = true;
      for (const who of this.#members) who.pause();
    }
    return false;
  }

  /** `bytes` were delivered (or dropped with their connection); under half the limit, the connections that want data read again. */
  give(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
    if (!this.#paused || this.#held >= this.limit / 2) return;
    this.#paused = false;
    for (const who of this.#members) who.resumeIfWanted();
  }

  /** Whether new bytes may come in now. */
  get open(): boolean {
    return !this.#paused;
  }
}
