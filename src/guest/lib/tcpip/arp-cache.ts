/**
 * @module tcpip/arp-cache
 * The ARP cache (RFC 826, RFC 1122 §2.3.2.1–2): IPv4 address → MAC, with
 * - entries that expire `entryLifetime` ms after they were last confirmed (60 s; smoltcp's 1 min);
 *   an entry in use during its last `refreshBefore` ms (5 s) is re-confirmed with a unicast request
 *   (Linux's PROBE state, RFC 1122 §2.3.2.1 "unicast poll"), so a busy flow never stalls on ARP,
 * - at most `maxEntries` entries (the least recently confirmed is evicted first),
 * - requests rate-limited to one per `requestInterval` ms per address (1 s, RFC 1122 §2.3.2.1
 *   "prevent ARP flooding"), retried at most `maxRequests` times while packets wait,
 * - a small queue of packets waiting for resolution (RFC 1122 §2.3.2.2 "SHOULD save at least one
 *   (the latest) packet"): at most `maxPendingPerAddress` per address (the oldest is dropped), at
 *   most `maxPendingAddresses` addresses, dropped `pendingTimeout` ms after the first request.
 *
 * Clock-free: every call takes `now`; `poll(now)` says what to retry and when to run next.
 */

import { drop, type Drops } from "./counters.ts";

export interface ArpCacheOptions {
  entryLifetime?: number;
  refreshBefore?: number;
  maxEntries?: number;
  requestInterval?: number;
  maxRequests?: number;
  maxPendingPerAddress?: number;
  maxPendingAddresses?: number;
  maxPendingBytes?: number;
  pendingTimeout?: number;
}

interface Entry {
  mac: Uint8Array;
  expires: number;
  /** When the last unicast re-confirmation went out. */
  refreshed: number;
}

interface Pending {
  packets: Uint8Array[];
  /** When the first request went out (the queue's deadline counts from it). */
  since: number;
  lastRequest: number;
  requests: number;
}

export interface ArpCacheStats {
  entries: number;
  pending: number;
  hits: number;
  misses: number;
  evictions: number;
  /** Unicast re-confirmations of entries in use near their expiry. */
  refreshes: number;
  /** Requests allowed by the rate limit (the caller sends them). */
  requests: number;
  rateLimited: number;
  drops: Drops;
}

export class ArpCache {
  readonly entryLifetime: number;
  readonly refreshBefore: number;
  readonly maxEntries: number;
  /**
   * Set by `lookup` when the entry it returned should be re-confirmed now (a unicast request to
   * its MAC); the caller reads it right after a hit. -1 when none is due.
   */
  refreshDue = -1;
  readonly requestInterval: number;
  readonly maxRequests: number;
  readonly maxPendingPerAddress: number;
  readonly maxPendingAddresses: number;
  readonly maxPendingBytes: number;
  readonly pendingTimeout: number;
  #pendingBytes = 0;
  #entries = new Map<number, Entry>();
  #pending = new Map<number, Pending>();
  /** When each address was last requested (rate limit), for addresses with nothing pending too. */
  #requested = new Map<number, number>();
  readonly stats: ArpCacheStats = { entries: 0, pending: 0, hits: 0, misses: 0, evictions: 0, refreshes: 0, requests: 0, rateLimited: 0, drops: {} };

  constructor(options: ArpCacheOptions = {}) {
    this.entryLifetime = options.entryLifetime ?? 60_000;
    this.refreshBefore = options.refreshBefore ?? 5_000;
    this.maxEntries = options.maxEntries ?? 256;
    this.requestInterval = options.requestInterval ?? 1_000;
    this.maxRequests = options.maxRequests ?? 3;
    this.maxPendingPerAddress = options.maxPendingPerAddress ?? 64;
    this.maxPendingAddresses = options.maxPendingAddresses ?? 32;
    this.maxPendingBytes = options.maxPendingBytes ?? 256 * 1024;
    this.pendingTimeout = options.pendingTimeout ?? 3_000;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The MAC for `address` if a live entry exists. */
  lookup(address: number, now: number): Uint8Array | undefined {
    const entry = this.#entries.get(address);
    if (entry === undefined) {
      this.stats.misses++;
      return undefined;
    }
    if (now >= entry.expires) {
      this.#entries.delete(address);
      this.stats.entries = this.#entries.size;
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    if (entry.expires - now <= this.refreshBefore && now - entry.refreshed >= this.requestInterval) {
      entry.refreshed = now;
      this.refreshDue = address;
      this.stats.refreshes++;
    } else this.refreshDue = -1;
    return entry.mac;
  }

  /** Whether an entry (live or not yet swept) exists: RFC 826's "merge" test. */
  has(address: number): boolean {
    return this.#entries.has(address);
  }

  /**
   * Records `address` at `mac` (copied), refreshing its lifetime. Returns the packets that were
   * waiting for it (to be sent now), or undefined.
   */
  insert(address: number, mac: Uint8Array, now: number): Uint8Array[] | undefined {
    const entries = this.#entries;
    const existing = entries.get(address);
    if (existing !== undefined) {
      entries.delete(address);
      if (!sameMac(existing.mac, mac)) existing.mac = mac.slice(0, 6);
      existing.expires = now + this.entryLifetime;
      entries.set(address, existing);
    } else {
      if (entries.size >= this.maxEntries) {
        // Map order is confirmation order: the first key is the least recently confirmed.
        const oldest = entries.keys().next().value as number;
        entries.delete(oldest);
        this.stats.evictions++;
      }
      entries.set(address, { mac: mac.slice(0, 6), expires: now + this.entryLifetime, refreshed: -Infinity });
    }
    this.stats.entries = entries.size;
    const pending = this.#pending.get(address);
    if (pending === undefined) return undefined;
    this.#pending.delete(address);
    this.#requested.delete(address);
    this.#release(pending);
    return pending.packets;
  }

  /** Forgets `address` (e.g. the interface's address changed). */
  remove(address: number): void {
    this.#entries.delete(address);
    this.stats.entries = this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
    this.#pending.clear();
    this.#requested.clear();
    this.#pendingBytes = 0;
    this.stats.entries = 0;
    this.stats.pending = 0;
  }

  /** Bytes of packets waiting for resolution. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  #release(pending: Pending): void {
    for (const packet of pending.packets) this.#pendingBytes -= packet.length;
    this.stats.pending = this.#pending.size;
  }

  /**
   * Queues a copy of `packet` until `address` resolves. Returns whether a request should be sent
   * now (the rate limit allows one), or "dropped" if the packet could not be queued.
   */
  enqueue(address: number, packet: Uint8Array, now: number): boolean | "dropped" {
    if (this.#pendingBytes + packet.length > this.maxPendingBytes) {
      drop(this.stats.drops, "pending-bytes-full");
      return "dropped";
    }
    let pending = this.#pending.get(address);
    if (pending === undefined) {
      if (this.#pending.size >= this.maxPendingAddresses) {
        drop(this.stats.drops, "pending-addresses-full");
        return "dropped";
      }
      pending = { packets: [], since: now, lastRequest: -Infinity, requests: 0 };
      this.#pending.set(address, pending);
      this.stats.pending = this.#pending.size;
    }
    if (pending.packets.length >= this.maxPendingPerAddress) {
      // RFC 1122 §2.3.2.2: keep the latest; the oldest goes.
      this.#pendingBytes -= pending.packets.shift()!.length;
      drop(this.stats.drops, "pending-queue-full");
    }
    pending.packets.push(packet.slice());
    this.#pendingBytes += packet.length;
    return this.mayRequest(address, now);
  }

  /** Whether a request for `address` may go out now (1 per `requestInterval`); records it if so. */
  mayRequest(address: number, now: number): boolean {
    const last = this.#requested.get(address);
    if (last !== undefined && now - last < this.requestInterval) {
      this.stats.rateLimited++;
      return false;
    }
    this.#requested.set(address, now);
    if (this.#requested.size > 4 * this.maxEntries) {
      for (const [key, at] of this.#requested) if (now - at >= this.requestInterval) this.#requested.delete(key);
    }
    const pending = this.#pending.get(address);
    if (pending !== undefined) {
      pending.lastRequest = now;
      pending.requests++;
    }
    this.stats.requests++;
    return true;
  }

  /**
   * Drops queues that waited too long and calls `request` for each address whose request is due
   * again. Returns the next time it must run, or Infinity.
   */
  poll(now: number, request: (address: number) => void): number {
    let next = Infinity;
    for (const [address, pending] of this.#pending) {
      if (now - pending.since >= this.pendingTimeout || (pending.requests >= this.maxRequests && now - pending.lastRequest >= this.requestInterval)) {
        for (let i = 0; i < pending.packets.length; i++) drop(this.stats.drops, "unresolved");
        this.#pending.delete(address);
        this.#release(pending);
        continue;
      }
      if (now - pending.lastRequest >= this.requestInterval && this.mayRequest(address, now)) request(address);
      next = Math.min(next, pending.lastRequest + this.requestInterval, pending.since + this.pendingTimeout);
    }
    this.stats.pending = this.#pending.size;
    return next;
  }
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
