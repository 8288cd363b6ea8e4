/**
 * @module guest/runtime/core/brands
 *
 * Brand checks for built-ins, shared by the guest's web basics (encoding, clone, inspect): they ask
 * the engine whether an object really has a built-in's internal slots, through the intrinsic
 * accessors, instead of trusting `instanceof`, `constructor` or `Symbol.toStringTag`, which any
 * object can fake and which fail across realms.
 *
 * Guarantees: no check runs user code (only intrinsic getters are called), and none throws.
 */

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;

/** Calls the built-in getter `key` of `proto` on `target`; throws if `target` lacks the brand. */
export function intrinsicGet(proto: object, key: PropertyKey, target: unknown): unknown {
  return Object.getOwnPropertyDescriptor(proto, key)!.get!.call(target);
}

/** The element type of a typed array (`"Uint8Array"`, …), or undefined for anything else. */
export function typedArrayName(value: unknown): string | undefined {
  return intrinsicGet(TypedArrayPrototype, Symbol.toStringTag, value) as string | undefined;
}

/** Whether `value` is an ArrayBuffer (a SharedArrayBuffer is not). */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return hasBrand(ArrayBuffer.prototype, "byteLength", value);
}

/** Whether `value` is a SharedArrayBuffer (absent from isolates started without it). */
export function isSharedArrayBuffer(value: unknown): value is SharedArrayBuffer {
  return typeof SharedArrayBuffer === "function" && hasBrand(SharedArrayBuffer.prototype, "byteLength", value);
}

/** Whether the built-in getter `key` of `proto` accepts `value` as its receiver. */
export function hasBrand(proto: object, key: PropertyKey, value: unknown): boolean {
  if ((typeof value !== "object" || value === null) && typeof value !== "function") return false;
  try {
    intrinsicGet(proto, key, value);
    return true;
  } catch {
    return false;
  }
}
