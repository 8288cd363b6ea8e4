/**
 * @module guest/runtime/web/subtle/errors
 * The errors of Web Crypto: `DOMException`s named NotSupportedError, InvalidAccessError,
 * DataError, OperationError, SyntaxError, and plain `TypeError`s for WebIDL conversions. The
 * part is evaluated apart from the runtime, so it is handed the runtime's `DOMException` class
 * (`useDOMException`): a guest's `instanceof DOMException` holds for what it throws.
 */

export type CryptoErrorName = "NotSupportedError" | "InvalidAccessError" | "DataError" | "OperationError" | "SyntaxError" | "QuotaExceededError";

let DOMExceptionClass: new (message: string, name: string) => Error = class extends Error {};

export function useDOMException(ctor: new (message: string, name: string) => Error): void {
  DOMExceptionClass = ctor;
}

export function fail(name: CryptoErrorName, message: string): never {
  throw new DOMExceptionClass(message, name);
}

/** Runs `check` and turns any error it throws (not one of ours) into `name`: for parsers of untrusted bytes. */
export function guard<T>(name: CryptoErrorName, message: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof DOMExceptionClass) throw error;
    return fail(name, message);
  }
}
