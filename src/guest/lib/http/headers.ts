/**
 * @module tsuki/http/headers
 * `Headers` (Fetch Standard §5.2) for a bare isolate: names are case-insensitive tokens, values are
 * byte strings with leading and trailing whitespace removed and no NUL, CR or LF, so nothing a
 * handler sets can split a response head. `get` joins repeated fields with ", "; `getSetCookie`
 * keeps `Set-Cookie` apart; iteration is sorted by name (the standard's "sort and combine").
 * There are no guards: every `Headers` is mutable.
 */

export type HeadersInit = Headers | Iterable<readonly [string, string] | readonly string[]> | Record<string, string>;

/** RFC 9110 §5.6.2 token. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A normalised value: no NUL, CR or LF, and only code units ≤ 0xFF (a ByteString). */
const INVALID_VALUE = /[\u0000\r\n\u0100-\uffff]/;

function checkName(name: unknown): string {
  const text = String(name);
  if (!TOKEN.test(text)) throw new TypeError(`Headers: ${JSON.stringify(text)} is not a valid header name`);
  return text.toLowerCase();
}

function checkValue(name: string, value: unknown): string {
  const text = trimHttpWhitespace(String(value));
  if (INVALID_VALUE.test(text)) throw new TypeError(`Headers: the value of "${name}" holds a character that is not allowed (NUL, CR, LF or one above U+00FF)`);
  return text;
}

const isHttpWhitespace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Fetch's "normalize": leading and trailing HTTP whitespace removed, by a loop (a regular expression would be quadratic). */
function trimHttpWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isHttpWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isHttpWhitespace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

let appendTrusted: (headers: Headers, name: string, value: string) => void;

export class Headers {
  /** Lower-case name → its values, in the order they were added. */
  #fields = new Map<string, string[]>();

  static {
    appendTrusted = (headers, name, value) => headers.#add(name, value);
  }

  constructor(init?: HeadersInit) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [name, values] of init.#fields) this.#fields.set(name, values.slice());
    } else if (typeof init === "object" && typeof (init as Iterable<unknown>)[Symbol.iterator] === "function") {
      for (const pair of init as Iterable<readonly string[]>) {
        const items = [...pair];
        if (items.length !== 2) throw new TypeError("Headers: each header must be a [name, value] pair");
        this.append(items[0]!, items[1]!);
      }
    } else if (typeof init === "object") {
      for (const key of Reflect.ownKeys(init)) {
        if (typeof key !== "string" || !Object.prototype.propertyIsEnumerable.call(init, key)) continue;
        this.append(key, (init as Record<string, string>)[key]!);
      }
    } else {
      throw new TypeError("Headers: the init must be a Headers, an iterable of pairs or a record");
    }
  }

  append(name: string, value: string): void {
    const key = checkName(name);
    this.#add(key, checkValue(key, value));
  }

  delete(name: string): void {
    this.#fields.delete(checkName(name));
  }

  get(name: string): string | null {
    return this.#fields.get(checkName(name))?.join(", ") ?? null;
  }

  getSetCookie(): string[] {
    return this.#fields.get("set-cookie")?.slice() ?? [];
  }

  has(name: string): boolean {
    return this.#fields.has(checkName(name));
  }

  set(name: string, value: string): void {
    const key = checkName(name);
    this.#fields.set(key, [checkValue(key, value)]);
  }

  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this) callback.call(thisArg, value, name, this);
  }

  *entries(): IterableIterator<[string, string]> {
    const names = [...this.#fields.keys()].sort();
    for (const name of names) {
      const values = this.#fields.get(name);
      if (values === undefined) continue;
      if (name === "set-cookie") for (const value of values) yield [name, value];
      else yield [name, values.join(", ")];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return "Headers";
  }

  #add(name: string, value: string): void {
    const values = this.#fields.get(name);
    if (values === undefined) this.#fields.set(name, [value]);
    else values.push(value);
  }
}

/** @internal Appends a field the HTTP parser has already validated (lower-case name, clean value). */
export function appendValidated(headers: Headers, name: string, value: string): void {
  appendTrusted(headers, name, value);
}
