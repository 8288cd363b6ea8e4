/**
 * @module guest/runtime/web/crypto
 * `crypto.getRandomValues` and `crypto.randomUUID`, backed by the host's CSPRNG through
 * `random.fill`. As in Web Crypto, only integer typed arrays are accepted and at most 65,536 bytes
 * per call (QuotaExceededError beyond).
 *
 * `crypto.subtle` (with the `SubtleCrypto` and `CryptoKey` globals) is a runtime *part*: its
 * source is asked of the tender (`runtime.part`) and evaluated the first time one of them is
 * read, so a unikernel that never touches them holds none of their code (see subtle/main.ts).
 */

import { LIMITS } from "../../../abi/index.ts";
import { DOMException } from "./dom-exception.ts";
import type { Call } from "../core/hypercall.ts";
import type { SubtlePart } from "./subtle/main.ts";

/** The Function constructor as the runtime found it, before any image code could replace it. */
const FunctionIntrinsic = Function;

/** Loads the subtle part once, on first use. */
export function subtleLoader(call: Call, utf8: { encode(text: string): Uint8Array; decode(bytes: Uint8Array): string }): () => SubtlePart {
  let part: SubtlePart | undefined;
  return () => {
    if (part === undefined) {
      // The part's script leaves its exports in a `var` of the function it is evaluated in: no global is touched.
      const module = new FunctionIntrinsic(`${call("runtime.part", "subtle")}\nreturn __tsukiPart;`)() as { load: typeof import("./subtle/main.ts").load };
      const random = (n: number) => call("random.fill", n);
      part = module.load({ DOMException: DOMException as new (message: string, name: string) => Error, call, random, utf8 });
    }
    return part;
  };
}

type IntegerArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

const INTEGER_ARRAYS = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array"];
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;

export function makeCrypto(fill: (n: number) => Uint8Array, subtle?: () => SubtlePart) {
  function getRandomValues<T extends IntegerArray>(array: T): T {
    const tag = ArrayBuffer.isView(array) ? (typedArrayTag.call(array) as string | undefined) : undefined;
    if (tag === undefined || !INTEGER_ARRAYS.includes(tag)) {
      throw new DOMException("getRandomValues: the argument must be an integer-typed array", "TypeMismatchError");
    }
    if (array.byteLength > LIMITS.randomFill) {
      throw new DOMException(`getRandomValues: ${array.byteLength} bytes exceed the quota of ${LIMITS.randomFill}`, "QuotaExceededError");
    }
    if (array.byteLength > 0) {
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(fill(array.byteLength));
    }
    return array;
  }

  function randomUUID(): string {
    const b = getRandomValues(new Uint8Array(16));
    b[6] = (b[6]! & 0x0f) | 0x40; // RFC 9562 §5.4: version 4
    b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
    let hex = "";
    for (const byte of b) hex += (byte + 0x100).toString(16).slice(1);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const crypto = { getRandomValues, randomUUID } as { getRandomValues: typeof getRandomValues; randomUUID: typeof randomUUID; readonly subtle?: SubtlePart["subtle"] };
  if (subtle !== undefined) Object.defineProperty(crypto, "subtle", { get: () => subtle().subtle, enumerable: true });
  return crypto;
}
