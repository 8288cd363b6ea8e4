/**
 * @module guest/web/url/idna-tables
 * Lookups over idna-data.ts: each table is decoded on first use into run starts and values, then
 * answered by binary search, so an image whose URLs are all ASCII never decodes them.
 */

import { BIDI, EXCEPTIONS, JOINING, MARKS, STATUS, VIRAMAS } from "./idna-data.ts";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
const DIGIT = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/** Reads the varints of scripts/gen-idna-data.ts one after another. */
function* varints(text: string): Generator<number> {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = DIGIT[text.charCodeAt(i)]!;
    n = n * 32 + (d & 31);
    if ((d & 32) === 0) {
      yield n;
      n = 0;
    }
  }
}

interface Runs {
  starts: Uint32Array;
  values: Uint8Array;
}

function decodeRuns(text: string): Runs {
  const numbers = [...varints(text)];
  const starts = new Uint32Array(numbers.length / 2);
  const values = new Uint8Array(numbers.length / 2);
  for (let i = 0, cp = 0; i < numbers.length; i += 2) {
    starts[i / 2] = cp;
    values[i / 2] = numbers[i + 1]!;
    cp += numbers[i]!;
  }
  return { starts, values };
}

function lookup(runs: Runs, cp: number): number {
  let lo = 0;
  let hi = runs.starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs.starts[mid]! <= cp) lo = mid;
    else hi = mid - 1;
  }
  return runs.values[lo]!;
}

function lazyRuns(text: string): (cp: number) => number {
  let runs: Runs | undefined;
  return (cp) => lookup((runs ??= decodeRuns(text)), cp);
}

let exceptions: Map<number, string> | undefined;

function decodeExceptions(): Map<number, string> {
  const map = new Map<number, string>();
  const numbers = varints(EXCEPTIONS);
  let cp = -1;
  for (;;) {
    const gap = numbers.next();
    if (gap.done) return map;
    cp += gap.value + 1;
    const count = numbers.next().value as number;
    if (count === 0) map.set(cp, String.fromCodePoint(cp));
    else {
      let text = "";
      for (let i = 0; i < count; i++) text += String.fromCodePoint(numbers.next().value as number);
      map.set(cp, text);
    }
  }
}

export const STATUS_DISALLOWED = 1;
export const STATUS_IGNORED = 2;

/** 0 (mapped or valid: see `mapped`), 1 disallowed, 2 ignored. */
export const statusOf = lazyRuns(STATUS);

/** UTS #46's mapping of a code point whose status is 0: itself when it is valid. */
export function mapped(cp: number): string {
  const text = String.fromCodePoint(cp);
  return (exceptions ??= decodeExceptions()).get(cp) ?? text.normalize("NFKC").toLowerCase();
}

export const BIDI_L = 1;
export const BIDI_RAL = 2;
export const BIDI_AN = 3;
export const BIDI_EN = 4;
export const BIDI_NEUTRAL = 5;
export const BIDI_NSM = 6;
/** Bidi_Class in the groups RFC 5893 cares about (idna-data.ts, BIDI). */
export const bidiOf = lazyRuns(BIDI);

export const JOINING_L = 1;
export const JOINING_D = 2;
export const JOINING_R = 3;
export const JOINING_T = 4;
export const joiningOf = lazyRuns(JOINING);

export const isMark = lazyRuns(MARKS);
export const isVirama = lazyRuns(VIRAMAS);
