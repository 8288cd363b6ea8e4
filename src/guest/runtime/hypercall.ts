/**
 * @module guest/runtime/hypercall
 * The guest's side of the hypercall ABI: `call` invokes the raw host function and turns a
 * `HypercallError` value into a thrown `Error` with the stable `code`, so guest code handles
 * hypercall failures like Node system errors.
 */

import { type HypercallArgs, type HypercallFn, type HypercallName, type HypercallResults, isHypercallError } from "../../abi/index.ts";

export interface SystemError extends Error {
  code: string;
  syscall: string;
}

export function makeCall(raw: HypercallFn) {
  return function call<N extends HypercallName>(name: N, ...args: HypercallArgs[N]): HypercallResults[N] {
    const result = raw(name, ...args);
    if (isHypercallError(result)) {
      const error = new Error(`${name} ${result.errno}: ${result.message}`) as SystemError;
      error.code = result.errno;
      error.syscall = name;
      throw error;
    }
    return result as HypercallResults[N];
  };
}

export type Call = ReturnType<typeof makeCall>;
