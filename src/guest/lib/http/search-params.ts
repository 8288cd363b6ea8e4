/**
 * @module tsuki/http/search-params
 * `URLSearchParams` (URL Standard §6.2) over `application/x-www-form-urlencoded` (§5): an ordered
 * list of name/value pairs, parsed from a query string, a record or pairs, and serialised back with
 * `+` for spaces. One that belongs to a `URL` writes every change back to that URL's query.
 */

import { formDecode, formEncode, toUSV } from "./percent.ts";

export type URLSearchParamsInit = string | URLSearchParams | Iterable<readonly [string, string] | readonly string[]> | Record<string, string>;

/** Parses `application/x-www-form-urlencoded` text into name/value pairs (URL Standard §5.1). */
export function parseForm(input: string): [string, string][] {
  const out: [string, string][] = [];
  for (const sequence of input.split("&")) {
    if (sequence === "") continue;
    const eq = sequence.indexOf("=");
    out.push(eq < 0 ? [formDecode(sequence), ""] : [formDecode(sequence.slice(0, eq)), formDecode(sequence.slice(eq + 1))]);
  }
  return out;
}

export function serializeForm(list: readonly (readonly [string, string])[]): string {
  return list.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join("&");
}

let bind: (params: URLSearchParams, update: (query: string) => void) => void;
let replace: (params: URLSearchParams, query: string | null) => void;

export class URLSearchParams {
  #list: [string, string][] = [];
  #update: ((query: string) => void) | null = null;

  static {
    bind = (params, update) => (params.#update = update);
    replace = (params, query) => (params.#list = query === null ? [] : parseForm(query));
  }

  constructor(init: URLSearchParamsInit = "") {
    if (typeof init === "string") {
      this.#list = parseForm(init.startsWith("?") ? init.slice(1) : init);
    } else if (init instanceof URLSearchParams) {
      this.#list = init.#list.map(([n, v]) => [n, v]);
    } else if (init !== null && typeof init === "object" && typeof (init as Iterable<unknown>)[Symbol.iterator] === "function") {
      for (const pair of init as Iterable<readonly string[]>) {
        const items = [...pair];
        if (items.length !== 2) throw new TypeError("URLSearchParams: each pair must have exactly two items, a name and a value");
        this.#list.push([toUSV(String(items[0])), toUSV(String(items[1]))]);
      }
    } else if (init !== null && typeof init === "object") {
      for (const key of Reflect.ownKeys(init)) {
        if (typeof key !== "string" || !Object.prototype.propertyIsEnumerable.call(init, key)) continue;
        this.#list.push([toUSV(key), toUSV(String((init as Record<string, unknown>)[key]))]);
      }
    } else {
      this.#list = parseForm(String(init));
    }
  }

  get size(): number {
    return this.#list.length;
  }

  append(name: string, value: string): void {
    this.#list.push([toUSV(String(name)), toUSV(String(value))]);
    this.#changed();
  }

  delete(name: string, value?: string): void {
    name = toUSV(String(name));
    const match = value === undefined ? null : toUSV(String(value));
    this.#list = this.#list.filter(([n, v]) => n !== name || (match !== null && v !== match));
    this.#changed();
  }

  get(name: string): string | null {
    name = toUSV(String(name));
    return this.#list.find(([n]) => n === name)?.[1] ?? null;
  }

  getAll(name: string): string[] {
    name = toUSV(String(name));
    return this.#list.filter(([n]) => n === name).map(([, v]) => v);
  }

  has(name: string, value?: string): boolean {
    name = toUSV(String(name));
    const match = value === undefined ? null : toUSV(String(value));
    return this.#list.some(([n, v]) => n === name && (match === null || v === match));
  }

  set(name: string, value: string): void {
    name = toUSV(String(name));
    value = toUSV(String(value));
    const first = this.#list.findIndex(([n]) => n === name);
    if (first < 0) this.#list.push([name, value]);
    else this.#list = this.#list.filter(([n], i) => i <= first || n !== name).map((pair, i) => (i === first ? [name, value] : pair));
    this.#changed();
  }

  /** Stable sort by name, comparing UTF-16 code units (as the standard says). */
  sort(): void {
    this.#list = this.#list
      .map((pair, i) => ({ pair, i }))
      .sort((a, b) => (a.pair[0] < b.pair[0] ? -1 : a.pair[0] > b.pair[0] ? 1 : a.i - b.i))
      .map(({ pair }) => pair);
    this.#changed();
  }

  forEach(callback: (value: string, name: string, params: URLSearchParams) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.#list.length; i++) {
      const [name, value] = this.#list[i]!;
      callback.call(thisArg, value, name, this);
    }
  }

  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#list.length; i++) {
      const [name, value] = this.#list[i]!;
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

  toString(): string {
    return serializeForm(this.#list);
  }

  get [Symbol.toStringTag](): string {
    return "URLSearchParams";
  }

  #changed(): void {
    this.#update?.(this.toString());
  }
}

/** @internal Ties `params` to a URL: every change calls `update` with the new query. */
export function bindSearchParams(params: URLSearchParams, update: (query: string) => void): void {
  bind(params, update);
}

/** @internal The URL's query changed: re-parse the list from it without writing back. */
export function replaceSearchParams(params: URLSearchParams, query: string | null): void {
  replace(params, query);
}
