/**
 * @module guest/runtime/web/subtle/algorithms
 * WebCrypto §18.4 "normalize an algorithm": an `AlgorithmIdentifier` (a name, or a dictionary
 * with one) and the operation it is for become a plain dictionary of the algorithm's parameters,
 * with the registered name's spelling, every member converted as WebIDL converts it (a missing
 * required member or a wrong type is a TypeError) and BufferSource members copied. A name that
 * is not registered for the operation is a NotSupportedError.
 */

import { bufferSource } from "./bytes.ts";
import { fail } from "./errors.ts";
import { keySlots } from "./key.ts";

export type Operation = "encrypt" | "decrypt" | "sign" | "verify" | "digest" | "generateKey" | "deriveBits" | "importKey" | "wrapKey" | "unwrapKey" | "get key length";

/** A normalized algorithm: the registered name and the converted members. */
export interface Params {
  readonly name: string;
  readonly [member: string]: unknown;
}

type Member = (dict: Record<string, unknown>, name: string) => unknown;

const required = (convert: (value: unknown, name: string) => unknown): Member => (dict, name) => {
  const value = dict[name];
  if (value === undefined) throw new TypeError(`the algorithm's "${name}" member is required`);
  return convert(value, name);
};
const optional = (convert: (value: unknown, name: string) => unknown): Member => (dict, name) => {
  const value = dict[name];
  return value === undefined ? undefined : convert(value, name);
};

/** WebIDL [EnforceRange] integers: finite, truncated, within the type's range. */
const integer = (max: number) => (value: unknown, name: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || Math.trunc(n) < 0 || Math.trunc(n) > max) throw new TypeError(`the algorithm's "${name}" is not an integer from 0 to ${max}`);
  return Math.trunc(n);
};
const octet = integer(255);
const unsignedShort = integer(65535);
const unsignedLong = integer(2 ** 32 - 1);
const bytes = (value: unknown, name: string) => bufferSource(value, `the algorithm's "${name}"`);
const text = (value: unknown) => String(value);
const bigInteger = (value: unknown, name: string) => {
  if (!(value instanceof Uint8Array)) throw new TypeError(`the algorithm's "${name}" is not a Uint8Array`);
  return value.slice();
};
const hash = (value: unknown) => normalize("digest", value);
const cryptoKey = (value: unknown, name: string) => (keySlots(value, `the algorithm's "${name}"`), value);

type Shape = Readonly<Record<string, Member>>;
const NONE: Shape = {};
const RSA_GEN: Shape = { modulusLength: required(unsignedLong), publicExponent: required(bigInteger), hash: required(hash) };
const RSA_IMPORT: Shape = { hash: required(hash) };
const EC_CURVE: Shape = { namedCurve: required(text) };
const ECDH_DERIVE: Shape = { public: required(cryptoKey) };
const AES_LENGTH: Shape = { length: required(unsignedShort) };
const HMAC_KEY: Shape = { hash: required(hash), length: optional(unsignedLong) };

/** The registered algorithms of each operation and the shape of their parameters (WebCrypto §18.4's table). */
const REGISTRY: Readonly<Record<Operation, Readonly<Record<string, Shape>>>> = {
  digest: { "SHA-1": NONE, "SHA-256": NONE, "SHA-384": NONE, "SHA-512": NONE },
  encrypt: {
    "RSA-OAEP": { label: optional(bytes) },
    "AES-CTR": { counter: required(bytes), length: required(octet) },
    "AES-CBC": { iv: required(bytes) },
    "AES-GCM": { iv: required(bytes), additionalData: optional(bytes), tagLength: optional(octet) },
  },
  decrypt: {},
  sign: { "RSASSA-PKCS1-v1_5": NONE, "RSA-PSS": { saltLength: required(unsignedLong) }, ECDSA: { hash: required(hash) }, Ed25519: NONE, HMAC: NONE },
  verify: {},
  generateKey: {
    "RSASSA-PKCS1-v1_5": RSA_GEN,
    "RSA-PSS": RSA_GEN,
    "RSA-OAEP": RSA_GEN,
    ECDSA: EC_CURVE,
    ECDH: EC_CURVE,
    Ed25519: NONE,
    X25519: NONE,
    HMAC: HMAC_KEY,
    "AES-CTR": AES_LENGTH,
    "AES-CBC": AES_LENGTH,
    "AES-GCM": AES_LENGTH,
    "AES-KW": AES_LENGTH,
  },
  deriveBits: {
    ECDH: ECDH_DERIVE,
    X25519: ECDH_DERIVE,
    HKDF: { hash: required(hash), salt: required(bytes), info: required(bytes) },
    PBKDF2: { salt: required(bytes), iterations: required(unsignedLong), hash: required(hash) },
  },
  importKey: {
    "RSASSA-PKCS1-v1_5": RSA_IMPORT,
    "RSA-PSS": RSA_IMPORT,
    "RSA-OAEP": RSA_IMPORT,
    ECDSA: EC_CURVE,
    ECDH: EC_CURVE,
    Ed25519: NONE,
    X25519: NONE,
    HMAC: HMAC_KEY,
    "AES-CTR": NONE,
    "AES-CBC": NONE,
    "AES-GCM": NONE,
    "AES-KW": NONE,
    HKDF: NONE,
    PBKDF2: NONE,
  },
  wrapKey: { "AES-KW": NONE },
  unwrapKey: {},
  "get key length": { "AES-CTR": AES_LENGTH, "AES-CBC": AES_LENGTH, "AES-GCM": AES_LENGTH, "AES-KW": AES_LENGTH, HMAC: HMAC_KEY, HKDF: NONE, PBKDF2: NONE },
};
(REGISTRY as Record<Operation, unknown>).decrypt = REGISTRY.encrypt;
(REGISTRY as Record<Operation, unknown>).verify = REGISTRY.sign;
(REGISTRY as Record<Operation, unknown>).unwrapKey = REGISTRY.wrapKey;

/** Whether `name` is registered for `operation` (wrapKey falls back to encrypt when it is not). */
export function registered(operation: Operation, name: string): boolean {
  return find(operation, name) !== undefined;
}

function find(operation: Operation, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(REGISTRY[operation]).find((registeredName) => registeredName.toLowerCase() === lower);
}

export function normalize(operation: Operation, algorithm: unknown): Params {
  if (typeof algorithm !== "object" || algorithm === null) {
    if (typeof algorithm === "function") throw new TypeError("an algorithm is a name or a dictionary with a name");
    return normalize(operation, { name: String(algorithm) });
  }
  const dict = algorithm as Record<string, unknown>;
  if (dict.name === undefined) throw new TypeError("the algorithm has no name");
  const given = String(dict.name);
  const name = find(operation, given);
  if (name === undefined) fail("NotSupportedError", `${operation}: no algorithm "${given.slice(0, 40)}" (${Object.keys(REGISTRY[operation]).join(", ")})`);
  const params: Record<string, unknown> = { name };
  for (const [member, convert] of Object.entries(REGISTRY[operation][name]!)) {
    const value = convert(dict, member);
    if (value !== undefined) params[member] = value;
  }
  return params as Params;
}

/** The name of a normalized hash member. */
export const hashName = (params: Params, member = "hash") => (params[member] as Params).name;
