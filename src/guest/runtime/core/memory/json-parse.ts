/**
 * @module guest/runtime/core/memory/json-parse
 * `JSON.parse` inside --mem. V8 parses a text in one native step that does not stop when the heap
 * guard terminates the guest, and what it builds can be many times the text: 49 bytes per
 * character for "[[[[…" (V8's parser keeps a native stack per level), 11 for "[],[],…" (measured;
 * a 60 MB text held 1.6 GB before V8 let go, at --mem 64M). So V8 parses only a text whose
 * worst case (64 bytes per character) fits what is left of the budget; a larger one is parsed
 * here, in guest code, which the guard can stop at the limit like any other. Texts of at most
 * 4096 characters (256 KiB at worst) go to V8 without asking.
 *
 * This parser follows ECMA-262 §25.5.1: the same values, an own data property for every key
 * (`__proto__` included), the reviver walk of InternalizeJSONProperty, and the third argument of
 * JSON.parse source text access (`{ source }` for a primitive as parsed). It is iterative, so
 * nesting is bounded by memory, as in V8, not by the call stack. Error messages follow V8's. It
 * is 2-3x slower than V8's (6.8 MB of records: ~110 ms against ~45 ms): members are assigned,
 * which is 3x faster than defining them, so a setter the guest put on Object.prototype or
 * Array.prototype for some key would run (never one for `__proto__`, which is defined).
 */

import type { Ledger } from "./ledger.ts";

const WORST_BYTES_PER_CHAR = 64;
const ALWAYS_NATIVE = 4096;

export function limitJsonParse(global: typeof globalThis, ledger: Ledger): void {
  const json = global.JSON;
  const nativeParse = json.parse;
  const { apply, defineProperty } = Reflect;
  const parse = function parse(text: unknown, reviver?: unknown): unknown {
    const string = `${text as string}`;
    if (string.length <= ALWAYS_NATIVE || string.length * WORST_BYTES_PER_CHAR <= ledger.available(false)) return apply(nativeParse, json, [string, reviver]);
    return parseInGuest(string, typeof reviver === "function" ? (reviver as Reviver) : undefined);
  };
  defineProperty(parse, "length", { value: 2, configurable: true });
  defineProperty(json, "parse", { value: parse, writable: true, enumerable: false, configurable: true });
}

type Reviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;
type Container = Record<string, unknown> | unknown[];
/** Per container, per key: the primitive parsed there and its source text (for the reviver's context). */
type Sources = WeakMap<object, Map<string, [unknown, string]>>;

const define = (target: object, key: string, value: unknown) => Reflect.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });

/** JSON.parse in guest code (see the module comment). */
export function parseInGuest(text: string, reviver?: Reviver): unknown {
  const sources: Sources | undefined = reviver === undefined ? undefined : new WeakMap();
  const value = new Parser(text, sources).parse();
  if (reviver === undefined) return value;
  const root = {};
  define(root, "", value);
  if (sources !== undefined && (typeof value !== "object" || value === null)) sources.set(root, new Map([["", [value, text.trim()]]]));
  return internalize(root, "", reviver, sources);
}

/** ECMA-262 InternalizeJSONProperty, with the source text context. */
function internalize(holder: object, name: string, reviver: Reviver, sources: Sources | undefined): unknown {
  const value = (holder as Record<string, unknown>)[name];
  if (typeof value === "object" && value !== null) {
    const keys = Array.isArray(value) ? Array.from({ length: Math.min(Number((value as unknown[]).length) || 0, 2 ** 53 - 1) }, (_, i) => `${i}`) : Object.keys(value);
    for (const key of keys) {
      const revived = internalize(value, key, reviver, sources);
      if (revived === undefined) delete (value as Record<string, unknown>)[key];
      else define(value, key, revived);
    }
  }
  const context: { source?: string } = {};
  const parsed = sources?.get(holder)?.get(name);
  if (parsed !== undefined && (typeof value !== "object" || value === null) && Object.is(parsed[0], value)) context.source = parsed[1];
  return reviver.call(holder, name, value, context);
}

interface Frame {
  readonly container: Container;
  readonly array: boolean;
  key: string;
  index: number;
}

class Parser {
  #text: string;
  #at = 0;
  #sources: Sources | undefined;

  constructor(text: string, sources: Sources | undefined) {
    this.#text = text;
    this.#sources = sources;
  }

  parse(): unknown {
    const stack: Frame[] = [];
    let value: unknown;
    for (;;) {
      this.#space();
      const start = this.#at;
      const c = this.#text.charCodeAt(this.#at);
      let opened: Frame | undefined;
      if (c === 0x7b /* { */) {
        this.#at++;
        this.#space();
        if (this.#peek(0x7d)) value = {};
        else opened = { container: {}, array: false, key: this.#key(true), index: 0 };
      } else if (c === 0x5b /* [ */) {
        this.#at++;
        this.#space();
        if (this.#peek(0x5d)) value = [];
        else opened = { container: [], array: true, key: "", index: 0 };
      } else {
        value = this.#primitive(c);
      }
      if (opened !== undefined) {
        stack.push(opened);
        continue;
      }
      let primitive = typeof value !== "object" || value === null;
      // Close every container the value completes.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          this.#space();
          if (this.#at < this.#text.length) this.#fail("Unexpected non-whitespace character after JSON", "");
          return value;
        }
        const key = top.array ? `${top.index}` : top.key;
        if (top.array) (top.container as unknown[])[top.index] = value;
        else if (key === "__proto__") define(top.container, key, value);
        else (top.container as Record<string, unknown>)[key] = value;
        if (primitive && this.#sources !== undefined) this.#record(top.container, key, value, this.#text.slice(start, this.#at));
        primitive = false;
        this.#space();
        if (this.#peek(0x2c /* , */)) {
          this.#space();
          if (top.array) top.index++;
          else top.key = this.#key(false);
          break;
        }
        if (!this.#peek(top.array ? 0x5d : 0x7d)) this.#fail(top.array ? "Expected ',' or ']' after array element" : "Expected ',' or '}' after property value");
        value = top.container;
        stack.pop();
      }
    }
  }

  #record(container: object, key: string, value: unknown, source: string): void {
    let map = this.#sources!.get(container);
    if (map === undefined) this.#sources!.set(container, (map = new Map()));
    map.set(key, [value, source]);
  }

  #space(): void {
    const t = this.#text;
    let c: number;
    while ((c = t.charCodeAt(this.#at)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.#at++;
  }

  #peek(code: number): boolean {
    if (this.#text.charCodeAt(this.#at) !== code) return false;
    this.#at++;
    return true;
  }

  #digit(): boolean {
    const c = this.#text.charCodeAt(this.#at);
    return c >= 0x30 && c <= 0x39;
  }

  /** A property name and the colon after it. */
  #key(first: boolean): string {
    if (this.#text.charCodeAt(this.#at) !== 0x22) this.#fail(first ? "Expected property name or '}'" : "Expected double-quoted property name");
    const key = this.#string();
    this.#space();
    if (!this.#peek(0x3a /* : */)) this.#fail("Expected ':' after property name");
    return key;
  }

  #primitive(c: number): unknown {
    if (c === 0x22) return this.#string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.#number();
    const word = c === 0x74 ? "true" : c === 0x66 ? "false" : c === 0x6e ? "null" : undefined;
    if (word === undefined) return this.#unexpected();
    for (let i = 0; i < word.length; i++, this.#at++) if (this.#text.charCodeAt(this.#at) !== word.charCodeAt(i)) this.#unexpected();
    return c === 0x74 ? true : c === 0x66 ? false : null;
  }

  #string(): string {
    const t = this.#text;
    let out = "";
    let run = ++this.#at;
    for (;;) {
      const c = t.charCodeAt(this.#at);
      if (c === 0x22) {
        out += t.slice(run, this.#at++);
        return out;
      }
      if (c !== c) this.#fail("Unterminated string");
      if (c < 0x20) this.#fail("Bad control character in string literal");
      if (c !== 0x5c) {
        this.#at++;
        continue;
      }
      out += t.slice(run, this.#at);
      const e = t.charCodeAt(++this.#at);
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        this.#at++;
      } else if (e === 0x75 /* u */) {
        let code = 0;
        for (let i = 0; i < 4; i++) {
          const h = t.charCodeAt(++this.#at);
          const v = h >= 0x30 && h <= 0x39 ? h - 0x30 : h >= 0x41 && h <= 0x46 ? h - 0x37 : h >= 0x61 && h <= 0x66 ? h - 0x57 : -1;
          if (v < 0) this.#fail("Bad Unicode escape");
          code = code * 16 + v;
        }
        out += String.fromCharCode(code);
        this.#at++;
      } else {
        if (e !== e) throw new SyntaxError("Unexpected end of JSON input");
        this.#fail("Bad escaped character");
      }
      run = this.#at;
    }
  }

  #number(): number {
    const t = this.#text;
    const start = this.#at;
    const digits = () => {
      const from = this.#at;
      while (this.#digit()) this.#at++;
      return this.#at - from;
    };
    if (this.#peek(0x2d) && !this.#digit()) this.#fail("No number after minus sign");
    if (this.#peek(0x30)) {
      if (this.#digit()) this.#fail("Unexpected number");
    } else digits();
    if (this.#peek(0x2e) && digits() === 0) this.#fail("Unterminated fractional number");
    const e = t.charCodeAt(this.#at);
    if (e === 0x65 || e === 0x45) {
      this.#at++;
      if (!this.#peek(0x2b)) this.#peek(0x2d);
      if (digits() === 0) this.#fail("Exponent part is missing a number");
    }
    return Number(t.slice(start, this.#at));
  }

  /** V8's message for a character no JSON value starts with (with up to 10 characters of context either side). */
  #unexpected(): never {
    const t = this.#text;
    const at = this.#at;
    if (at >= t.length) throw new SyntaxError("Unexpected end of JSON input");
    if (t === "NaN" || t === "Infinity" || t === "undefined" || t === "[object Object]") throw new SyntaxError(`"${t}" is not valid JSON`);
    const context =
      t.length <= 21 ? `"${t}"` : at < 10 ? `"${t.slice(0, at + 10)}"...` : at >= t.length - 10 ? `..."${t.slice(at - 10)}"` : `..."${t.slice(at - 10, at + 10)}"...`;
    throw new SyntaxError(`Unexpected token '${t[at]}', ${context} is not valid JSON`);
  }

  /** A SyntaxError at the current position, as V8 words it. */
  #fail(what: string, where = " in JSON"): never {
    const before = this.#text.slice(0, this.#at);
    const line = before.split("\n").length;
    const column = this.#at - before.lastIndexOf("\n");
    throw new SyntaxError(`${what}${where} at position ${this.#at} (line ${line} column ${column})`);
  }
}

const ESCAPES: Record<number, string> = { 0x22: '"', 0x5c: "\\", 0x2f: "/", 0x62: "\b", 0x66: "\f", 0x6e: "\n", 0x72: "\r", 0x74: "\t" };
