/**
 * @module tcpip/fragments
 * IPv4 reassembly (RFC 791 §3.2 "Fragmentation and Reassembly", RFC 815's hole bookkeeping as a
 * sorted list of received ranges), with hard limits so that a peer cannot make it grow:
 * - at most `maxDatagrams` reassemblies at once (16) and `maxBytes` of buffers (256 KiB) in all;
 *   a new one past either limit evicts the oldest;
 * - at most `maxFragments` fragments per datagram (128);
 * - a reassembly not complete `timeout` ms after its first fragment is dropped (30 s; RFC 791
 *   suggests 15 s as the lower bound, Linux uses 30 s). If its first fragment had arrived, `poll`
 *   reports it so that ICMP can send time exceeded / reassembly (RFC 1122 §3.3.2, RFC 792);
 * - overlapping fragments drop the whole datagram, and its later fragments too until the timeout:
 *   RFC 5722's policy for IPv6, applied to IPv4 (overlaps serve only to evade inspection).
 *   An exact duplicate of a fragment already held is ignored (RFC 8200 §4.5 allows this: networks
 *   duplicate packets);
 * - a datagram whose end would pass 65,535 bytes ("ping of death") is dropped, as is a fragment
 *   other than the last whose length is not a multiple of 8 (RFC 791).
 *
 * Clock-free: `add` and `poll` take `now`.
 */

import { drop, type Drops } from "./counters.ts";
import { IPV4_MAX_LENGTH } from "./wire/ipv4.ts";

export interface ReassemblerOptions {
  maxDatagrams?: number;
  maxBytes?: number;
  maxFragments?: number;
  timeout?: number;
}

interface Reassembly {
  deadline: number;
  /** Null once the datagram is condemned (overlap, too long): its later fragments are dropped. */
  buffer: Uint8Array | null;
  /** Received ranges as [start, end) pairs, sorted and disjoint. */
  ranges: number[];
  received: number;
  /** The payload's length, once the last fragment (MF = 0) has arrived; else -1. */
  total: number;
  /** The first fragment's IPv4 header (offset 0), for ICMP errors about the datagram. */
  header: Uint8Array | null;
}

export interface ReassemblyStats {
  fragments: number;
  reassembled: number;
  /** Reassemblies in progress and the bytes their buffers hold. */
  active: number;
  bytes: number;
  drops: Drops;
}

/** A complete datagram: its first fragment's header and its payload (views, valid until the next `add`). */
export interface Reassembled {
  header: Uint8Array;
  payload: Uint8Array;
}

export class Reassembler {
  readonly maxDatagrams: number;
  readonly maxBytes: number;
  readonly maxFragments: number;
  readonly timeout: number;
  #active = new Map<string, Reassembly>();
  #bytes = 0;
  readonly stats: ReassemblyStats = { fragments: 0, reassembled: 0, active: 0, bytes: 0, drops: {} };

  constructor(options: ReassemblerOptions = {}) {
    this.maxDatagrams = options.maxDatagrams ?? 16;
    this.maxBytes = options.maxBytes ?? 256 * 1024;
    this.maxFragments = options.maxFragments ?? 128;
    this.timeout = options.timeout ?? 30_000;
  }

  /**
   * Adds one fragment: `header` is its IPv4 header (copied if kept), `offset` its fragment offset
   * in bytes, `payload` its data (copied). Returns the whole datagram when this fragment
   * completed it, else undefined.
   */
  add(now: number, source: number, destination: number, protocol: number, identification: number, offset: number, moreFragments: boolean, header: Uint8Array, payload: Uint8Array): Reassembled | undefined {
    this.stats.fragments++;
    const length = payload.length;
    const end = offset + length;
    const key = `${source}/${destination}/${protocol}/${identification}`;
    let entry = this.#active.get(key);
    if (entry !== undefined && now >= entry.deadline) {
      this.#expire(key, entry);
      entry = undefined;
    }
    if (entry !== undefined && entry.buffer === null) {
      drop(this.stats.drops, "condemned");
      return undefined;
    }
    // RFC 791: every fragment but the last carries a multiple of 8 octets; an empty one is useless.
    if ((moreFragments && length % 8 !== 0) || length === 0) {
      drop(this.stats.drops, "bad-fragment-length");
      return undefined;
    }
    if (header.length + end > IPV4_MAX_LENGTH) {
      if (entry !== undefined) this.#condemn(entry);
      drop(this.stats.drops, "too-long");
      return undefined;
    }
    if (entry === undefined) {
      while (this.#active.size >= this.maxDatagrams) this.#evictOldest();
      entry = { deadline: now + this.timeout, buffer: new Uint8Array(0), ranges: [], received: 0, total: -1, header: null };
      this.#active.set(key, entry);
      this.stats.active = this.#active.size;
    }
    const ranges = entry.ranges;
    // Where this fragment goes among the received ranges, and whether it overlaps one.
    let at = 0;
    while (at < ranges.length && ranges[at + 1]! <= offset) at += 2;
    if (at < ranges.length && ranges[at]! < end) {
      if (ranges[at] === offset && ranges[at + 1] === end) {
        drop(this.stats.drops, "duplicate");
        return undefined;
      }
      this.#condemn(entry);
      drop(this.stats.drops, "overlap");
      return undefined;
    }
    if (!moreFragments) {
      // The last fragment fixes the length: nothing may lie past it, and it may come only once.
      if ((entry.total !== -1 && entry.total !== end) || (ranges.length > 0 && ranges[ranges.length - 1]! > end)) {
        this.#condemn(entry);
        drop(this.stats.drops, "inconsistent-length");
        return undefined;
      }
      entry.total = end;
    } else if (entry.total !== -1 && end > entry.total) {
      this.#condemn(entry);
      drop(this.stats.drops, "inconsistent-length");
      return undefined;
    }
    if (ranges.length / 2 >= this.maxFragments) {
      this.#condemn(entry);
      drop(this.stats.drops, "too-many-fragments");
      return undefined;
    }
    // Grow the buffer: to the known total, else doubling, never past the largest payload.
    let buffer = entry.buffer!;
    if (end > buffer.length) {
      const size = entry.total !== -1 ? entry.total : Math.min(IPV4_MAX_LENGTH, Math.max(end, 2 * buffer.length, 2048));
      const growth = size - buffer.length;
      while (this.#bytes + growth > this.maxBytes && this.#active.size > 1) {
        if (!this.#evictOldest(entry)) break;
      }
      if (this.#bytes + growth > this.maxBytes) {
        this.#remove(key, entry);
        drop(this.stats.drops, "memory");
        return undefined;
      }
      const grown = new Uint8Array(size);
      grown.set(buffer.subarray(0, Math.min(buffer.length, size)));
      this.#bytes += growth;
      entry.buffer = buffer = grown;
    }
    buffer.set(payload, offset);
    ranges.splice(at, 0, offset, end);
    entry.received += length;
    if (offset === 0) entry.header = header.slice();
    this.stats.bytes = this.#bytes;
    if (entry.total === -1 || entry.received !== entry.total) return undefined;
    // Disjoint ranges whose lengths add up to the total cover it: complete.
    this.#remove(key, entry);
    this.stats.reassembled++;
    return { header: entry.header!, payload: buffer.subarray(0, entry.total) };
  }

  /**
   * Drops reassemblies past their deadline, calling `expired` for each whose first fragment had
   * arrived (with that header and the first bytes of the payload). Returns the next deadline.
   */
  poll(now: number, expired?: (header: Uint8Array, start: Uint8Array) => void): number {
    let next = Infinity;
    for (const [key, entry] of this.#active) {
      if (now >= entry.deadline) {
        if (entry.buffer !== null && entry.header !== null && expired !== undefined) expired(entry.header, entry.buffer.subarray(0, Math.min(entry.buffer.length, ranges0End(entry))));
        this.#expire(key, entry);
      } else next = Math.min(next, entry.deadline);
    }
    return next;
  }

  /** Bytes held in reassembly buffers now. */
  get bytes(): number {
    return this.#bytes;
  }

  get active(): number {
    return this.#active.size;
  }

  #expire(key: string, entry: Reassembly): void {
    if (entry.buffer !== null) drop(this.stats.drops, "timeout");
    this.#remove(key, entry);
  }

  #condemn(entry: Reassembly): void {
    if (entry.buffer !== null) this.#bytes -= entry.buffer.length;
    entry.buffer = null;
    entry.ranges = [];
    entry.header = null;
    this.stats.bytes = this.#bytes;
  }

  #remove(key: string, entry: Reassembly): void {
    if (entry.buffer !== null) this.#bytes -= entry.buffer.length;
    entry.buffer = null;
    this.#active.delete(key);
    this.stats.active = this.#active.size;
    this.stats.bytes = this.#bytes;
  }

  /** Evicts the oldest reassembly other than `keep`; false if there is none. */
  #evictOldest(keep?: Reassembly): boolean {
    for (const [key, entry] of this.#active) {
      if (entry === keep) continue;
      if (entry.buffer !== null) drop(this.stats.drops, "evicted");
      this.#remove(key, entry);
      return true;
    }
    return false;
  }
}

/** The end of the first received range when it starts at 0, else 0. */
function ranges0End(entry: Reassembly): number {
  return entry.ranges[0] === 0 ? entry.ranges[1]! : 0;
}
