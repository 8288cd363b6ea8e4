/**
 * @module host/tender/crypto
 * The host side of the `crypto.*` hypercalls for one unikernel: Node's `crypto` does the work on
 * copies of the guest's bytes, and every failure comes back as an error value, never as Node's
 * exception (whose object would otherwise reach the validator's caller).
 *
 * The work counts against the unikernel's turn. isolated-vm's watchdog does not see time spent in
 * a host callback, so each call measures its own: before it, a turn that has already run past
 * `--cpu-ms` (guest and host time together) ends the unikernel as over its CPU limit; after it,
 * the same. A single call is bounded by `CRYPTO_LIMITS` (16 MiB of data, a PBKDF2 work cap, RSA
 * key sizes), so the tender's thread is held at most one such call past the turn's limit.
 */

import { CRYPTO_LIMITS, Errno, type HypercallError } from "../../../abi/index.ts";
import { KeyCache, KeyError, generateKey, importKey } from "./keys.ts";
import { cipher, derive, digest, sign, verify } from "./operations.ts";

/** How a turn's time is counted: given by the unikernel; absent (the build's throwaway isolate), only each call's own time is bounded. */
export interface TurnClock {
  /** Milliseconds the current turn has run, or undefined between turns. */
  elapsed(): number | undefined;
  /** The turn's limit in ms (--cpu-ms). */
  readonly limitMs: number;
  /** Ends the unikernel as over its CPU limit. */
  overrun(): void;
}

export interface CryptoCalls {
  digest(hash: string, data: Uint8Array): Uint8Array | HypercallError;
  sign(operation: string, key: Uint8Array, data: Uint8Array, saltLength: number): Uint8Array | HypercallError;
  verify(operation: string, key: Uint8Array, data: Uint8Array, signature: Uint8Array, saltLength: number): boolean | HypercallError;
  cipher(encrypt: boolean, operation: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array, extra: Uint8Array, tagBits: number): Uint8Array | HypercallError;
  derive(operation: string, key: Uint8Array, other: Uint8Array, info: Uint8Array, iterations: number, length: number): Uint8Array | HypercallError;
  generate(operation: string, bits: number, exponent: Uint8Array): Uint8Array | HypercallError;
  import(key: Uint8Array): Uint8Array | HypercallError;
}

const fail = (errno: HypercallError["errno"], message: string): HypercallError => ({ errno, message });

export function makeCryptoCalls(clock: TurnClock | undefined): CryptoCalls {
  let cache: KeyCache | undefined;
  const keys = () => (cache ??= new KeyCache());

  function charged<T>(call: string, sizes: readonly Uint8Array[], work: () => T): T | HypercallError {
    for (const bytes of sizes) {
      if (bytes.length > CRYPTO_LIMITS.data) return fail(Errno.E2BIG, `${call}: at most ${CRYPTO_LIMITS.data} bytes per argument, got ${bytes.length}`);
    }
    const start = performance.now();
    const over = () => {
      const elapsed = clock?.elapsed() ?? performance.now() - start;
      return clock !== undefined && elapsed > clock.limitMs;
    };
    if (over()) {
      clock!.overrun();
      return fail(Errno.ESRCH, `${call}: the turn ran past its CPU limit of ${clock!.limitMs} ms`);
    }
    let result: T | HypercallError;
    try {
      result = work();
    } catch (error) {
      // Node's error object stays here: only its text crosses, and only the first line of it.
      const text = error instanceof KeyError ? error.message : `the operation failed (${describe(error)})`;
      result = fail(Errno.EINVAL, `${call}: ${text}`);
    }
    if (over()) {
      clock!.overrun();
      return fail(Errno.ESRCH, `${call}: the turn ran past its CPU limit of ${clock!.limitMs} ms`);
    }
    return result;
  }

  return {
    digest: (hash, data) => charged("crypto.digest", [data], () => digest(hash, data)),
    sign: (operation, key, data, saltLength) => charged("crypto.sign", [key, data], () => sign(keys(), operation, key, data, saltLength)),
    verify: (operation, key, data, signature, saltLength) =>
      charged("crypto.verify", [key, data, signature], () => verify(keys(), operation, key, data, signature, saltLength)),
    cipher: (encrypt, operation, key, iv, data, extra, tagBits) =>
      charged(encrypt ? "crypto.encrypt" : "crypto.decrypt", [key, iv, data, extra], () => cipher(keys(), encrypt, operation, key, iv, data, extra, tagBits)),
    derive: (operation, key, other, info, iterations, length) =>
      charged("crypto.derive", [key, other, info], () => derive(keys(), operation, key, other, info, iterations, length)),
    generate: (operation, bits, exponent) => charged("crypto.generate", [exponent], () => generateKey(operation, bits, exponent)),
    import: (key) => charged("crypto.import", [key], () => importKey(key)),
  };
}

/** A short, fixed description of a thrown value: Node's error code, or the first line of its message. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return (typeof code === "string" ? code : error.message.split("\n", 1)[0]!).slice(0, 120);
  }
  return "unknown error";
}
