/**
 * @module guest/runtime/core/hypercall
 * The guest's side of the hypercall ABI: `call` invokes the raw host function and turns a
 * `HypercallError` value into a thrown `Error` with the stable `code`, so guest code handles
 * hypercall failures like Node system errors.
 *
 * A byte array that views part of a larger buffer is copied to a buffer of its own first: the
 * isolate target's crossing copies a view's whole buffer, so a 64 KiB piece of a 16 MiB
 * `console.log` would cross as 16 MiB, 256 times over (4 GiB copied for one line).
 */

import { type HypercallArgs, type HypercallFn, type HypercallName, type HypercallResults, isHypercallError } from "../../../abi/index.ts";
import { systemError } from "../../sdk/errors.ts";


export function makeCall(raw: HypercallFn) {
  return function call<N extends HypercallName>(name: N, ...args: HypercallArgs[N]): HypercallResults[N] {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg instanceof Uint8Array && arg.byteLength < arg.buffer.byteLength) (args as unknown[])[i] = arg.slice();
    }
    const result = raw(name, ...args);
    if (isHypercallError(result)) {
      throw systemError(result.errno, name, { detail: result.message });
    }
    return result as HypercallResults[N];
  };
}

export type Call = ReturnType<typeof makeCall>;
