/**
 * @module guest/runtime/core/inspect-types
 *
 * What kind of built-in a value is, for `inspect` (./inspect.ts), and how the contents of the
 * built-ins print: array elements (holes as `<n empty items>`), typed array elements, the bytes of an
 * ArrayBuffer, Set members and Map entries, plus the one-line form of functions (`[Function: f]`,
 * `[AsyncFunction: f]`, `[Function (anonymous)]`), classes (`[class A extends B]`) and boxed
 * primitives (`[Number: 3]`). Ported from Node's lib/internal/util/inspect.js (v24).
 *
 * Guarantees: `Object.prototype.toString` only picks a candidate kind, which a brand check (the
 * intrinsic `Map.prototype.size` getter, `Date.prototype.getTime`, …) then confirms, so a forged
 * `Symbol.toStringTag` never makes an object print as a built-in it is not. (The converse is out of
 * reach of pure JavaScript: a Map or Set whose prototype was set to null prints as a plain object.)
 * Collections print at most `maxArrayLength` items, then `... n more items`.
 */

import { hasBrand, intrinsicGet, isArrayBuffer, isSharedArrayBuffer, typedArrayName } from "./brands.ts";
import { formatProperty, formatValue } from "./inspect.ts";
import { type Context, formatNumber, formatPrimitive, kArrayType } from "./inspect-text.ts";

export type Kind =
  | "function" | "array" | "typed" | "dataview" | "error" | "set" | "map" | "regexp" | "date" | "arraybuffer"
  | "sharedarraybuffer" | "promise" | "weakset" | "weakmap" | "boxed" | "arguments" | "object";

type AnyFunction = (...args: unknown[]) => unknown;

export const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;

function succeeds(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

/** What built-in an object is, by brand; `Object.prototype.toString` only picks the candidate. */
export function kindOf(value: object): Kind {
  if (typeof value === "function") return "function";
  if (Array.isArray(value)) return "array";
  if (ArrayBuffer.isView(value)) return typedArrayName(value) !== undefined ? "typed" : "dataview";
  if (isError(value)) return "error";
  let tag = "";
  try {
    tag = Object.prototype.toString.call(value).slice(8, -1);
  } catch {}
  switch (tag) {
    case "Set":
    case "Map":
      if (!hasBrand(tag === "Set" ? Set.prototype : Map.prototype, "size", value)) return "object";
      return tag === "Set" ? "set" : "map";
    case "RegExp":
      return value !== RegExp.prototype && hasBrand(RegExp.prototype, "source", value) ? "regexp" : "object";
    case "Date":
      return succeeds(() => Date.prototype.getTime.call(value)) ? "date" : "object";
    case "ArrayBuffer":
      return isArrayBuffer(value) ? "arraybuffer" : "object";
    case "SharedArrayBuffer":
      return isSharedArrayBuffer(value) ? "sharedarraybuffer" : "object";
    case "WeakSet":
      return succeeds(() => WeakSet.prototype.has.call(value, {})) ? "weakset" : "object";
    case "WeakMap":
      return succeeds(() => WeakMap.prototype.has.call(value, {})) ? "weakmap" : "object";
    case "Number":
    case "String":
    case "Boolean":
    case "BigInt":
    case "Symbol":
      return unbox(value) !== undefined ? "boxed" : "object";
    case "Promise":
      return "promise";
    case "Arguments":
      return "arguments";
    default:
      return "object";
  }
}

/** The primitive inside a Number/String/Boolean/BigInt/Symbol wrapper, with its type name. */
function unbox(value: object): [string, unknown] | undefined {
  for (const ctor of [Number, String, Boolean, BigInt, Symbol] as const) {
    try {
      return [ctor.name, (ctor.prototype.valueOf as () => unknown).call(value)];
    } catch {}
  }
  return undefined;
}

export function getBoxedBase(value: object, ctx: Context, keys: PropertyKey[], constructor: string | null, tag: string): string {
  const [type, primitive] = unbox(value)!;
  // A String wrapper's index keys repeat its characters.
  if (type === "String") keys.splice(0, (primitive as string).length);
  let base = `[${type}`;
  if (type !== constructor) base += constructor === null ? " (null prototype)" : ` (${constructor})`;
  base += `: ${formatPrimitive(primitive, ctx)}]`;
  if (tag !== "" && tag !== constructor) base += ` [${tag}]`;
  return base;
}

export function isError(value: unknown): value is Error {
  const check = (Error as { isError?: (value: unknown) => boolean }).isError;
  return check?.(value) === true || value instanceof Error;
}

export function getFunctionBase(ctx: Context, value: AnyFunction, constructor: string | null, tag: string): string {
  const source = Function.prototype.toString.call(value);
  if (source.startsWith("class") && source.endsWith("}")) {
    const slice = source.slice(5, -1);
    const bracketIndex = slice.indexOf("{");
    if (
      bracketIndex !== -1 &&
      (!slice.slice(0, bracketIndex).includes("(") ||
        /^(\s+[^(]*?)\s*{/.exec(slice.replace(/(\/\/.*?\n)|(\/\*(.|\n)*?\*\/)/g, "")) !== null)
    ) {
      return getClassBase(value, constructor, tag);
    }
  }
  // The intrinsic prototypes of these kinds of function carry their Symbol.toStringTag.
  const kind = Object.prototype.toString.call(value);
  let type = "Function";
  if (kind === "[object GeneratorFunction]" || kind === "[object AsyncGeneratorFunction]") type = `Generator${type}`;
  if (kind === "[object AsyncFunction]" || kind === "[object AsyncGeneratorFunction]") type = `Async${type}`;
  let base = `[${type}`;
  if (constructor === null) base += " (null prototype)";
  const name: unknown = value.name;
  if (name === "") base += " (anonymous)";
  else base += `: ${typeof name === "string" ? name : formatValue(ctx, name, 0)}`;
  base += "]";
  if (constructor !== type && constructor !== null) base += ` ${constructor}`;
  if (tag !== "" && constructor !== tag) base += ` [${tag}]`;
  return base;
}

function getClassBase(value: AnyFunction, constructor: string | null, tag: string): string {
  const name = (Object.hasOwn(value, "name") && value.name) || "(anonymous)";
  let base = `class ${name}`;
  if (constructor !== "Function" && constructor !== null) base += ` [${constructor}]`;
  if (tag !== "" && constructor !== tag) base += ` [${tag}]`;
  if (constructor !== null) {
    const superName: unknown = (Object.getPrototypeOf(value) as { name?: unknown }).name;
    if (superName) base += ` extends ${superName as string}`;
  } else {
    base += " extends [null prototype]";
  }
  return `[${base}]`;
}

const remainingText = (remaining: number) => `... ${remaining} more item${remaining > 1 ? "s" : ""}`;

export function formatArray(ctx: Context, value: object, recurseTimes: number): string[] {
  const array = value as unknown[];
  const length = Math.min(Math.max(0, ctx.maxArrayLength), array.length);
  const output: string[] = [];
  for (let i = 0; i < length; i++) {
    const desc = Object.getOwnPropertyDescriptor(array, i);
    if (desc === undefined) return formatSparseArray(ctx, array, recurseTimes, length, output, i);
    output.push(formatProperty(ctx, array, recurseTimes, i, kArrayType, desc));
  }
  if (array.length > length) output.push(remainingText(array.length - length));
  return output;
}

/** The rest of an array from its first hole on: runs of holes become `<n empty items>`. */
function formatSparseArray(ctx: Context, value: unknown[], recurseTimes: number, maxLength: number, output: string[], i: number): string[] {
  const keys = Object.keys(value);
  let index = i;
  for (; i < keys.length && output.length < maxLength; i++) {
    const key = keys[i]!;
    const n = +key;
    if (n > 2 ** 32 - 2) break;
    if (`${index}` !== key) {
      if (!/^(0|[1-9][0-9]*)$/.test(key)) break;
      const empty = n - index;
      output.push(`<${empty} empty item${empty > 1 ? "s" : ""}>`);
      index = n;
      if (output.length === maxLength) break;
    }
    output.push(formatProperty(ctx, value, recurseTimes, key, kArrayType));
    index++;
  }
  const remaining = value.length - index;
  if (output.length !== maxLength) {
    if (remaining > 0) output.push(`<${remaining} empty item${remaining > 1 ? "s" : ""}>`);
  } else if (remaining > 0) {
    output.push(remainingText(remaining));
  }
  return output;
}

export function formatTypedArray(ctx: Context, value: Record<number, number | bigint>, length: number): string[] {
  const maxLength = Math.min(Math.max(0, ctx.maxArrayLength), length);
  const output: string[] = [];
  for (let i = 0; i < maxLength; i++) {
    const item = value[i]!;
    output.push(typeof item === "number" ? formatNumber(item) : `${item}n`);
  }
  if (length > maxLength) output.push(remainingText(length - maxLength));
  return output;
}

export function formatArrayBuffer(ctx: Context, value: object): string[] {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(value as ArrayBuffer);
  } catch {
    return ["(detached)"];
  }
  const shown = Math.min(ctx.maxArrayLength, bytes.length);
  const hex: string[] = [];
  for (let i = 0; i < shown; i++) hex.push(bytes[i]!.toString(16).padStart(2, "0"));
  let str = hex.join(" ");
  const remaining = bytes.length - ctx.maxArrayLength;
  if (remaining > 0) str += ` ... ${remaining} more byte${remaining > 1 ? "s" : ""}`;
  return [`[Uint8Contents]: <${str}>`];
}

export function formatSet(ctx: Context, value: object, recurseTimes: number): string[] {
  const output: string[] = [];
  ctx.indentationLvl += 2;
  let shown = 0;
  let remaining = 0;
  Set.prototype.forEach.call(value, (item: unknown) => {
    if (shown++ < ctx.maxArrayLength) output.push(formatValue(ctx, item, recurseTimes));
    else remaining++;
  });
  if (remaining > 0) output.push(remainingText(remaining));
  ctx.indentationLvl -= 2;
  return output;
}

export function formatMap(ctx: Context, value: object, recurseTimes: number): string[] {
  const output: string[] = [];
  ctx.indentationLvl += 2;
  let shown = 0;
  let remaining = 0;
  Map.prototype.forEach.call(value, (item: unknown, key: unknown) => {
    if (shown++ < ctx.maxArrayLength) output.push(`${formatValue(ctx, key, recurseTimes)} => ${formatValue(ctx, item, recurseTimes)}`);
    else remaining++;
  });
  if (remaining > 0) output.push(remainingText(remaining));
  ctx.indentationLvl -= 2;
  return output;
}
