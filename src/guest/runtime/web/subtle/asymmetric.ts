/**
 * @module guest/runtime/web/subtle/asymmetric
 * What the asymmetric families share: keys through the host's `crypto.import` (which checks
 * them and answers their normal form; a refusal is a DataError), the public half of a packed
 * private key, the public-or-private checks of export, and the truncation of a derived secret
 * to the bits asked for.
 */

import { CRYPTO_LIMITS, type PackedKey, packKey, unpackKey } from "../../../../abi/index.ts";
import { fail } from "./errors.ts";
import type { Slots } from "./key.ts";
import { host } from "./host.ts";

export function importPacked(key: PackedKey): Uint8Array {
  return host("DataError", "the key data is not a valid key", "crypto.import", packKey(key));
}

const PUBLIC_PARTS = { "rsa-private": 2, "ec-private": 1, "okp-private": 1 } as const;

/** The packed public key of a packed private key (a public key as it is). */
export function publicOf(packed: Uint8Array): Uint8Array {
  const key = unpackKey(packed) as PackedKey;
  if (!(key.kind in PUBLIC_PARTS)) return packed;
  const count = PUBLIC_PARTS[key.kind as keyof typeof PUBLIC_PARTS];
  return packKey({ kind: key.kind.replace("private", "public") as PackedKey["kind"], curve: key.curve, parts: key.parts.slice(0, count) });
}

/** The components of a key (views into its packed form). */
export const partsOf = (key: Slots) => (unpackKey(key.data) as PackedKey).parts;

export function publicOnly(key: Slots, format: string): void {
  if (key.type !== "public") fail("InvalidAccessError", `only a public key is exported as "${format}"`);
}

export function privateOnly(key: Slots, format: string): void {
  if (key.type !== "private") fail("InvalidAccessError", `only a private key is exported as "${format}"`);
}

export function checkMessage(data: Uint8Array, what: string): void {
  if (data.length > CRYPTO_LIMITS.data) fail("OperationError", `${what}: tsuki handles at most ${CRYPTO_LIMITS.data} bytes per call, got ${data.length}`);
}

/** A shared secret cut to `length` bits (null: all of it); more bits than it has is an OperationError. */
export function deriveLength(secret: Uint8Array, length: number | null): Uint8Array {
  if (length === null) return secret;
  if (length > secret.length * 8) fail("OperationError", `the shared secret has ${secret.length * 8} bits, not ${length}`);
  const out = secret.slice(0, Math.ceil(length / 8));
  if (length % 8 !== 0) out[out.length - 1]! &= 0xff << (8 - (length % 8));
  return out;
}
