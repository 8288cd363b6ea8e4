/**
 * @module guest/web/url/search-params
 * `URLSearchParams` (URL Standard §6.2) over `application/x-www-form-urlencoded` (§5): an ordered
 * list of name/value pairs, made from a query string, pairs or a record, serialised with `+` for
 * spaces. One that belongs to a `URL` writes every change back to that URL's query (§6.2
 * "update"), and is re-read when the URL's query changes through the URL.
 */

import { parseUrlencoded, serializeUrlencoded } from "./percent.ts";
import { enumerable, requireArgs, toStringTag, toUSVString } from "../common/webidl.ts";

export type URLSearchParamsInit = string | URLSearchParams | Iterable<readonly [string, string] | readonly string[]> | Record<string, string>;

let bind: (params: URLSearchParams, update: (query: string | null) => void) => void;
let replace: (params: URLSearchParams, query: string | null) => void;
let listOf: (params: URLSearchParams) => [string, string][];

export class URLSearchParams {
  #list: [string, string][] = [];
  #update: ((query: string | null) => void) | null = null;

  static {
    bind = (params, update) => (params.#update = update);
    replace = (params, query) => (params.#list = query === null ? [] : parseUrlencoded(query));
    listOf = (params) => {
      if (typeof params !== "object" || params === null || !(#list in params)) throw new TypeError("Illegal invocation: not a URLSearchParams");
      return params.#list;
    };
  }

  constructor(init: URLSearchParamsInit = "") {
    if (typeof init === "object" && init !== null) {
      const iterator = (init as Iterable<unknown>)[Symbol.iterator];
      if (iterator !== undefined && iterator !== null) {
        if (typeof iterator !== "function") throw new TypeError("URLSearchParams: the init's Symbol.iterator is not a function");
        for (const pair of init as Iterable<unknown>) {
          if (typeof pair !== "object" || pair === null || typeof (pair as Iterable<unknown>)[Symbol.iterator] !== "function") throw new TypeError("URLSearchParams: each pair must be a sequence of a name and a value");
          const items = [...(pair as Iterable<unknown>)];
          if (items.length !== 2) throw new TypeError("URLSearchParams: each pair must have exactly two items, a name and a value");
          this.#list.push([toUSVString(items[0]), toUSVString(items[1])]);
        }
      } else {
        for (const key of Reflect.ownKeys(init)) {
          const descriptor = Reflect.getOwnPropertyDescriptor(init, key);
          if (descriptor === undefined || !descriptor.enumerable) continue;
          this.#list.push([toUSVString(key), toUSVString((init as Record<PropertyKey, unknown>)[key])]);
        }
      }
    } else {
      const text = toUSVString(init);
      this.#list = parseUrlencoded(text.startsWith("?") ? text.slice(1) : text);
    }
  }

  get size(): number {
    return listOf(this).length;
  }

  append(name: string, value: string): void {
    requireArgs(arguments.length, 2, "URLSearchParams.append");
    listOf(this).push([toUSVString(name), toUSVString(value)]);
    this.#changed();
  }

  delete(name: string, value?: string): void {
    requireArgs(arguments.length, 1, "URLSearchParams.delete");
    const key = toUSVString(name);
    const match = value === undefined ? null : toUSVString(value);
    this.#list = listOf(this).filter(([n, v]) => n !== key || (match !== null && v !== match));
    this.#changed();
  }

  get(name: string): string | null {
    requireArgs(arguments.length, 1, "URLSearchParams.get");
    const key = toUSVString(name);
    return listOf(this).find(([n]) => n === key)?.[1] ?? null;
  }

  getAll(name: string): string[] {
    requireArgs(arguments.length, 1, "URLSearchParams.getAll");
    const key = toUSVString(name);
    return listOf(this)
      .filter(([n]) => n === key)
      .map(([, v]) => v);
  }

  has(name: string, value?: string): boolean {
    requireArgs(arguments.length, 1, "URLSearchParams.has");
    const key = toUSVString(name);
    const match = value === undefined ? null : toUSVString(value);
    return listOf(this).some(([n, v]) => n === key && (match === null || v === match));
  }

  set(name: string, value: string): void {
    requireArgs(arguments.length, 2, "URLSearchParams.set");
    const key = toUSVString(name);
    const text = toUSVString(value);
    const list = listOf(this);
    const first = list.findIndex(([n]) => n === key);
    if (first < 0) list.push([key, text]);
    else this.#list = list.filter(([n], i) => i <= first || n !== key).map((pair, i) => (i === first ? [key, text] : pair));
    this.#changed();
  }

  /** Stable sort by name, comparing UTF-16 code units, as the standard says. */
  sort(): void {
    this.#list = listOf(this)
      .map((pair, i) => ({ pair, i }))
      .sort((a, b) => (a.pair[0] < b.pair[0] ? -1 : a.pair[0] > b.pair[0] ? 1 : a.i - b.i))
      .map(({ pair }) => pair);
    this.#changed();
  }

  forEach(callback: (value: string, name: string, params: URLSearchParams) => void, thisArg?: unknown): void {
    requireArgs(arguments.length, 1, "URLSearchParams.forEach");
    if (typeof callback !== "function") throw new TypeError("URLSearchParams.forEach: the callback must be a function");
    for (let i = 0; i < listOf(this).length; i++) {
      const [name, value] = this.#list[i]!;
      callback.call(thisArg, value, name, this);
    }
  }

  *entries(): IterableIterator<[string, string]> {
    listOf(this);
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
    return serializeUrlencoded(listOf(this));
  }

  #changed(): void {
    if (this.#update === null) return;
    const text = serializeUrlencoded(this.#list);
    this.#update(text === "" ? null : text);
  }
}

enumerable(URLSearchParams, ["size", "append", "delete", "get", "getAll", "has", "set", "sort", "forEach", "entries", "keys", "values", "toString"]);
toStringTag(URLSearchParams, "URLSearchParams");

/** @internal Ties `params` to a URL: every change calls `update` with the new query (null when empty). */
export function bindSearchParams(params: URLSearchParams, update: (query: string | null) => void): void {
  bind(params, update);
}

/** @internal The URL's query changed: re-read the list from it, without writing back. */
export function replaceSearchParams(params: URLSearchParams, query: string | null): void {
  replace(params, query);
}

/** @internal The pairs, never to be changed by the caller (a body serialises them). */
export function searchParamsList(params: URLSearchParams): readonly [string, string][] {
  return listOf(params);
}

export function isURLSearchParams(value: unknown): value is URLSearchParams {
  try {
    listOf(value as URLSearchParams);
    return true;
  } catch {
    return false;
  }
}
