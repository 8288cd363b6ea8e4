/**
 * @module guest/runtime/core/format
 *
 * `format(...args)`: printf-like formatting as Node's `util.format` does it, the text behind
 * `console.log(...args)` in the guest. `inspect` lives in ./inspect.ts and is re-exported here.
 *
 * Guarantees (matching Node v24): a string first argument is scanned for `%s %d %i %f %j %o %O %c`
 * and `%%`; a placeholder without an argument is left as written; arguments left over are appended,
 * separated by spaces, strings as they are and everything else through `inspect`. `%s` prints
 * numbers, bigints and symbols as `inspect` does (`-0`, `1n`) and objects without a user-defined
 * `toString` through `inspect` at depth 0; `%j` prints `[Circular]` for a cyclic value; `%o` is
 * `inspect` with `showHidden` and depth 4 (without the prototype properties Node adds).
 */

import { inspect, type InspectOptions } from "./inspect.ts";
import { formatNumber } from "./inspect-text.ts";

export { inspect, type InspectOptions } from "./inspect.ts";

export function format(...args: unknown[]): string {
  return formatWith(undefined, args);
}

export function formatWithOptions(inspectOptions: InspectOptions, ...args: unknown[]): string {
  if (typeof inspectOptions !== "object" || inspectOptions === null) {
    throw new TypeError('The "inspectOptions" argument must be of type object');
  }
  return formatWith(inspectOptions, args);
}

function formatWith(options: InspectOptions | undefined, args: unknown[]): string {
  const first = args[0];
  let a = 0;
  let str = "";
  let join = "";
  if (typeof first === "string") {
    if (args.length === 1) return first;
    let lastPos = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) !== 37) continue; // '%'
      const next = first.charCodeAt(++i);
      if (a + 1 !== args.length) {
        let text: string;
        switch (next) {
          case 115: // 's'
            text = formatString(args[++a], options);
            break;
          case 106: // 'j'
            text = tryStringify(args[++a]);
            break;
          case 100: // 'd'
            text = formatNumeric(args[++a], Number);
            break;
          case 105: // 'i'
            text = formatNumeric(args[++a], (v) => Number.parseInt(v as string));
            break;
          case 102: { // 'f'
            const arg = args[++a];
            text = typeof arg === "symbol" ? "NaN" : formatNumber(Number.parseFloat(arg as string));
            break;
          }
          case 79: // 'O'
            text = inspect(args[++a], options);
            break;
          case 111: // 'o'
            text = inspect(args[++a], { ...options, showHidden: true, depth: 4 });
            break;
          case 99: // 'c': CSS has no meaning on a terminal
            a++;
            text = "";
            break;
          case 37: // '%'
            str += first.slice(lastPos, i);
            lastPos = i + 1;
            continue;
          default: // not a placeholder
            continue;
        }
        if (lastPos !== i - 1) str += first.slice(lastPos, i - 1);
        str += text;
        lastPos = i + 1;
      } else if (next === 37) {
        str += first.slice(lastPos, i);
        lastPos = i + 1;
      }
    }
    if (lastPos !== 0) {
      a++;
      join = " ";
      if (lastPos < first.length) str += first.slice(lastPos);
    }
  }
  for (; a < args.length; a++) {
    const value = args[a];
    str += join;
    str += typeof value === "string" ? value : inspect(value, options);
    join = " ";
  }
  return str;
}

function formatString(arg: unknown, options: InspectOptions | undefined): string {
  if (typeof arg === "number") return formatNumber(arg);
  if (typeof arg === "bigint") return `${arg}n`;
  if (typeof arg !== "object" || arg === null || !hasBuiltInToString(arg)) return String(arg);
  return inspect(arg, { ...options, compact: 3, colors: false, depth: 0 });
}

/** `%d` and `%i`: bigints keep their `n`, symbols are NaN, anything else goes through `convert`. */
function formatNumeric(arg: unknown, convert: (value: unknown) => number): string {
  if (typeof arg === "bigint") return `${arg}n`;
  if (typeof arg === "symbol") return "NaN";
  return formatNumber(convert(arg));
}

function tryStringify(arg: unknown): string {
  try {
    return `${JSON.stringify(arg)}`;
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith("Converting circular structure to JSON")) {
      return "[Circular]";
    }
    throw error;
  }
}

/**
 * Whether `String(value)` would only run a built-in `toString` (so `%s` should inspect instead):
 * true unless the object or a non-built-in class on its prototype chain defines `toString` or
 * `Symbol.toPrimitive`.
 */
function hasBuiltInToString(value: object): boolean {
  const record = value as Record<PropertyKey, unknown>;
  let stopAtToString = true;
  let stopAtToPrimitive = true;
  if (typeof record.toString !== "function") {
    if (typeof record[Symbol.toPrimitive] !== "function") return true;
    if (Object.hasOwn(value, Symbol.toPrimitive)) return false;
    stopAtToString = false;
  } else if (Object.hasOwn(value, "toString")) {
    return false;
  } else if (typeof record[Symbol.toPrimitive] !== "function") {
    stopAtToPrimitive = false;
  } else if (Object.hasOwn(value, Symbol.toPrimitive)) {
    return false;
  }
  let pointer: object = value;
  do {
    pointer = Object.getPrototypeOf(pointer) as object;
  } while (!(stopAtToString && Object.hasOwn(pointer, "toString")) && !(stopAtToPrimitive && Object.hasOwn(pointer, Symbol.toPrimitive)));
  const ctor: unknown = Object.getOwnPropertyDescriptor(pointer, "constructor")?.value;
  return typeof ctor === "function" && isBuiltInName(ctor.name);
}

/** Node's set of built-in constructors is the capitalised names on the global object. */
function isBuiltInName(name: string): boolean {
  return /^[A-Z][a-zA-Z0-9]+$/.test(name) && Object.hasOwn(globalThis, name);
}
