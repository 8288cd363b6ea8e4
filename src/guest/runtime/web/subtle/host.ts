/**
 * @module guest/runtime/web/subtle/host
 * The `crypto.*` hypercalls as Web Crypto needs them: each failure of the host becomes the
 * DOMException the operation's steps name (DataError for a key the host refused on import,
 * OperationError for the rest), never the host's error.
 */

import type { HypercallArgs, HypercallName, HypercallResults } from "../../../../abi/index.ts";
import { type CryptoErrorName, fail } from "./errors.ts";

type Call = <N extends HypercallName>(name: N, ...args: HypercallArgs[N]) => HypercallResults[N];

let call: Call | undefined;

export function useCall(c: Call): void {
  call = c;
}

/** Calls the host; a refusal becomes `name` (with the host's words after the operation's). */
export function host<N extends HypercallName>(name: CryptoErrorName, what: string, call_: N, ...args: HypercallArgs[N]): HypercallResults[N] {
  try {
    return call!(call_, ...args);
  } catch (error) {
    const text = error instanceof Error ? error.message.replace(/^[\w.]+ [A-Z0-9]+: /, "") : "";
    return fail(name, `${what}${text ? `: ${text}` : ""}`);
  }
}
