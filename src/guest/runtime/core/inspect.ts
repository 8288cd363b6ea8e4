/**
 * @module guest/runtime/core/inspect
 *
 * `inspect(value, options)`: the text `console.log` prints for a value, written to read exactly as
 * Node's `util.inspect` (v24) does for everything a bare V8 isolate can hold: primitives, arrays
 * (holes, extra keys, `... n more items`), plain, null-prototype and class-instance objects, Map,
 * Set, typed arrays, ArrayBuffer, DataView, Date, RegExp, errors (stack, `[cause]`, extra keys),
 * functions and classes, boxed primitives, getters, symbol keys, depth limits (`[Object]`) and
 * cycles (`<ref *1>` … `[Circular *1]`). Objects that define `Symbol.for("nodejs.util.inspect.custom")`
 * format themselves, as under Node.
 *
 * Pure JavaScript cannot read engine internals, so: a Promise prints `Promise { <unknown> }`, Map and
 * Set iterators print without their entries, WeakMap and WeakSet never show their items, and a
 * Proxy prints through its traps. `showHidden` lists non-enumerable own properties but not the
 * prototype properties Node adds; `colors`, `showProxy` and `numericSeparator` are not supported.
 * Types are told apart by brand checks (./inspect-types.ts), never by `instanceof` alone.
 */

import { intrinsicGet, typedArrayName } from "./brands.ts";
import { formatError } from "./inspect-error.ts";
import {
  type Context, escapeAll, formatNumber, formatPrimitive, getPrefix, getStringWidth, kArrayExtrasType, kArrayType,
  kObjectType, reduceToSingleString, strEscape,
} from "./inspect-text.ts";
import {
  formatArray, formatArrayBuffer, formatMap, formatSet, formatTypedArray, getBoxedBase, getFunctionBase, kindOf,
  TypedArrayPrototype,
} from "./inspect-types.ts";

export interface InspectOptions {
  /** Levels of nesting to expand; `null` or `Infinity` for all. Default 2. */
  depth?: number | null;
  /** Also show non-enumerable properties (as `[key]`). Default false. */
  showHidden?: boolean;
  /** Call `[Symbol.for("nodejs.util.inspect.custom")]` methods. Default true. */
  customInspect?: boolean;
  /** Run getters and show their value. Default false. */
  getters?: boolean | "get" | "set";
  maxArrayLength?: number | null;
  maxStringLength?: number | null;
  /** Width at which entries are split onto several lines. Default 80. */
  breakLength?: number;
  /** How many inner levels may share one line (a number), or `false`/`true`. Default 3. */
  compact?: boolean | number;
  sorted?: boolean | ((a: string, b: string) => number);
  /** Accepted for compatibility; output never contains ANSI colours. */
  colors?: boolean;
}

export const customInspectSymbol: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;

type Formatter = (ctx: Context, value: object, recurseTimes: number) => string[];

export function inspect(value: unknown, options?: InspectOptions | boolean): string {
  const ctx: Context = {
    depth: 2, showHidden: false, customInspect: true, getters: false, maxArrayLength: 100,
    maxStringLength: 10000, breakLength: 80, compact: 3, sorted: false,
    indentationLvl: 0, currentDepth: 0, seen: [], circular: undefined,
  };
  if (typeof options === "boolean") {
    ctx.showHidden = options;
  } else if (options !== undefined && options !== null) {
    const { depth, maxArrayLength, maxStringLength, ...rest } = options;
    if (depth !== undefined) ctx.depth = depth;
    if (maxArrayLength !== undefined) ctx.maxArrayLength = maxArrayLength ?? Infinity;
    if (maxStringLength !== undefined) ctx.maxStringLength = maxStringLength ?? Infinity;
    for (const key of ["showHidden", "customInspect", "getters", "breakLength", "compact", "sorted"] as const) {
      if (rest[key] !== undefined) (ctx as unknown as Record<string, unknown>)[key] = rest[key];
    }
  }
  return formatValue(ctx, value, 0);
}
inspect.custom = customInspectSymbol;

function beyondDepth(ctx: Context, recurseTimes: number): boolean {
  return ctx.depth !== null && recurseTimes > ctx.depth;
}

export function formatValue(ctx: Context, value: unknown, recurseTimes: number, typedArray?: boolean): string {
  if (typeof value !== "object" && typeof value !== "function") return formatPrimitive(value, ctx);
  if (value === null) return "null";
  if (ctx.customInspect) {
    const custom = (value as Record<symbol, unknown>)[customInspectSymbol];
    // Prototype objects (whose own `constructor` points back to them) are not asked.
    const ownCtor = Object.getOwnPropertyDescriptor(value, "constructor")?.value as { prototype?: unknown } | undefined;
    if (typeof custom === "function" && custom !== inspect && ownCtor?.prototype !== value) {
      const depth = ctx.depth === null ? null : ctx.depth - recurseTimes;
      const ret: unknown = custom.call(value, depth, userOptions(ctx), inspect);
      if (ret !== value) {
        if (typeof ret !== "string") return formatValue(ctx, ret, recurseTimes);
        return ret.replaceAll("\n", `\n${" ".repeat(ctx.indentationLvl)}`);
      }
    }
  }
  if (ctx.seen.includes(value)) {
    ctx.circular ??= new Map();
    let index = ctx.circular.get(value);
    if (index === undefined) {
      index = ctx.circular.size + 1;
      ctx.circular.set(value, index);
    }
    return `[Circular *${index}]`;
  }
  return formatRaw(ctx, value, recurseTimes, typedArray);
}

function userOptions(ctx: Context): InspectOptions & { stylize: (text: string) => string } {
  const { depth, showHidden, customInspect, getters, maxArrayLength, maxStringLength, breakLength, compact, sorted } = ctx;
  return {
    depth, showHidden, customInspect, getters, maxArrayLength, maxStringLength, breakLength, compact, sorted,
    colors: false, stylize: (text: string) => text,
  };
}

function formatRaw(ctx: Context, value: object, recurseTimes: number, typedArray?: boolean): string {
  const constructor = getConstructorName(value, ctx, recurseTimes);
  let tag: unknown = "";
  try {
    tag = (value as Record<symbol, unknown>)[Symbol.toStringTag];
  } catch {}
  // A tag that is an own enumerable property is printed with the keys, not twice.
  const ownTag = ctx.showHidden ? Object.hasOwn : (o: object, k: symbol) => Object.prototype.propertyIsEnumerable.call(o, k);
  if (typeof tag !== "string" || (tag !== "" && ownTag(value, Symbol.toStringTag))) tag = "";
  const tagText = tag as string;
  const kind = kindOf(value);
  let keys: PropertyKey[] | undefined;
  let base = "";
  let formatter: Formatter = () => [];
  let braces: [string, string] = ["{", "}"];
  let extrasType = kObjectType;
  let extraKeys: string[] | undefined;

  if (Symbol.iterator in value || constructor === null) {
    if (kind === "array") {
      const length = (value as unknown[]).length;
      const prefix = constructor !== "Array" || tagText !== "" ? getPrefix(constructor, tagText, "Array", `(${length})`) : "";
      keys = nonIndexKeys(value, ctx.showHidden, length);
      braces = [`${prefix}[`, "]"];
      if (length === 0 && keys.length === 0) return `${braces[0]}]`;
      extrasType = kArrayExtrasType;
      formatter = formatArray;
    } else if (kind === "set" || kind === "map") {
      const proto = kind === "set" ? Set.prototype : Map.prototype;
      const size = intrinsicGet(proto, "size", value) as number;
      const prefix = getPrefix(constructor, tagText, kind === "set" ? "Set" : "Map", `(${size})`);
      keys = getKeys(value, ctx.showHidden);
      formatter = kind === "set" ? formatSet : formatMap;
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, "}"];
    } else if (kind === "typed") {
      const length = intrinsicGet(TypedArrayPrototype, "length", value) as number;
      keys = nonIndexKeys(value, ctx.showHidden, length);
      const fallback = constructor === null ? typedArrayName(value)! : "";
      braces = [`${getPrefix(constructor, tagText, fallback, `(${length})`)}[`, "]"];
      if (length === 0 && keys.length === 0 && !ctx.showHidden) return `${braces[0]}]`;
      formatter = (c, v) => formatTypedArray(c, v as Record<number, number | bigint>, length);
      extrasType = kArrayExtrasType;
      if (ctx.showHidden) {
        extraKeys = ["BYTES_PER_ELEMENT", "length", "byteLength", "byteOffset", "buffer"];
        typedArray = true;
      }
    }
  }
  if (keys === undefined) {
    keys = getKeys(value, ctx.showHidden);
    if (kind === "function") {
      base = getFunctionBase(ctx, value as (...args: unknown[]) => unknown, constructor, tagText);
      if (keys.length === 0) return base;
    } else if (constructor === "Object") {
      if (kind === "arguments") braces[0] = "[Arguments] {";
      else if (tagText !== "") braces[0] = `${getPrefix(constructor, tagText, "Object")}{`;
      if (keys.length === 0) return `${braces[0]}}`;
    } else if (kind === "regexp") {
      base = RegExp.prototype.toString.call(constructor !== null ? value : new RegExp(value as RegExp));
      const prefix = getPrefix(constructor, tagText, "RegExp");
      if (prefix !== "RegExp ") base = `${prefix}${base}`;
      if (keys.length === 0 || beyondDepth(ctx, recurseTimes)) return base;
    } else if (kind === "date") {
      const time = Date.prototype.getTime.call(value);
      base = Number.isNaN(time) ? Date.prototype.toString.call(value) : Date.prototype.toISOString.call(value);
      const prefix = getPrefix(constructor, tagText, "Date");
      if (prefix !== "Date ") base = `${prefix}${base}`;
      if (keys.length === 0) return base;
    } else if (kind === "error") {
      base = formatError(ctx, value as Error, constructor, tagText, keys);
      if (keys.length === 0) return base;
    } else if (kind === "arraybuffer" || kind === "sharedarraybuffer") {
      const prefix = getPrefix(constructor, tagText, kind === "arraybuffer" ? "ArrayBuffer" : "SharedArrayBuffer");
      if (typedArray === undefined) formatter = formatArrayBuffer;
      else if (keys.length === 0) return `${prefix}{ [byteLength]: ${formatNumber((value as ArrayBuffer).byteLength)} }`;
      braces[0] = `${prefix}{`;
      extraKeys = ["byteLength"];
    } else if (kind === "dataview") {
      braces[0] = `${getPrefix(constructor, tagText, "DataView")}{`;
      extraKeys = ["byteLength", "byteOffset", "buffer"];
    } else if (kind === "promise" || kind === "weakset" || kind === "weakmap") {
      const fallback = kind === "promise" ? "Promise" : kind === "weakset" ? "WeakSet" : "WeakMap";
      braces[0] = `${getPrefix(constructor, tagText, fallback)}{`;
      const note = kind === "promise" ? "<unknown>" : "<items unknown>";
      formatter = () => [note];
    } else if (kind === "boxed") {
      base = getBoxedBase(value, ctx, keys, constructor, tagText);
      if (keys.length === 0) return base;
    } else {
      if (keys.length === 0) return `${getCtxStyle(constructor, tagText)}{}`;
      braces[0] = `${getCtxStyle(constructor, tagText)}{`;
    }
  }

  if (beyondDepth(ctx, recurseTimes)) {
    const name = getCtxStyle(constructor, tagText).slice(0, -1);
    return constructor !== null ? `[${name}]` : name;
  }
  recurseTimes += 1;
  ctx.seen.push(value);
  ctx.currentDepth = recurseTimes;
  let output: string[];
  const indentationLvl = ctx.indentationLvl;
  try {
    output = formatter(ctx, value, recurseTimes);
    for (const key of extraKeys ?? []) output.push(formatExtraProperty(ctx, value, recurseTimes, key, typedArray));
    for (const key of keys) output.push(formatProperty(ctx, value, recurseTimes, key, extrasType));
  } catch (error) {
    if (!(error instanceof RangeError && error.message === "Maximum call stack size exceeded")) throw error;
    ctx.seen.pop();
    ctx.indentationLvl = indentationLvl;
    const name = getCtxStyle(constructor, tagText).slice(0, -1);
    return `[${name}: Inspection interrupted prematurely. Maximum call stack size exceeded.]`;
  }
  const index = ctx.circular?.get(value);
  if (index !== undefined) {
    const reference = `<ref *${index}>`;
    if (ctx.compact !== true) base = base === "" ? reference : `${reference} ${base}`;
    else braces[0] = `${reference} ${braces[0]}`;
  }
  ctx.seen.pop();
  if (ctx.sorted) {
    const comparator = ctx.sorted === true ? undefined : ctx.sorted;
    if (extrasType === kObjectType) output.sort(comparator);
    else if (keys.length > 1) output.push(...output.splice(output.length - keys.length).sort(comparator));
  }
  return reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
}

function isInstanceof(object: object, ctor: unknown): boolean {
  try {
    return object instanceof (ctor as new () => unknown);
  } catch {
    return false;
  }
}

/** The name of the nearest constructor on the prototype chain; null for a null prototype. */
function getConstructorName(obj: object, ctx: Context, recurseTimes: number): string | null {
  let firstProto: object | null | undefined;
  for (let o: object | null = obj; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(o, "constructor");
    const ctor: unknown = descriptor?.value;
    if (typeof ctor === "function" && ctor.name !== "" && isInstanceof(obj, ctor)) return String(ctor.name);
    if (firstProto === undefined) firstProto = Object.getPrototypeOf(o) as object | null;
  }
  if (firstProto === null || firstProto === undefined) return null;
  // V8's own class name for the object is not visible to JavaScript: "Object" stands in.
  if (beyondDepth(ctx, recurseTimes)) return "Object <Complex prototype>";
  const protoConstructor = getConstructorName(firstProto, ctx, recurseTimes + 1);
  if (protoConstructor === null) return `Object <${inspect(firstProto, { ...ctx, customInspect: false, depth: -1 })}>`;
  return `Object <${protoConstructor}>`;
}

/** V8's own class name for an object is not visible to JavaScript: "Object" stands in. */
function getCtxStyle(constructor: string | null, tag: string): string {
  return getPrefix(constructor, tag, "Object");
}

function getKeys(value: object, showHidden: boolean): PropertyKey[] {
  const symbols = Object.getOwnPropertySymbols(value);
  let keys: PropertyKey[];
  if (showHidden) return [...Object.getOwnPropertyNames(value), ...symbols];
  try {
    keys = Object.keys(value);
  } catch {
    keys = Object.getOwnPropertyNames(value); // a module namespace with uninitialized bindings
  }
  for (const symbol of symbols) {
    if (Object.prototype.propertyIsEnumerable.call(value, symbol)) keys.push(symbol);
  }
  return keys;
}

/**
 * Arrays and typed arrays longer than this are not searched for extra string keys: JavaScript can
 * only list those after every index, which takes seconds for millions of elements.
 */
const MAX_KEY_SCAN = 1 << 16;

/** The own keys of an array or typed array that are not indices: its extra properties. */
function nonIndexKeys(value: object, showHidden: boolean, length: number): PropertyKey[] {
  const symbols = Object.getOwnPropertySymbols(value)
    .filter((symbol) => showHidden || Object.prototype.propertyIsEnumerable.call(value, symbol));
  if (length > MAX_KEY_SCAN) return symbols;
  const names = showHidden ? Object.getOwnPropertyNames(value) : Object.keys(value);
  // Indices come first, in ascending order (ECMA-262 OrdinaryOwnPropertyKeys): the rest is the tail.
  let start = names.length;
  while (start > 0 && !isArrayIndex(names[start - 1]!)) start--;
  return [...names.slice(start), ...symbols];
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}

function formatExtraProperty(ctx: Context, value: object, recurseTimes: number, key: string, typedArray?: boolean): string {
  ctx.indentationLvl += 2;
  const str = formatValue(ctx, (value as Record<string, unknown>)[key], recurseTimes, typedArray);
  ctx.indentationLvl -= 2;
  return `[${key}]: ${str}`;
}

export function formatProperty(
  ctx: Context, value: object, recurseTimes: number, key: PropertyKey, type: number, desc?: PropertyDescriptor,
): string {
  let str: string;
  let extra = " ";
  desc ??= Object.getOwnPropertyDescriptor(value, key) ?? { value: (value as Record<PropertyKey, unknown>)[key], enumerable: true };
  if (desc.value !== undefined) {
    const diff = ctx.compact !== true || type !== kObjectType ? 2 : 3;
    ctx.indentationLvl += diff;
    str = formatValue(ctx, desc.value, recurseTimes);
    if (diff === 3 && ctx.breakLength < getStringWidth(str)) extra = `\n${" ".repeat(ctx.indentationLvl)}`;
    ctx.indentationLvl -= diff;
  } else if (desc.get !== undefined) {
    const label = desc.set !== undefined ? "Getter/Setter" : "Getter";
    const { getters } = ctx;
    if (getters === true || (getters === "get" && desc.set === undefined) || (getters === "set" && desc.set !== undefined)) {
      ctx.indentationLvl += 2;
      try {
        const got: unknown = desc.get.call(value);
        if (got === null) str = `[${label}: null]`;
        else if (typeof got === "object" || typeof got === "function") str = `[${label}] ${formatValue(ctx, got, recurseTimes)}`;
        else str = `[${label}: ${formatPrimitive(got, ctx)}]`;
      } catch (error) {
        str = `[${label}: <Inspection threw (${formatValue(ctx, error, recurseTimes)})>]`;
      }
      ctx.indentationLvl -= 2;
    } else {
      str = `[${label}]`;
    }
  } else if (desc.set !== undefined) {
    str = "[Setter]";
  } else {
    str = "undefined";
  }
  if (type === kArrayType) return str;
  let name: string;
  if (typeof key === "symbol") name = escapeAll(key.toString());
  else if (/^[a-zA-Z_][a-zA-Z_0-9]*$/.test(String(key))) name = key === "__proto__" ? "['__proto__']" : String(key);
  else name = strEscape(String(key));
  if (desc.enumerable === false) name = `[${name}]`;
  return `${name}:${extra}${str}`;
}
