/**
 * @module host/orchestrator/server/event-limiter
 * Events that a peer can cause without any certificate (a refused or timed-out handshake, a
 * connection past a cap) go through a token bucket, so that the event log cannot be used to fill
 * the host's disk: at most `burst` lines at once and `perSecond` after that. What is left out is
 * counted, per peer, and reported in one summary event per `summaryEveryMs` while it lasts
 * (`tls-refused-suppressed`: how many, and the peers that caused most of them).
 *
 * With the defaults a flood that never stops writes one line a second and a summary every ten
 * (about 20 MB a day), whatever its rate, while the first fifty of a burst are logged in full.
 */

import type { EventLog, LifecycleEvent } from "../store/event-log.ts";

export interface EventLimits {
  readonly perSecond: number;
  readonly burst: number;
  readonly summaryEveryMs: number;
  /** Peers named in a summary. */
  readonly top: number;
}

export const REFUSED_EVENT_LIMITS: EventLimits = { perSecond: 1, burst: 50, summaryEveryMs: 10_000, top: 5 };

/** Peers counted one by one between summaries; beyond, they are counted together. */
const MAX_PEERS = 1024;

export class RateLimitedEvents {
  readonly #log: Pick<EventLog, "emit">;
  readonly #event: LifecycleEvent;
  readonly #summary: LifecycleEvent;
  readonly #limits: EventLimits;
  readonly #now: () => number;
  #tokens: number;
  #filled: number;
  #suppressed = 0;
  #byPeer = new Map<string, number>();
  #since = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `now`: milliseconds from any origin (tests give their own clock). */
  constructor(log: Pick<EventLog, "emit">, event: LifecycleEvent, summary: LifecycleEvent, limits: EventLimits = REFUSED_EVENT_LIMITS, now: () => number = () => performance.now()) {
    this.#log = log;
    this.#event = event;
    this.#summary = summary;
    this.#limits = limits;
    this.#now = now;
    this.#tokens = limits.burst;
    this.#filled = now();
  }

  /** Logs the event for `peer`, or counts it for the next summary. */
  emit(peer: string, fields: Record<string, unknown>): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#limits.burst, this.#tokens + ((now - this.#filled) / 1000) * this.#limits.perSecond);
    this.#filled = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#log.emit(this.#event, { peer, ...fields });
      return;
    }
    if (this.#suppressed === 0) {
      this.#since = Date.now();
      this.#timer = setTimeout(() => this.flush(), this.#limits.summaryEveryMs).unref();
    }
    this.#suppressed++;
    const seen = this.#byPeer.get(peer);
    // Past MAX_PEERS a new peer is counted only in the total (as one of `fromOtherPeers`).
    if (seen !== undefined || this.#byPeer.size < MAX_PEERS) this.#byPeer.set(peer, (seen ?? 0) + 1);
  }

  /** Writes the summary of what was left out, if anything was. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#suppressed === 0) return;
    const top = [...this.#byPeer].sort((a, b) => b[1] - a[1]).slice(0, this.#limits.top);
    const named = top.reduce((n, [, count]) => n + count, 0);
    this.#log.emit(this.#summary, {
      suppressed: this.#suppressed,
      since: new Date(this.#since).toISOString(),
      peer: top[0]?.[0] ?? "(many)",
      top: top.map(([peer, count]) => ({ peer, count })),
      fromOtherPeers: this.#suppressed - named,
      limit: `${this.#limits.perSecond} a second, bursts of ${this.#limits.burst}`,
    });
    this.#suppressed = 0;
    this.#byPeer.clear();
  }
}
