/**
 * @module guest/runtime/intl-charges
 * `Intl` inside --mem. Each Intl object holds ICU objects that V8 allocates outside its heap and
 * does not count (a DateTimeFormat: ~26 KiB of ICU behind ~150 bytes of heap; 16 MiB of heap
 * held 2.6 GB of them). Each constructor and each method that makes such an object charges it
 * to the heap guard while it lives, at the sizes measured here (V8 13.6, ICU 77; rounded up);
 * one that does not fit throws a RangeError. Locale-sensitive methods given locales or options
 * build a formatter per call and drop it (~4 KiB each, freed only by a GC V8 does not know to
 * hurry): they report pressure, so that the next full GC comes within a few MiB of garbage.
 * `Intl.v8BreakIterator`, V8's non-standard predecessor of Intl.Segmenter, is removed.
 */

import type { Ledger } from "./memory.ts";

const KIB = 1024;

/** Bytes outside the heap per object (measured RSS growth per retained object, rounded up). */
const CONSTRUCTED: Record<string, number> = {
  Collator: 2 * KIB,
  DateTimeFormat: 32 * KIB,
  DisplayNames: 1 * KIB,
  DurationFormat: 1 * KIB,
  ListFormat: 1 * KIB,
  Locale: 1 * KIB,
  NumberFormat: 2 * KIB,
  PluralRules: 2 * KIB,
  RelativeTimeFormat: 8 * KIB,
  Segmenter: 8 * KIB,
};
const SEGMENTS = 4 * KIB;
const SEGMENT_ITERATOR = 6 * KIB;
/** Pressure per locale-sensitive call with locales or options: ~15x its ~4 KiB, so that V8's 64 MiB external-memory trigger comes every ~1000 calls. */
const PER_CALL_PRESSURE = 64 * KIB;

export function limitIntl(global: typeof globalThis, ledger: Ledger): void {
  const intl = (global as unknown as { Intl?: Record<string, unknown> }).Intl;
  if (typeof intl !== "object" || intl === null) return;
  const { apply, construct, defineProperty, getOwnPropertyDescriptor, getPrototypeOf } = Reflect;
  const { has: weakHas, set: weakSet } = WeakMap.prototype;
  const tokens = new WeakMap<object, object>();

  /** Charges `bytes` to `object` while it lives; throws RangeError if they do not fit. */
  const charge = (object: unknown, bytes: number, what: string): void => {
    if ((typeof object !== "object" && typeof object !== "function") || object === null || apply(weakHas, tokens, [object])) return;
    const token = ledger.charge(bytes);
    if (token === null) throw new RangeError(`${what}: out of memory: its ${bytes / KIB} KiB outside the heap do not fit what is left of --mem`);
    apply(weakSet, tokens, [object, token]);
  };

  /** Replaces method `key` of `target` with one that passes its result (or its call) through `after`. */
  const wrapMethod = (target: object, key: string | symbol, after: (result: unknown, args: unknown[]) => void): void => {
    const original = getOwnPropertyDescriptor(target, key);
    if (original === undefined || typeof original.value !== "function") return;
    const f = original.value as Function;
    const wrapped = {
      [key](this: unknown, ...args: unknown[]) {
        const result = apply(f, this, args);
        after(result, args);
        return result;
      },
    }[key as string]!;
    defineProperty(wrapped, "length", { value: f.length, configurable: true });
    defineProperty(target, key, { ...original, value: wrapped });
  };

  const OriginalSegmenter = intl.Segmenter as (new () => { segment(s: string): object }) | undefined;
  const segmentsPrototype = OriginalSegmenter === undefined ? undefined : getPrototypeOf(new OriginalSegmenter().segment(""));

  for (const name of Object.keys(CONSTRUCTED)) {
    const Original = intl[name];
    if (typeof Original !== "function") continue;
    const bytes = CONSTRUCTED[name]!;
    const what = `Intl.${name}`;
    const Wrapper = function (this: unknown, ...args: unknown[]) {
      // DateTimeFormat, NumberFormat and Collator may be called without new (ECMA-402 legacy); V8 refuses it for the rest.
      const made = new.target === undefined ? apply(Original as Function, this, args) : construct(Original as Function, args, new.target);
      charge(made, bytes, what);
      return made;
    };
    for (const key of Reflect.ownKeys(Original)) {
      if (key !== "prototype" && key !== "name" && key !== "length") defineProperty(Wrapper, key, getOwnPropertyDescriptor(Original, key)!);
    }
    defineProperty(Wrapper, "name", { value: name, configurable: true });
    defineProperty(Wrapper, "length", { value: (Original as Function).length, configurable: true });
    defineProperty(Wrapper, "prototype", { value: (Original as Function).prototype, writable: false, enumerable: false, configurable: false });
    defineProperty((Original as Function).prototype, "constructor", { value: Wrapper, writable: true, enumerable: false, configurable: true });
    defineProperty(intl, name, { value: Wrapper, writable: true, enumerable: false, configurable: true });
  }

  if (OriginalSegmenter !== undefined && segmentsPrototype !== null && segmentsPrototype !== undefined) {
    wrapMethod(OriginalSegmenter.prototype, "segment", (segments) => charge(segments, SEGMENTS, "Intl.Segmenter.prototype.segment"));
    wrapMethod(segmentsPrototype, Symbol.iterator, (iterator) => charge(iterator, SEGMENT_ITERATOR, "Intl.Segmenter segments' iterator"));
  }
  const Locale = intl.Locale as { prototype: object } | undefined;
  if (Locale !== undefined) {
    for (const method of ["maximize", "minimize"]) wrapMethod(Locale.prototype, method, (locale) => charge(locale, CONSTRUCTED.Locale!, `Intl.Locale.prototype.${method}`));
  }
  delete intl.v8BreakIterator;

  // Locale-sensitive methods of other built-ins: with locales or options, a formatter per call.
  const pressure = (_: unknown, args: unknown[]) => {
    if (args[0] !== undefined || args[1] !== undefined || args[2] !== undefined) ledger.pressure(PER_CALL_PRESSURE);
  };
  for (const method of ["toLocaleString", "toLocaleDateString", "toLocaleTimeString"]) wrapMethod(Date.prototype, method, pressure);
  wrapMethod(Number.prototype, "toLocaleString", pressure);
  wrapMethod(BigInt.prototype, "toLocaleString", pressure);
  for (const method of ["localeCompare", "toLocaleLowerCase", "toLocaleUpperCase"]) wrapMethod(String.prototype, method, (_, args) => pressure(_, method === "localeCompare" ? [args[1], args[2]] : args));
}
