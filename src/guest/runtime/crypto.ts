/**
 * @module guest/runtime/crypto
 * `crypto.getRandomValues` and `crypto.randomUUID`, backed by the host's CSPRNG through
 * `random.fill`. As in Web Crypto, only integer typed arrays are accepted and at most 65,536 bytes
 * per call (QuotaExceededError beyond).
 */

import { LIMITS } from "../../abi/index.ts";
import { DOMException } from "./dom-exception.ts";

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

export function makeCrypto(fill: (n: number) => Uint8Array) {
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

  return { getRandomValues, randomUUID };
}
