/**
 * @module tcpip/tcp/reassembly
 * Out-of-order segments waiting for the gap before them to fill (RFC 9293 §3.10.7.4: segments
 * beyond RCV.NXT but within the window "may be held for later processing"). Held bytes form
 * disjoint ranges, each a list of copied segments; a segment that touches a range joins it (and may
 * join two), one that overlaps is trimmed, one that covers ranges swallows them. Memory is bounded
 * twice: by the receive window (only in-window data is offered) and by a limit on the number of
 * ranges, i.e. of gaps; a segment that would open one more is dropped and the sender retransmits it.
 * Held ranges are never dropped once held (no reneging, RFC 2018 §8), so they can be reported as
 * SACK blocks.
 */

import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from "./seq.ts";

interface Range {
  seq: number;
  end: number;
  chunks: Uint8Array[];
}

export class Reassembly {
  #ranges: Range[] = [];
  readonly maxRanges: number;
  /** Bytes held. */
  bytes = 0;

  constructor(maxRanges: number) {
    this.maxRanges = maxRanges;
  }

  /** Ranges held (gaps in the sequence space). */
  get ranges(): number {
    return this.#ranges.length;
  }

  get empty(): boolean {
    return this.#ranges.length === 0;
  }

  /**
   * Holds `data` (a view: copied if kept) starting at `seq`. Returns false when it was dropped for
   * the range limit; true when held or already held.
   */
  insert(seq: number, data: Uint8Array): boolean {
    const ranges = this.#ranges;
    let end = seqAdd(seq, data.length);
    let i = 0;
    while (i < ranges.length && seqLt(ranges[i]!.end, seq)) i++;
    // ranges[i] is the first range ending at or after `seq`: it may touch or overlap the front.
    if (i < ranges.length && seqLe(ranges[i]!.seq, seq)) {
      const range = ranges[i]!;
      if (seqLe(end, range.end)) return true; // already held
      data = data.subarray(seqDiff(range.end, seq));
      seq = range.end;
    }
    // Swallow the ranges the new bytes cover entirely.
    let j = i;
    if (j < ranges.length && ranges[j]!.end === seq) j++; // the range we extend, if any
    while (j < ranges.length && seqLe(ranges[j]!.end, end)) {
      this.bytes -= seqDiff(ranges[j]!.end, ranges[j]!.seq);
      ranges.splice(j, 1);
    }
    // Trim the tail against the range after.
    if (j < ranges.length && seqLt(ranges[j]!.seq, end)) {
      data = data.subarray(0, seqDiff(ranges[j]!.seq, seq));
      end = ranges[j]!.seq;
    }
    if (data.length === 0) return true;
    const before = i < ranges.length && ranges[i]!.end === seq ? ranges[i]! : undefined;
    const afterIndex = before ? i + 1 : i;
    const after = afterIndex < ranges.length && ranges[afterIndex]!.seq === end ? ranges[afterIndex]! : undefined;
    const copy = data.slice();
    this.bytes += copy.length;
    if (before && after) {
      before.chunks.push(copy, ...after.chunks);
      before.end = after.end;
      ranges.splice(afterIndex, 1);
    } else if (before) {
      before.chunks.push(copy);
      before.end = end;
    } else if (after) {
      after.chunks.unshift(copy);
      after.seq = seq;
    } else {
      if (ranges.length >= this.maxRanges) {
        this.bytes -= copy.length;
        return false;
      }
      ranges.splice(afterIndex, 0, { seq, end, chunks: [copy] });
    }
    return true;
  }

  /**
   * Hands the held bytes that continue from `rcvNxt` to `deliver`, in order, and forgets them;
   * returns the new RCV.NXT.
   */
  pop(rcvNxt: number, deliver: (data: Uint8Array) => void): number {
    const ranges = this.#ranges;
    let n = 0;
    while (n < ranges.length) {
      const range = ranges[n]!;
      if (seqGt(range.seq, rcvNxt)) break;
      if (seqGt(range.end, rcvNxt)) {
        let at = range.seq;
        for (const chunk of range.chunks) {
          const chunkEnd = seqAdd(at, chunk.length);
          if (seqGt(chunkEnd, rcvNxt)) deliver(seqGe(at, rcvNxt) ? chunk : chunk.subarray(seqDiff(rcvNxt, at)));
          at = chunkEnd;
        }
        rcvNxt = range.end;
      }
      this.bytes -= seqDiff(range.end, range.seq);
      n++;
    }
    if (n > 0) ranges.splice(0, n);
    return rcvNxt;
  }

  /**
   * Writes up to `max` held ranges as SACK blocks (left, right pairs) into `out`; returns how many.
   * RFC 2018 §4: the first block is the one holding `recent` (the latest segment that arrived), the
   * others follow in sequence order.
   */
  blocks(out: number[], max: number, recent: number): number {
    const ranges = this.#ranges;
    let count = 0;
    let first = -1;
    for (let i = 0; i < ranges.length; i++) {
      const range = ranges[i]!;
      if (seqLe(range.seq, recent) && seqLt(recent, range.end)) {
        first = i;
        out[0] = range.seq;
        out[1] = range.end;
        count = 1;
        break;
      }
    }
    for (let i = 0; i < ranges.length && count < max; i++) {
      if (i === first) continue;
      out[2 * count] = ranges[i]!.seq;
      out[2 * count + 1] = ranges[i]!.end;
      count++;
    }
    return count;
  }

  clear(): void {
    this.#ranges = [];
    this.bytes = 0;
  }
}
