/**
 * @module guest/web/fetch/headers
 * `Headers` (Fetch Standard §5.2): names are case-insensitive tokens; values are ByteStrings with
 * leading and trailing HTTP whitespace removed and no NUL, CR or LF, so nothing a handler sets can
 * split a response head. `get` joins repeated fields with ", "; `getSetCookie` keeps `Set-Cookie`
 * apart; iteration is sorted by name and combined (§5.2 "sort and combine"), and live: each step
 * reads the list as it is then. The headers of `Response.error()` and `Response.redirect()` are
 * immutable; there are no forbidden names (servers and runtimes apply none, as WinterTC says).
 */

import { enumerable, requireArgs, toByteString, toStringTag } from "../common/webidl.ts";

export type HeadersInit = Headers | Iterable<readonly [string, string] | readonly string[]> | Record<string, string>;

/** RFC 9110 §5.6.2 token. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const INVALID_VALUE = /[\u0000\r\n]/;

function checkName(name: unknown): string {
  const text = toByteString(name, "Headers");
  if (!TOKEN.test(text)) throw new TypeError(`Headers: ${JSON.stringify(text)} is not a valid header name`);
  return text.toLowerCase();
}

function checkValue(name: string, value: unknown): string {
  const text = trimHttpWhitespace(toByteString(value, "Headers"));
  if (INVALID_VALUE.test(text)) throw new TypeError(`Headers: the value of "${name}" holds NUL, CR or LF, which a header value cannot`);
  return text;
}

const isHttpWhitespace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Fetch's "normalize": leading and trailing HTTP whitespace removed, by a loop (a regular expression would be quadratic). */
function trimHttpWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isHttpWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isHttpWhitespace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

interface State {
  /** Lower-case name → its values, in the order they were added. */
  fields: Map<string, string[]>;
  immutable: boolean;
  /** The sorted and combined list, kept until the next change. */
  sorted: [string, string][] | null;
}

let stateOf: (headers: Headers) => State;

export class Headers {
  #state: State = { fields: new Map(), immutable: false, sorted: null };

  static {
    stateOf = (headers) => {
      if (typeof headers !== "object" || headers === null || !(#state in headers)) throw new TypeError("Illegal invocation: not a Headers");
      return headers.#state;
    };
  }

  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    if (typeof init !== "object" || init === null) throw new TypeError("Headers: the init must be a Headers, a sequence of pairs or a record");
    if (#state in init) {
      for (const [name, values] of init.#state.fields) this.#state.fields.set(name, values.slice());
      return;
    }
    const iterator = (init as Iterable<unknown>)[Symbol.iterator];
    if (iterator !== undefined && iterator !== null) {
      if (typeof iterator !== "function") throw new TypeError("Headers: the init's Symbol.iterator is not a function");
      for (const pair of init as Iterable<unknown>) {
        if (typeof pair !== "object" || pair === null || typeof (pair as Iterable<unknown>)[Symbol.iterator] !== "function") throw new TypeError("Headers: each header must be a [name, value] pair");
        const items = [...(pair as Iterable<unknown>)];
        if (items.length !== 2) throw new TypeError("Headers: each header must be a [name, value] pair");
        this.append(items[0] as string, items[1] as string);
      }
      return;
    }
    for (const key of Reflect.ownKeys(init)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(init, key);
      if (descriptor === undefined || !descriptor.enumerable) continue;
      this.append(key as string, (init as Record<PropertyKey, string>)[key]!);
    }
  }

  append(name: string, value: string): void {
    requireArgs(arguments.length, 2, "Headers.append");
    const state = writable(this);
    const key = checkName(name);
    add(state, key, checkValue(key, value));
  }

  delete(name: string): void {
    requireArgs(arguments.length, 1, "Headers.delete");
    const state = writable(this);
    if (state.fields.delete(checkName(name))) state.sorted = null;
  }

  get(name: string): string | null {
    requireArgs(arguments.length, 1, "Headers.get");
    return stateOf(this).fields.get(checkName(name))?.join(", ") ?? null;
  }

  getSetCookie(): string[] {
    return stateOf(this).fields.get("set-cookie")?.slice() ?? [];
  }

  has(name: string): boolean {
    requireArgs(arguments.length, 1, "Headers.has");
    return stateOf(this).fields.has(checkName(name));
  }

  set(name: string, value: string): void {
    requireArgs(arguments.length, 2, "Headers.set");
    const state = writable(this);
    const key = checkName(name);
    state.fields.set(key, [checkValue(key, value)]);
    state.sorted = null;
  }

  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    requireArgs(arguments.length, 1, "Headers.forEach");
    if (typeof callback !== "function") throw new TypeError("Headers.forEach: the callback must be a function");
    const state = stateOf(this);
    for (let i = 0; i < sortedOf(state).length; i++) {
      const [name, value] = sortedOf(state)[i]!;
      callback.call(thisArg, value, name, this);
    }
  }

  *entries(): IterableIterator<[string, string]> {
    const state = stateOf(this);
    for (let i = 0; i < sortedOf(state).length; i++) {
      const [name, value] = sortedOf(state)[i]!;
      yield [name, value];
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
}

enumerable(Headers, ["append", "delete", "get", "getSetCookie", "has", "set", "forEach", "entries", "keys", "values"]);
toStringTag(Headers, "Headers");

function writable(headers: Headers): State {
  const state = stateOf(headers);
  if (state.immutable) throw new TypeError("Headers: these headers are immutable");
  return state;
}

function add(state: State, name: string, value: string): void {
  const values = state.fields.get(name);
  if (values === undefined) state.fields.set(name, [value]);
  else values.push(value);
  state.sorted = null;
}

function sortedOf(state: State): [string, string][] {
  if (state.sorted !== null) return state.sorted;
  const sorted: [string, string][] = [];
  for (const name of [...state.fields.keys()].sort()) {
    const values = state.fields.get(name)!;
    if (name === "set-cookie") for (const value of values) sorted.push([name, value]);
    else sorted.push([name, values.join(", ")]);
  }
  return (state.sorted = sorted);
}

/** @internal Headers from fields the HTTP parser has already validated (lower-case names, clean values). */
export function headersFromFields(fields: readonly (readonly [string, string])[]): Headers {
  const headers = new Headers();
  const state = stateOf(headers);
  for (const [name, value] of fields) add(state, name, value);
  return headers;
}

/** @internal From now on `headers` refuse every change (Response.error(), Response.redirect()). */
export function freezeHeaders(headers: Headers): void {
  stateOf(headers).immutable = true;
}

/** @internal Every field as [lower-case name, value], Set-Cookie apart, sorted: what goes on the wire. */
export function headerList(headers: Headers): readonly [string, string][] {
  return sortedOf(stateOf(headers));
}

export function isHeaders(value: unknown): value is Headers {
  try {
    stateOf(value as Headers);
    return true;
  } catch {
    return false;
  }
}
