/**
 * @module tcpip/tcp/scoreboard
 * What the peer told us it holds beyond SND.UNA (RFC 2018 SACK blocks): disjoint sequence ranges
 * kept in order, for SACK-based loss recovery (RFC 6675, simplified). Blocks that are not strictly
 * inside (SND.UNA, highest sent] are ignored (D-SACK and stale or forged blocks, RFC 2883 §4 / RFC
 * 6675 §5). The number of ranges is bounded; past it the highest are forgotten, which only makes
 * the sender retransmit more, never less.
 */

import { seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, seqMin } from "./seq.ts";

const MAX_RANGES = 32;

export class Scoreboard {
  /** Flat pairs: start, end, start, end… in sequence order. */
  #ranges: number[] = [];
  /** Bytes covered. */
  bytes = 0;

  get empty(): boolean {
    return this.#ranges.length === 0;
  }

  /** The end of the highest range (meaningful when not empty). */
  get high(): number {
    return this.#ranges[this.#ranges.length - 1]!;
  }

  /** Adds `count` blocks from `blocks` (start, end pairs) that lie within (una, max]. */
  add(blocks: readonly number[], count: number, una: number, max: number): void {
    for (let i = 0; i < count; i++) {
      const start = blocks[2 * i]!;
      const end = blocks[2 * i + 1]!;
      if (!seqLt(start, end) || !seqGt(start, una) || seqGt(end, max)) continue;
      this.#insert(start, end);
    }
  }

  #insert(start: number, end: number): void {
    const r = this.#ranges;
    let i = 0;
    while (i < r.length && seqLt(r[i + 1]!, start)) i += 2;
    // Merge every range that overlaps or touches [start, end).
    let j = i;
    while (j < r.length && seqLe(r[j]!, end)) {
      start = seqMin(start, r[j]!);
      end = seqMax(end, r[j + 1]!);
      this.bytes -= seqDiff(r[j + 1]!, r[j]!);
      j += 2;
    }
    r.splice(i, j - i, start, end);
    this.bytes += seqDiff(end, start);
    while (r.length > 2 * MAX_RANGES) {
      this.bytes -= seqDiff(r[r.length - 1]!, r[r.length - 2]!);
      r.length -= 2;
    }
  }

  /** Forgets what lies below `una` (it was acknowledged cumulatively). */
  prune(una: number): void {
    const r = this.#ranges;
    let n = 0;
    while (n < r.length && seqLe(r[n + 1]!, una)) {
      this.bytes -= seqDiff(r[n + 1]!, r[n]!);
      n += 2;
    }
    if (n > 0) r.splice(0, n);
    if (r.length > 0 && seqLt(r[0]!, una)) {
      this.bytes -= seqDiff(una, r[0]!);
      r[0] = una;
    }
  }

  /** Bytes SACKed in [from, to). */
  sackedBetween(from: number, to: number): number {
    const r = this.#ranges;
    let total = 0;
    for (let i = 0; i < r.length; i += 2) {
      const start = seqMax(r[i]!, from);
      const end = seqMin(r[i + 1]!, to);
      if (seqGt(end, start)) total += seqDiff(end, start);
    }
    return total;
  }

  /**
   * The first hole (bytes not SACKed) at or after `from` and below the highest SACKed byte, as
   * [start, end) written into `out`; false when there is none.
   */
  nextHole(from: number, out: [number, number]): boolean {
    const r = this.#ranges;
    let at = from;
    for (let i = 0; i < r.length; i += 2) {
      if (seqGe(at, r[i + 1]!)) continue;
      if (seqLt(at, r[i]!)) {
        out[0] = at;
        out[1] = r[i]!;
        return true;
      }
      at = r[i + 1]!;
    }
    return false;
  }

  clear(): void {
    this.#ranges = [];
    this.bytes = 0;
  }
}

