/**
 * @module guest/runtime/core/memory/growable-buffers
 * Resizable ArrayBuffers and growable SharedArrayBuffers inside --mem. V8 reserves such a
 * buffer's `maxByteLength` outside its heap and commits pages as it is resized, and counts none
 * of it (measured: a 1 GB resize, written through, showed no external memory), while the
 * buffers it allocates in one piece go through the allocator the heap guard sees. So the whole
 * maximum is reserved with the guard when the buffer is made (and when `transfer` makes a new
 * one), as a WebAssembly memory's is; a maximum that does not fit throws the RangeError an
 * allocation failure throws. Fixed-length buffers are untouched.
 */

import type { Ledger } from "./ledger.ts";

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function limitGrowableBuffers(global: typeof globalThis, ledger: Ledger): void {
  const { apply, construct, defineProperty, getOwnPropertyDescriptor, ownKeys } = Reflect;

  /** Replaces constructor `name` with one that reserves the maximum of what it makes when `growable(buffer)`. */
  function guard(name: "ArrayBuffer" | "SharedArrayBuffer", flag: "resizable" | "growable"): void {
    const Original = (global as unknown as Record<string, Function | undefined>)[name];
    if (typeof Original !== "function") return;
    const growable = getOwnPropertyDescriptor(Original.prototype, flag)?.get;
    const maxLength = getOwnPropertyDescriptor(Original.prototype, "maxByteLength")?.get;
    if (growable === undefined || maxLength === undefined) return;
    const reserve = (buffer: ArrayBuffer | SharedArrayBuffer): void => {
      if (apply(growable, buffer, []) !== true) return;
      const max = apply(maxLength, buffer, []) as number;
      if (!ledger.reserve(buffer, max, false)) {
        throw new RangeError(`Array buffer allocation failed: a ${flag} ${name} of up to ${mib(max)} does not fit the ${mib(ledger.available(false))} left of --mem`);
      }
    };
    const Wrapper = function (this: unknown, ...args: unknown[]) {
      if (new.target === undefined) throw new TypeError(`Constructor ${name} requires 'new'`);
      const buffer = construct(Original, args, new.target) as ArrayBuffer;
      reserve(buffer);
      return buffer;
    };
    for (const key of ownKeys(Original)) {
      if (key === "prototype" || key === "name" || key === "length") continue;
      defineProperty(Wrapper, key, getOwnPropertyDescriptor(Original, key)!);
    }
    defineProperty(Wrapper, "name", { value: name, configurable: true });
    defineProperty(Wrapper, "length", { value: 1, configurable: true });
    defineProperty(Wrapper, "prototype", { value: Original.prototype, writable: false, enumerable: false, configurable: false });
    defineProperty(Original.prototype, "constructor", { value: Wrapper, writable: true, enumerable: false, configurable: true });
    defineProperty(global, name, { value: Wrapper, writable: true, enumerable: false, configurable: true });
    // transfer() of a resizable buffer makes another resizable buffer, maybe with a new backing store.
    for (const method of ["transfer"] as const) {
      const original = getOwnPropertyDescriptor(Original.prototype, method)?.value as Function | undefined;
      if (typeof original !== "function") continue;
      const transfer = {
        [method](this: ArrayBuffer, ...args: unknown[]) {
          const result = apply(original, this, args) as ArrayBuffer;
          reserve(result);
          return result;
        },
      }[method]!;
      defineProperty(transfer, "length", { value: 0, configurable: true });
      defineProperty(Original.prototype, method, { value: transfer, writable: true, enumerable: false, configurable: true });
    }
  }

  guard("ArrayBuffer", "resizable");
  guard("SharedArrayBuffer", "growable");
}
