/**
 * @module host/tender/console
 * The host side of a unikernel's console: bytes from `console.write` are cut into whole lines per
 * stream, admitted through the unikernel's console limits (console-limits.ts) and handed to a
 * `ConsoleSink` with the unikernel's name and the time. Everything a guest can make the tender do
 * here is bounded:
 *
 * - a line is assembled in at most `MAX_LINE` bytes: a longer one is emitted as its head, marked
 *   as cut, and the rest of it is skipped (counted, never decoded) up to its newline;
 * - lines over the rate are dropped before they are decoded, and counted;
 * - a sink that cannot take a line (its reader is behind: a stalled pipe, a busy control thread)
 *   says so, and the line is dropped and counted too.
 *
 * Drops are reported by the tender itself, at most once a second while they last and once more
 * as the unikernel ends, as one line on the error stream:
 * `tsuki: 12,345 console lines of web dropped (rate 1,000/s, burst 5,000)`. Bytes are decoded as
 * UTF-8 per line (a character split across writes is whole again), invalid bytes as U+FFFD.
 * A line may be rewritten before it goes out: the tender maps the stack frames of an image with a
 * source map back to the developer's files (source-map.ts).
 */

import { Buffer } from "node:buffer";
import { CONSOLE_DEFAULTS, type ConsoleLimits, MAX_LINE, TokenBucket, describeLimits, lineCost } from "./console-limits.ts";

export interface ConsoleLine {
  readonly unikernel: string;
  /** 1: output, 2: errors. */
  readonly stream: 1 | 2;
  readonly text: string;
  /** Wall-clock time in ms since the epoch. */
  readonly time: number;
  /** Written by the tender about the unikernel (a drop notice), not by the guest. */
  readonly tender?: true;
}

/** Where console lines go: a terminal, a ring buffer, a log. */
export interface ConsoleSink {
  /** Takes a line; returns false when it cannot (its reader is behind), and the line is dropped. */
  line(line: ConsoleLine): boolean | void;
}

/** What a unikernel's console has carried, and what the tender dropped or cut of it. */
export interface ConsoleCounts {
  /** Lines handed to the sink. */
  readonly lines: number;
  /** Their bytes (UTF-8, without newlines). */
  readonly bytes: number;
  /** Lines dropped over the rate and burst. */
  readonly droppedRate: number;
  /** Lines dropped because the sink's reader was behind. */
  readonly droppedBacklog: number;
  /** Lines cut at MAX_LINE bytes. */
  readonly truncated: number;
}

export const NO_CONSOLE_COUNTS: ConsoleCounts = { lines: 0, bytes: 0, droppedRate: 0, droppedBacklog: 0, truncated: 0 };

const NEWLINE = 0x0a;
/**
 * The host realm's own methods, called on the bytes: native, and reading no property the guest
 * could have replaced (the unix target's bytes are of the guest's realm). Buffer's UTF-8 slice
 * takes any Uint8Array; this is about a third cheaper a line than making a Buffer over each write.
 */
const indexOf = Uint8Array.prototype.indexOf;
const subarray = Uint8Array.prototype.subarray;
const lengthOf = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, "length")!.get!;
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice(this: Uint8Array, start: number, end: number): string }).utf8Slice;
/** How often, at most, a drop notice is written while drops go on. */
const NOTICE_MS = 1000;
/** Appended to the head of a line that was cut. */
const CUT = ` … [cut at ${MAX_LINE / 1024} KiB]`;

/** One stream's line being assembled. */
interface Partial {
  /** Bytes of the line so far, up to MAX_LINE; made on first use. */
  buffer: Uint8Array | undefined;
  length: number;
  /** The head was emitted at MAX_LINE; the rest of the line is being skipped. */
  cutting: boolean;
}

export interface ConsoleOptions {
  readonly limits?: ConsoleLimits;
  /** Monotonic ms since `performance.timeOrigin` (the tender's clock, read once a write: it also dates the lines); `performance.now` by default. */
  readonly now?: () => number;
  /** How often, at most, a drop notice is written while drops go on (tests shorten it). */
  readonly noticeMs?: number;
  /** Rewrites a line before it goes out (stack frames mapped to the developer's files). */
  readonly rewrite?: (text: string) => string;
}

export class ConsoleLines {
  readonly limits: ConsoleLimits;
  #name: string;
  #sink: ConsoleSink;
  #now: () => number;
  #bucket: TokenBucket;
  #partials: [Partial, Partial] = [
    { buffer: undefined, length: 0, cutting: false },
    { buffer: undefined, length: 0, cutting: false },
  ];
  #counts = { lines: 0, bytes: 0, droppedRate: 0, droppedBacklog: 0, truncated: 0 };
  /** Drops not yet told in a notice. */
  #untold = { rate: 0, backlog: 0 };
  #notice: NodeJS.Timeout | undefined;
  #noticeMs: number;
  #closed = false;
  #rewrite: ((text: string) => string) | undefined;

  constructor(name: string, sink: ConsoleSink, options: ConsoleOptions = {}) {
    this.#name = name;
    this.#sink = sink;
    this.limits = options.limits ?? CONSOLE_DEFAULTS;
    this.#now = options.now ?? (() => performance.now());
    this.#noticeMs = options.noticeMs ?? NOTICE_MS;
    this.#rewrite = options.rewrite;
    this.#bucket = new TokenBucket(this.limits, this.#now());
  }

  counts(): ConsoleCounts {
    return { ...this.#counts };
  }

  write(stream: 1 | 2, bytes: Uint8Array): void {
    if (this.#closed) return;
    const length = lengthOf.call(bytes) as number;
    const partial = this.#partials[stream - 1]!;
    const now = this.#now();
    for (let at = 0; at < length; ) {
      if (partial.length === 0 && !partial.cutting && this.#bucket.empty(now)) {
        // Nothing more can pass during this write: its whole lines are dropped without being looked at.
        at = this.#dropLines(bytes, at, length);
        if (at === length) break;
      }
      const nl = indexOf.call(bytes, NEWLINE, at);
      const end = nl < 0 ? length : nl;
      if (nl >= 0 && partial.length === 0 && !partial.cutting && end - at <= MAX_LINE) {
        // The common case: a whole line in this write, nothing before it.
        this.#line(stream, bytes, at, end, false, now);
      } else {
        this.#append(stream, partial, bytes, at, end, now);
        if (nl >= 0) {
          if (!partial.cutting) this.#line(stream, partial.buffer!, 0, partial.length, false, now);
          partial.length = 0;
          partial.cutting = false;
        }
      }
      if (nl < 0) break;
      at = nl + 1;
    }
  }

  /** Emits what is left of unfinished lines and the last drop notice (the unikernel has ended); later writes are ignored. */
  flush(): void {
    if (this.#closed) return;
    const now = this.#now();
    for (const stream of [1, 2] as const) {
      const partial = this.#partials[stream - 1]!;
      if (partial.length > 0 && !partial.cutting) this.#line(stream, partial.buffer!, 0, partial.length, false, now);
      partial.buffer = undefined;
      partial.length = 0;
      partial.cutting = false;
    }
    this.#closed = true;
    if (this.#notice !== undefined) clearTimeout(this.#notice);
    this.#notice = undefined;
    this.#tell();
  }

  /** Counts the whole lines of bytes[from, length) as dropped; returns where the last of them ends. */
  #dropLines(bytes: Uint8Array, from: number, length: number): number {
    let at = from;
    let dropped = 0;
    for (let nl = indexOf.call(bytes, NEWLINE, at); nl >= 0; nl = indexOf.call(bytes, NEWLINE, at)) {
      dropped++;
      at = nl + 1;
    }
    if (dropped > 0) {
      this.#counts.droppedRate += dropped;
      this.#untold.rate += dropped;
      this.#noticeLater();
    }
    return at;
  }

  /** Adds bytes to a line being assembled; past MAX_LINE its head goes out, cut, and the rest is skipped. */
  #append(stream: 1 | 2, partial: Partial, bytes: Uint8Array, from: number, to: number, now: number): void {
    if (partial.cutting || from === to) return;
    const buffer = (partial.buffer ??= new Uint8Array(MAX_LINE));
    const room = MAX_LINE - partial.length;
    buffer.set(subarray.call(bytes, from, Math.min(to, from + room)) as Uint8Array, partial.length);
    if (to - from <= room) {
      partial.length += to - from;
      return;
    }
    this.#counts.truncated++;
    this.#line(stream, buffer, 0, charBoundary(buffer, MAX_LINE), true, now);
    partial.cutting = true;
    partial.length = 0;
  }

  /** One line (bytes[from, to)) through the limits to the sink. */
  #line(stream: 1 | 2, bytes: Uint8Array, from: number, to: number, cut: boolean, now: number): void {
    if (!this.#bucket.take(lineCost(to - from), now)) {
      this.#counts.droppedRate++;
      this.#untold.rate++;
      this.#noticeLater();
      return;
    }
    if (to > from && bytes[to - 1] === 0x0d) to--;
    const raw = utf8Slice.call(bytes, from, to);
    const text = this.#rewrite === undefined ? raw : this.#rewrite(raw);
    if (this.#sink.line({ unikernel: this.#name, stream, text: cut ? text + CUT : text, time: Math.round(performance.timeOrigin + now) }) === false) {
      this.#counts.droppedBacklog++;
      this.#untold.backlog++;
      this.#noticeLater();
      return;
    }
    this.#counts.lines++;
    this.#counts.bytes += to - from;
  }

  #noticeLater(): void {
    this.#notice ??= setTimeout(() => {
      this.#notice = undefined;
      this.#tell();
    }, this.#noticeMs).unref();
  }

  /** Writes the drop notice for what was dropped since the last one; kept for later if the sink cannot take it either. */
  #tell(): void {
    const { rate, backlog } = this.#untold;
    if (rate === 0 && backlog === 0) return;
    const parts: string[] = [];
    if (rate > 0) parts.push(`${count(rate)} console line${rate === 1 ? "" : "s"} of ${this.#name} dropped (${describeLimits(this.limits)})`);
    if (backlog > 0) parts.push(`${count(backlog)} console line${backlog === 1 ? "" : "s"} of ${this.#name} dropped: the reader of the tender's output is behind`);
    const taken = this.#sink.line({ unikernel: this.#name, stream: 2, text: `tsuki: ${parts.join("; ")}`, time: Date.now(), tender: true });
    if (taken === false) {
      if (!this.#closed) this.#noticeLater();
      return;
    }
    this.#untold = { rate: 0, backlog: 0 };
  }
}

const count = (n: number) => n.toLocaleString("en-US");

/** Where to cut `bytes[0, end)` so that no UTF-8 character is split: before the character that `end` would cut, if any. */
export function charBoundary(bytes: Uint8Array, end: number): number {
  let lead = end - 1;
  while (lead > 0 && lead > end - 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  const b = bytes[lead]!;
  const size = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + size > end ? lead : end;
}
