/**
 * @module guest/web/common/webidl
 * The few WebIDL conversions the web globals share (WebIDL §3.2), so that every constructor and
 * method converts its arguments as browsers, Node and Deno do: a missing required argument and a
 * dictionary that is not an object are TypeErrors, a Symbol is never silently a string, and a
 * USVString has no lone surrogates.
 */

/** Throws the TypeError WebIDL gives when fewer than `needed` arguments were passed. */
export function requireArgs(given: number, needed: number, where: string): void {
  if (given < needed) throw new TypeError(`${where}: ${needed} argument${needed === 1 ? "" : "s"} required, but only ${given} present`);
}

/** DOMString: `String(value)` except that a Symbol throws, as template literals do. */
export function toDOMString(value: unknown): string {
  return `${value as string}`;
}

/** USVString: a DOMString with each lone surrogate replaced by U+FFFD. */
export function toUSVString(value: unknown): string {
  return toDOMString(value).toWellFormed();
}

/** ByteString: a DOMString whose code units are all ≤ 0xFF, else a TypeError. */
export function toByteString(value: unknown, where: string): string {
  const text = toDOMString(value);
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) throw new TypeError(`${where}: ${JSON.stringify(text)} holds a character above U+00FF, which a ByteString cannot`);
  }
  return text;
}

/** A dictionary argument: undefined and null are empty, anything but an object is a TypeError. */
export function toDictionary(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" && typeof value !== "function") throw new TypeError(`${where}: the options must be an object`);
  return value as Record<string, unknown>;
}

/** `unsigned long long` with [EnforceRange]: an integer 0 … 2^53−1, else a TypeError. */
export function toEnforcedULongLong(value: unknown, where: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`${where}: ${String(value)} is not a finite number`);
  const integer = Math.trunc(n);
  if (integer < 0 || integer > Number.MAX_SAFE_INTEGER) throw new TypeError(`${where}: ${integer} is outside 0 … 2^53−1`);
  return integer;
}

/** Defines read-only, enumerable constants on a constructor and its prototype (WebIDL §3.7.5). */
export function defineConstants(target: { prototype: object }, constants: Record<string, number>): void {
  for (const [name, value] of Object.entries(constants)) {
    const descriptor = { value, writable: false, enumerable: true, configurable: false };
    Object.defineProperty(target, name, descriptor);
    Object.defineProperty(target.prototype, name, descriptor);
  }
}

/** Makes the listed accessors and methods of a class's prototype enumerable, as WebIDL attributes and operations are. */
export function enumerable(target: { prototype: object }, names: readonly string[]): void {
  for (const name of names) {
    const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
    if (descriptor !== undefined) Object.defineProperty(target.prototype, name, { ...descriptor, enumerable: true });
  }
}

/** `Symbol.toStringTag` on a prototype, as WebIDL gives every interface. */
export function toStringTag(target: { prototype: object }, tag: string): void {
  Object.defineProperty(target.prototype, Symbol.toStringTag, { value: tag, configurable: true });
}
