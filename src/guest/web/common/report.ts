/**
 * @module guest/web/common/report
 * `reportError` (HTML §8.1.4.6, "report an exception"): the error is handled as an uncaught
 * exception, as in Node and Deno, which end the program. In a unikernel that prints
 * `Uncaught <error>` and aborts it (the runtime's rule for uncaught exceptions). Listeners of an
 * `EventTarget` that throw are reported the same way. The error is thrown from a microtask of the
 * runtime's `queueMicrotask`, which hands it to the runtime's reporter; the caller returns first.
 */

import { requireArgs } from "./webidl.ts";

export function reportError(error: unknown): void {
  requireArgs(arguments.length, 1, "reportError");
  queueMicrotask(() => {
    throw error;
  });
}
