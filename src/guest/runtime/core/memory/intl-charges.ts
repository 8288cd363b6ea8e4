/**
 * @module guest/runtime/core/memory/intl-charges
 * `Intl` inside --mem. Each Intl object holds ICU objects that V8 allocates outside its heap and
 * does not count (a DateTimeFormat: ~26 KiB of ICU behind ~150 bytes of heap; 16 MiB of heap
 * held 2.6 GB of them). Each constructor and each method that makes such an object charges it
 * to the heap guard while it lives, at the sizes measured here (V8 13.6, ICU 77; rounded up);
 * one that does not fit throws a RangeError. Locale-sensitive methods given locales or options
 * build a formatter per call and drop it (~4 KiB each, freed only by a GC V8 does not know to
 * hurry): they report pressure, so that the next full GC comes within a few MiB of garbage.
 * `Intl.v8BreakIterator`, V8's non-standard predecessor of Intl.Segmenter, is removed. The
 * constructors are replaced when a guest first reads `Intl` (limits.ts): done for every
 * unikernel, it cost each idle one ~25 KiB, and most never use Intl.
 */

import type { Ledger } from "./ledger.ts";

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
const NAMES = Object.freeze(Object.keys(CONSTRUCTED));
const SEGMENTS = 4 * KIB;
const SEGMENT_ITERATOR = 6 * KIB;
/** Pressure per locale-sensitive call with locales or options: ~15x its ~4 KiB, so that V8's 64 MiB external-memory trigger comes every ~1000 calls. */
const PER_CALL_PRESSURE = 64 * KIB;

// Taken when the runtime script runs, before any guest code: the constructors are wrapped later,
// when a guest first reads `Intl` (limits.ts), after it may have patched these.
const { apply, construct, defineProperty, getOwnPropertyDescriptor, getPrototypeOf, ownKeys } = Reflect;
const { has: weakHas, set: weakSet } = WeakMap.prototype;
const WeakMapCtor = WeakMap;

/** Locale-sensitive methods of Date, Number, BigInt and String: pressure per call with locales or options. */
export function limitLocaleMethods(ledger: Ledger): void {
  wrapLocaleMethods(ledger, apply, defineProperty, getOwnPropertyDescriptor);
}

/** Charges every Intl object while it lives; run when a guest first reads `Intl` (limits.ts). */
export function limitIntl(intl: unknown, ledger: Ledger): void {
  if (typeof intl === "object" && intl !== null) wrapConstructors(intl as Record<string, unknown>, ledger);
}

type Apply = typeof Reflect.apply;
type Define = typeof Reflect.defineProperty;
type Describe = typeof Reflect.getOwnPropertyDescriptor;

/** Replaces method `key` of `target` with one that passes its result (and arguments) to `after`. */
function wrapMethod(target: object, key: string | symbol, after: (result: unknown, args: unknown[]) => void, apply: Apply, defineProperty: Define, getOwnPropertyDescriptor: Describe): void {
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
}

/** Locale-sensitive methods of other built-ins: with locales or options, they make a formatter per call. */
function wrapLocaleMethods(ledger: Ledger, apply: Apply, defineProperty: Define, getOwnPropertyDescriptor: Describe): void {
  const pressure = (_: unknown, args: unknown[]) => {
    if (args[0] !== undefined || args[1] !== undefined) ledger.pressure(PER_CALL_PRESSURE);
  };
  const wrap = (target: object, key: string, after: (result: unknown, args: unknown[]) => void) => wrapMethod(target, key, after, apply, defineProperty, getOwnPropertyDescriptor);
  for (const method of ["toLocaleString", "toLocaleDateString", "toLocaleTimeString"]) wrap(Date.prototype, method, pressure);
  wrap(Number.prototype, "toLocaleString", pressure);
  wrap(BigInt.prototype, "toLocaleString", pressure);
  for (const method of ["toLocaleLowerCase", "toLocaleUpperCase"]) wrap(String.prototype, method, pressure);
  wrap(String.prototype, "localeCompare", (_, args) => pressure(_, [args[1], args[2]]));
}

/** Charges every Intl object while it lives (see the module comment). */
function wrapConstructors(intl: Record<string, unknown>, ledger: Ledger): void {
  const tokens = new WeakMapCtor<object, object>();
  const OriginalSegmenter = intl.Segmenter as { prototype: object } | undefined;
  const wrap = (target: object, key: string | symbol, after: (result: unknown) => void) => wrapMethod(target, key, after, apply, defineProperty, getOwnPropertyDescriptor);

  /** Charges `bytes` to `object` while it lives; throws RangeError if they do not fit. */
  const charge = (object: unknown, bytes: number, what: string): void => {
    if ((typeof object !== "object" && typeof object !== "function") || object === null || apply(weakHas, tokens, [object])) return;
    const token = ledger.charge(bytes);
    if (token === null) throw new RangeError(`${what}: out of memory: its ${bytes / KIB} KiB outside the heap do not fit what is left of --mem`);
    apply(weakSet, tokens, [object, token]);
  };

  for (let i = 0; i < NAMES.length; i++) {
    const name = NAMES[i]!;
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
    const keys = ownKeys(Original);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      if (key !== "prototype" && key !== "name" && key !== "length") defineProperty(Wrapper, key, getOwnPropertyDescriptor(Original, key)!);
    }
    defineProperty(Wrapper, "name", { value: name, configurable: true });
    defineProperty(Wrapper, "length", { value: (Original as Function).length, configurable: true });
    defineProperty(Wrapper, "prototype", { value: (Original as Function).prototype, writable: false, enumerable: false, configurable: false });
    defineProperty((Original as Function).prototype, "constructor", { value: Wrapper, writable: true, enumerable: false, configurable: true });
    defineProperty(intl, name, { value: Wrapper, writable: true, enumerable: false, configurable: true });
  }

  if (OriginalSegmenter !== undefined) {
    // The segments' prototype is found from the first one made: making one now would cost every unikernel ICU's break data.
    let iterators = false;
    wrap(OriginalSegmenter.prototype, "segment", (segments) => {
      charge(segments, SEGMENTS, "Intl.Segmenter.prototype.segment");
      if (iterators) return;
      iterators = true;
      wrap(getPrototypeOf(segments as object)!, Symbol.iterator, (iterator) => charge(iterator, SEGMENT_ITERATOR, "Intl.Segmenter segments' iterator"));
    });
  }
  const Locale = intl.Locale as { prototype: object } | undefined;
  if (Locale !== undefined) {
    wrap(Locale.prototype, "maximize", (locale) => charge(locale, CONSTRUCTED.Locale!, "Intl.Locale.prototype.maximize"));
    wrap(Locale.prototype, "minimize", (locale) => charge(locale, CONSTRUCTED.Locale!, "Intl.Locale.prototype.minimize"));
  }
  delete intl.v8BreakIterator;
}
