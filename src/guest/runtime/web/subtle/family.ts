/**
 * @module guest/runtime/web/subtle/family
 * The interface each family of algorithms implements (AES, HMAC, the KDFs, RSA, EC, the
 * Curve25519 ones): WebCrypto's per-algorithm operations, given parameters already normalized,
 * keys already checked against the operation's name and usage, and data already copied. The
 * steps common to every algorithm live in `subtle.ts`.
 */

import type { Params } from "./algorithms.ts";
import { fail } from "./errors.ts";
import type { CryptoKey, KeyUsage, Slots } from "./key.ts";
import type { Jwk } from "./jwk.ts";

export type Format = "raw" | "spki" | "pkcs8" | "jwk";
export const FORMATS: readonly Format[] = ["raw", "spki", "pkcs8", "jwk"];

export interface KeyPair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

export interface Family {
  generate?(params: Params, extractable: boolean, usages: KeyUsage[]): CryptoKey | KeyPair;
  importKey(format: Format, data: Uint8Array | Jwk, params: Params, extractable: boolean, usages: KeyUsage[]): CryptoKey;
  exportKey(format: Format, key: Slots): Uint8Array | Jwk;
  encrypt?(params: Params, key: Slots, data: Uint8Array): Uint8Array;
  decrypt?(params: Params, key: Slots, data: Uint8Array): Uint8Array;
  sign?(params: Params, key: Slots, data: Uint8Array): Uint8Array;
  verify?(params: Params, key: Slots, signature: Uint8Array, data: Uint8Array): boolean;
  deriveBits?(params: Params, key: Slots, length: number | null): Uint8Array;
  keyLength?(params: Params): number | null;
  wrapKey?(params: Params, key: Slots, data: Uint8Array): Uint8Array;
  unwrapKey?(params: Params, key: Slots, data: Uint8Array): Uint8Array;
}

export function unsupportedFormat(format: string, what: string): never {
  return fail("NotSupportedError", `${what} keys cannot be imported or exported as "${format}"`);
}

/** The part's source of randomness: the runtime's `crypto.getRandomValues` (the host's CSPRNG). */
let randomSource: (n: number) => Uint8Array = () => {
  throw new Error("no random source");
};
export function useRandom(source: (n: number) => Uint8Array): void {
  randomSource = source;
}
export const random = (n: number) => randomSource(n);
