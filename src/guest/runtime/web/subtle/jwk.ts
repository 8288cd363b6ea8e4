/**
 * @module guest/runtime/web/subtle/jwk
 * JSON Web Keys (RFC 7517) as Web Crypto reads and writes them: the `JsonWebKey` dictionary
 * converted as WebIDL does (members to strings, `key_ops` to a list, `ext` to a boolean), the
 * checks every importKey makes (`kty`, `use`, `key_ops`, `ext`: WebCrypto §14.3.9), and
 * base64url members decoded strictly (anything else is a DataError).
 */

import { fromBase64url } from "./bytes.ts";
import { fail } from "./errors.ts";
import type { KeyUsage } from "./key.ts";

export interface Jwk {
  kty?: string;
  use?: string;
  key_ops?: string[];
  alg?: string;
  ext?: boolean;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  n?: string;
  e?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  oth?: unknown[];
  k?: string;
}

const STRINGS = ["kty", "use", "alg", "crv", "x", "y", "d", "n", "e", "p", "q", "dp", "dq", "qi", "k"] as const;

/** WebIDL conversion of a `JsonWebKey` dictionary; not an object is a TypeError. */
export function toJwk(value: unknown): Jwk {
  if (typeof value !== "object" || value === null) throw new TypeError("a JWK is an object (a JsonWebKey dictionary)");
  const from = value as Record<string, unknown>;
  const jwk: Jwk = {};
  for (const name of STRINGS) if (from[name] !== undefined) jwk[name] = String(from[name]);
  if (from.key_ops !== undefined) {
    const ops = from.key_ops;
    if (typeof ops !== "object" || ops === null || typeof (ops as Iterable<unknown>)[Symbol.iterator] !== "function") throw new TypeError("a JWK's key_ops is a list");
    jwk.key_ops = [...(ops as Iterable<unknown>)].map(String);
  }
  if (from.ext !== undefined) jwk.ext = Boolean(from.ext);
  if (from.oth !== undefined) jwk.oth = [from.oth];
  return jwk;
}

/** The checks common to every JWK import: kty, use, key_ops and ext. */
export function checkJwk(jwk: Jwk, kty: string, use: "sig" | "enc", usages: readonly KeyUsage[], extractable: boolean): void {
  if (jwk.kty !== kty) fail("DataError", `the JWK's kty is ${JSON.stringify(jwk.kty)}, this algorithm's keys are "${kty}"`);
  if (usages.length > 0 && jwk.use !== undefined && jwk.use !== use) fail("DataError", `the JWK's use is "${jwk.use}", not "${use}"`);
  if (jwk.key_ops !== undefined) {
    if (new Set(jwk.key_ops).size !== jwk.key_ops.length) fail("DataError", "the JWK's key_ops repeats an operation");
    const missing = usages.find((usage) => !jwk.key_ops!.includes(usage));
    if (missing !== undefined) fail("DataError", `the JWK's key_ops does not allow "${missing}"`);
  }
  if (jwk.ext === false && extractable) fail("DataError", "the JWK is not extractable (ext: false), but an extractable key was asked for");
}

/** A required base64url member. */
export function member(jwk: Jwk, name: keyof Jwk): Uint8Array {
  const value = jwk[name];
  if (typeof value !== "string") return fail("DataError", `the JWK has no "${name}"`);
  const bytes = fromBase64url(value);
  if (bytes === undefined) return fail("DataError", `the JWK's "${name}" is not base64url`);
  return bytes;
}

/** The members every exported JWK ends with. */
export function exported(jwk: Jwk, usages: readonly KeyUsage[], extractable: boolean): Jwk {
  return { ...jwk, key_ops: [...usages], ext: extractable };
}
