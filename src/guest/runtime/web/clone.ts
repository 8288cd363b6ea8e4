/**
 * @module guest/runtime/web/clone
 *
 * `structuredClone` for a bare V8 isolate, which has none: the HTML structured clone algorithm
 * (§2.7 "Safe passing of structured data") for every type an isolate can hold, with the details
 * V8's serializer (and so Node and browsers) adds.
 *
 * Guarantees:
 * - Like HTML, a clone is made in three phases: serialize the whole graph (running getters, copying
 *   buffer contents), then transfer, then build the clone. A DataCloneError or an exception thrown
 *   by a getter therefore leaves every buffer in `transfer` attached.
 * - Cloned: primitives (BigInt included), Boolean/Number/String/BigInt wrappers, Date, RegExp
 *   (source and flags; `lastIndex` is 0), ArrayBuffer (resizable ones stay resizable), every typed
 *   array and DataView, Map, Set, arrays (length, holes and any other own enumerable string keys),
 *   other objects (own enumerable string keys into a plain Object: prototypes are not kept), errors
 *   (constructor from `name` among the seven native ones else Error; `message`; `stack` if a
 *   string; `cause`) and DOMException (name, message, stack). Shared references and cycles are kept.
 * - A DOMException named "DataCloneError" for functions, symbols, Symbol wrappers, WeakMap, WeakSet,
 *   WeakRef, FinalizationRegistry, Promise, arguments objects, generators and iterators, detached or
 *   out-of-bounds buffers and views, and SharedArrayBuffer (see below).
 * - `options.transfer` may hold only ArrayBuffers, each at most once; after a successful clone they
 *   are detached and the clone owns their memory (`ArrayBuffer.prototype.transfer`, no copy).
 *
 * What pure JavaScript cannot see, and so differs from V8: a Proxy is cloned through its traps;
 * an object whose built-in type is disguised (a Map whose `Symbol.toStringTag` is changed) is cloned
 * as a plain object; a typed array that tracks the length of a resizable buffer becomes a fixed-length
 * view; and a SharedArrayBuffer, which cannot be re-wrapped around the same memory, is a
 * DataCloneError (as in a browser page that is not cross-origin isolated).
 */

import { DOMException } from "./dom-exception.ts";
import { intrinsicGet, isArrayBuffer, typedArrayName } from "../core/brands.ts";

export interface StructuredSerializeOptions {
  transfer?: Iterable<unknown>;
}

/** The serialized form of a value: primitives stand for themselves, objects become nodes. */
type Serialized = undefined | null | boolean | number | bigint | string | Node;

interface BufferNode {
  kind: "buffer";
  data: ArrayBuffer; // a private copy, or the original until it is transferred
}

/** A serialized object; `clone` is set once deserialization has made its copy. */
type Node = { clone?: object } & (
  | BufferNode
  | { kind: "box"; value: boolean | number | bigint | string }
  | { kind: "date"; time: number }
  | { kind: "regexp"; source: string; flags: string }
  | { kind: "view"; type: string; buffer: BufferNode; byteOffset: number; length: number }
  | { kind: "map" | "set"; items: Serialized[] }
  | { kind: "array"; length: number; props: Serialized[] }
  | { kind: "object"; props: Serialized[] }
  | { kind: "error"; name: string; message?: string; stack?: string; cause?: { value: Serialized } }
  | { kind: "dom-exception"; name: string; message: string; stack?: string }
);

const ERROR_NAMES = ["Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError"];
const REGEXP_FLAGS = ["hasIndices", "global", "ignoreCase", "multiline", "dotAll", "unicode", "unicodeSets", "sticky"];

export function structuredClone<T>(value: T, options?: StructuredSerializeOptions): T {
  if (arguments.length === 0) throw new TypeError('The "value" argument must be specified');
  const memory = new Map<object, Node>();
  const moved: BufferNode[] = [];
  for (const item of transferList(options)) {
    if (!isArrayBuffer(item)) throw cloneError("Found invalid value in transferList.");
    if (memory.has(item)) throw cloneError("Transfer list contains duplicate ArrayBuffer");
    const node: BufferNode = { kind: "buffer", data: item };
    memory.set(item, node);
    moved.push(node);
  }
  const serialized = serialize(value, memory);
  for (const node of moved) {
    if (node.data.detached) throw cloneError("Cannot transfer object of unsupported type.");
  }
  for (const node of moved) node.data = node.data.transfer();
  return deserialize(serialized) as T;
}

/** WebIDL conversion of `options` (a StructuredSerializeOptions dictionary) to its transfer list. */
function transferList(options: unknown): unknown[] {
  if (options === undefined || options === null) return [];
  if (typeof options !== "object" && typeof options !== "function") {
    throw new TypeError("Failed to execute 'structuredClone': Options cannot be converted to a dictionary");
  }
  const transfer: unknown = (options as StructuredSerializeOptions).transfer;
  if (transfer === undefined) return [];
  if (!isObject(transfer) || typeof (transfer as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError("Failed to execute 'structuredClone': transfer in Options cannot be converted to sequence.");
  }
  const list: unknown[] = [];
  for (const item of transfer as Iterable<unknown>) {
    if (!isObject(item)) {
      throw new TypeError(`Failed to execute 'structuredClone': transfer in Options[${list.length}] is not an object.`);
    }
    list.push(item);
  }
  return list;
}

function serialize(value: unknown, memory: Map<object, Node>): Serialized {
  if (typeof value === "symbol") throw uncloneable(value);
  if (!isObject(value)) return value as Serialized;
  const known = memory.get(value);
  if (known !== undefined) return known;
  if (typeof value === "function") throw uncloneable(value);
  if (Array.isArray(value)) {
    const node: Node = { kind: "array", length: value.length, props: [] };
    memory.set(value, node);
    serializeProps(value, node.props, memory);
    return node;
  }
  if (ArrayBuffer.isView(value)) return serializeView(value, memory);
  if (isError(value)) return serializeError(value, memory);
  let node: Node | undefined;
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  switch (tag) {
    case "Boolean":
    case "Number":
    case "String":
    case "BigInt": {
      const primitive = attempt(() => (globalThis[tag].prototype.valueOf as () => unknown).call(value));
      if (primitive.ok) node = { kind: "box", value: primitive.value as boolean | number | bigint | string };
      break;
    }
    case "Date": {
      const time = attempt(() => Date.prototype.getTime.call(value));
      if (time.ok) node = { kind: "date", time: time.value };
      break;
    }
    case "RegExp": {
      const source = attempt(() => intrinsicGet(RegExp.prototype, "source", value) as string);
      if (source.ok && value !== RegExp.prototype) {
        const flags = "dgimsuvy".split("").filter((_, i) => intrinsicGet(RegExp.prototype, REGEXP_FLAGS[i]!, value));
        node = { kind: "regexp", source: source.value, flags: flags.join("") };
      }
      break;
    }
    case "ArrayBuffer":
      if (isArrayBuffer(value)) node = { kind: "buffer", data: copyBuffer(value) };
      break;
    case "Map":
    case "Set": {
      const items: unknown[] = [];
      const proto = tag === "Map" ? Map.prototype : Set.prototype;
      const copied = attempt(() => proto.forEach.call(value, (v: unknown, k: unknown) => items.push(k, v)));
      if (!copied.ok) break;
      const list: Serialized[] = [];
      memory.set(value, { kind: tag === "Map" ? "map" : "set", items: list });
      for (let i = 0; i < items.length; i += 2) {
        list.push(serialize(items[i], memory));
        if (tag === "Map") list.push(serialize(items[i + 1], memory));
      }
      return memory.get(value)!;
    }
    default:
      if (isUncloneable(tag, value)) throw uncloneable(value);
  }
  if (node !== undefined) {
    memory.set(value, node);
    return node;
  }
  const plain: Node = { kind: "object", props: [] };
  memory.set(value, plain);
  serializeProps(value, plain.props, memory);
  return plain;
}

/** Own enumerable string keys with their serialized values, as a flat key/value list. */
function serializeProps(value: object, props: Serialized[], memory: Map<object, Node>): void {
  for (const key of Object.keys(value)) {
    // A getter run earlier may have deleted the key (HTML: "if ! HasOwnProperty(value, key)").
    if (Object.hasOwn(value, key)) props.push(key, serialize((value as Record<string, unknown>)[key], memory));
  }
}

function serializeView(view: ArrayBufferView, memory: Map<object, Node>): Node {
  const type = typedArrayName(view) ?? "DataView";
  const proto = type === "DataView" ? DataView.prototype : Object.getPrototypeOf(Uint8Array.prototype);
  const buffer = intrinsicGet(proto, "buffer", view) as ArrayBuffer;
  // HTML: IsArrayBufferViewOutOfBounds; the DataView getters and `at` throw for exactly those views.
  const inBounds = !buffer.detached &&
    attempt(() => (type === "DataView" ? intrinsicGet(proto, "byteLength", view) : proto.at.call(view, 0))).ok;
  if (!inBounds) throw cloneError("An ArrayBuffer is detached and could not be cloned.");
  const bufferNode = serialize(buffer, memory) as BufferNode;
  const node: Node = {
    kind: "view",
    type,
    buffer: bufferNode,
    byteOffset: intrinsicGet(proto, "byteOffset", view) as number,
    length: intrinsicGet(proto, type === "DataView" ? "byteLength" : "length", view) as number,
  };
  memory.set(view, node);
  return node;
}

const domExceptionName = Object.getOwnPropertyDescriptor(DOMException.prototype, "name")!.get!;

function serializeError(error: Error, memory: Map<object, Node>): Node {
  const domName = attempt(() => domExceptionName.call(error) as string);
  if (domName.ok) {
    const stack = error.stack;
    const node: Node = { kind: "dom-exception", name: domName.value, message: error.message };
    if (typeof stack === "string") node.stack = stack;
    memory.set(error, node);
    return node;
  }
  // The order of reads follows V8's ValueSerializer::WriteJSError.
  const messageDesc = Object.getOwnPropertyDescriptor(error, "message");
  const causeDesc = Object.getOwnPropertyDescriptor(error, "cause");
  const name = `${error.name}`;
  const node: Node = { kind: "error", name: ERROR_NAMES.includes(name) ? name : "Error" };
  if (messageDesc !== undefined && "value" in messageDesc) node.message = `${messageDesc.value}`;
  const stack = error.stack;
  if (typeof stack === "string") node.stack = stack;
  memory.set(error, node);
  if (causeDesc !== undefined && "value" in causeDesc) node.cause = { value: serialize(causeDesc.value, memory) };
  return node;
}

function deserialize(s: Serialized): unknown {
  if (s === null || typeof s !== "object") return s;
  if (s.clone !== undefined) return s.clone;
  let clone: object;
  switch (s.kind) {
    case "buffer":
      clone = s.data;
      break;
    case "box":
      clone = Object(s.value) as object;
      break;
    case "date":
      clone = new Date(s.time);
      break;
    case "regexp":
      clone = new RegExp(s.source, s.flags);
      break;
    case "view": {
      const buffer = deserialize(s.buffer) as ArrayBuffer;
      clone = s.type === "DataView"
        ? new DataView(buffer, s.byteOffset, s.length)
        : new (typedArrayConstructor(s.type))(buffer, s.byteOffset, s.length);
      break;
    }
    case "map": {
      const map = new Map<unknown, unknown>();
      s.clone = map;
      for (let i = 0; i < s.items.length; i += 2) map.set(deserialize(s.items[i]), deserialize(s.items[i + 1]));
      return map;
    }
    case "set": {
      const set = new Set<unknown>();
      s.clone = set;
      for (const item of s.items) set.add(deserialize(item));
      return set;
    }
    case "array":
    case "object": {
      const target = (s.kind === "array" ? new Array(s.length) : {}) as Record<string, unknown>;
      s.clone = target;
      for (let i = 0; i < s.props.length; i += 2) {
        const key = s.props[i] as string;
        const value = deserialize(s.props[i + 1]);
        // CreateDataProperty: never an inherited setter, nor the `__proto__` accessor.
        if (key in target) Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
        else target[key] = value;
      }
      return target;
    }
    case "error": {
      const Constructor = globalThis[s.name as "Error"];
      const error = s.message === undefined ? new Constructor() : new Constructor(s.message);
      s.clone = error;
      if (s.cause !== undefined) {
        Object.defineProperty(error, "cause", { value: deserialize(s.cause.value), writable: true, configurable: true });
      }
      error.stack = s.stack;
      return error;
    }
    case "dom-exception": {
      const error = new DOMException(s.message, s.name);
      error.stack = s.stack;
      clone = error;
      break;
    }
  }
  s.clone = clone;
  return clone;
}

type TypedArrayConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

function typedArrayConstructor(name: string): TypedArrayConstructor {
  return (globalThis as unknown as Record<string, TypedArrayConstructor>)[name]!;
}

function copyBuffer(buffer: ArrayBuffer): ArrayBuffer {
  if (buffer.detached) throw cloneError("An ArrayBuffer is detached and could not be cloned.");
  const copy = buffer.resizable
    ? new ArrayBuffer(buffer.byteLength, { maxByteLength: buffer.maxByteLength })
    : new ArrayBuffer(buffer.byteLength);
  new Uint8Array(copy).set(new Uint8Array(buffer));
  return copy;
}

/** Built-in objects that HTML and V8 refuse, recognised by brand where a side-effect-free check exists. */
function isUncloneable(tag: string, value: object): boolean {
  switch (tag) {
    case "Symbol":
      return attempt(() => Symbol.prototype.valueOf.call(value)).ok;
    case "WeakMap":
      return attempt(() => WeakMap.prototype.has.call(value, {})).ok;
    case "WeakSet":
      return attempt(() => WeakSet.prototype.has.call(value, {})).ok;
    case "WeakRef":
      return attempt(() => WeakRef.prototype.deref.call(value)).ok;
    case "FinalizationRegistry":
      return attempt(() => FinalizationRegistry.prototype.unregister.call(value, {})).ok;
    case "SharedArrayBuffer":
    case "Promise":
    case "Arguments":
    case "Generator":
    case "AsyncGenerator":
    case "Module":
      return true;
    default:
      return tag.endsWith(" Iterator") || tag === "Iterator Helper";
  }
}

function isError(value: object): value is Error {
  const check = (Error as { isError?: (value: unknown) => boolean }).isError;
  return check !== undefined ? check(value) : Object.prototype.toString.call(value) === "[object Error]";
}

function isObject(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

function attempt<T>(fn: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: fn() };
  } catch {
    return { ok: false };
  }
}

function cloneError(message: string): DOMException {
  return new DOMException(message, "DataCloneError");
}

/** V8's message: the value as `Object::NoSideEffectsToString` prints it, then "could not be cloned." */
function uncloneable(value: unknown): DOMException {
  let text: string;
  if (typeof value === "symbol") text = value.toString();
  else if (typeof value === "function") text = Function.prototype.toString.call(value);
  else if (dataProperty(value as object, "toString") === Object.prototype.toString) {
    const ctor = dataProperty(value as object, "constructor");
    const name = typeof ctor === "function" ? dataProperty(ctor, "name") : undefined;
    text = typeof name === "string" && name !== "" ? `#<${name}>` : objectTag(value as object);
  } else text = objectTag(value as object);
  return cloneError(`${text} could not be cloned.`);
}

function objectTag(value: object): string {
  const tag = dataProperty(value, Symbol.toStringTag);
  return `[object ${typeof tag === "string" ? tag : "Object"}]`;
}

/** The value of a data property found on `value` or its prototypes, without running any getter. */
function dataProperty(value: object, key: PropertyKey): unknown {
  for (let o: object | null = value; o !== null; o = Object.getPrototypeOf(o)) {
    const desc = Object.getOwnPropertyDescriptor(o, key);
    if (desc !== undefined) return "value" in desc ? desc.value : undefined;
  }
  return undefined;
}
