/**
 * @module abi/crypto
 * What the `crypto.*` hypercalls take: the names of the operations the host performs, and the
 * *packed key* form in which key material crosses, both ways.
 *
 * The guest runtime keeps every `CryptoKey`'s material and parses every key format (SPKI,
 * PKCS#8, JWK, raw) itself (DESIGN.md, principle 5). The host sees only packed keys: a kind, a
 * curve and a few byte strings (the JWK members of RFC 7517/7518/8037 as big-endian bytes), which
 * it checks for count and size before it builds anything from them. Layout:
 *
 *   kind (1 byte) · curve (1 byte) · for each component: length (4 bytes big-endian) · bytes
 *
 * | kind | components |
 * | --- | --- |
 * | `secret` | k |
 * | `rsa-public` | n, e |
 * | `rsa-private` | n, e, d, p, q, dp, dq, qi |
 * | `ec-public` | the SEC 1 point (04‖x‖y, or compressed 02/03‖x on import) |
 * | `ec-private` | the point (empty on import: the host computes it), d |
 * | `okp-public` | x (32 bytes) |
 * | `okp-private` | x (empty on import: the host computes it), d (32 bytes) |
 *
 * `crypto.import` answers with the key in its normal form (EC points uncompressed, the public part
 * of a private key filled in), which is what later calls pass.
 */

export const KEY_KINDS = ["secret", "rsa-public", "rsa-private", "ec-public", "ec-private", "okp-public", "okp-private"] as const;
export type KeyKind = (typeof KEY_KINDS)[number];

/** Curves, by their Web Crypto names; "" for keys without one. */
export const CURVES = ["", "P-256", "P-384", "P-521", "Ed25519", "X25519"] as const;
export type Curve = (typeof CURVES)[number];

/** How many components each kind carries. */
export const KEY_COMPONENTS: Readonly<Record<KeyKind, number>> = {
  secret: 1,
  "rsa-public": 2,
  "rsa-private": 8,
  "ec-public": 1,
  "ec-private": 2,
  "okp-public": 1,
  "okp-private": 2,
};

export interface PackedKey {
  readonly kind: KeyKind;
  readonly curve: Curve;
  readonly parts: readonly Uint8Array[];
}

export function packKey(key: PackedKey): Uint8Array {
  let size = 2;
  for (const part of key.parts) size += 4 + part.length;
  const out = new Uint8Array(size);
  out[0] = KEY_KINDS.indexOf(key.kind);
  out[1] = CURVES.indexOf(key.curve);
  let at = 2;
  for (const part of key.parts) {
    new DataView(out.buffer).setUint32(at, part.length);
    out.set(part, at + 4);
    at += 4 + part.length;
  }
  return out;
}

/**
 * Reads a packed key: its kind, curve and components as views into `packed` (not copies), or why
 * it is malformed. Reads only the two header bytes and the length prefixes.
 */
export function unpackKey(packed: Uint8Array): PackedKey | string {
  if (packed.length < 2) return "a packed key has at least 2 bytes (kind, curve)";
  const kind = KEY_KINDS[packed[0]!];
  const curve = CURVES[packed[1]!];
  if (kind === undefined) return `unknown key kind ${packed[0]}`;
  if (curve === undefined) return `unknown curve ${packed[1]}`;
  const parts: Uint8Array[] = [];
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  let at = 2;
  while (at < packed.length) {
    if (at + 4 > packed.length) return `component ${parts.length + 1} has a truncated length`;
    const length = view.getUint32(at);
    at += 4;
    if (length > packed.length - at) return `component ${parts.length + 1} says ${length} bytes but only ${packed.length - at} follow`;
    parts.push(packed.subarray(at, at + length));
    at += length;
  }
  if (parts.length !== KEY_COMPONENTS[kind]) return `a ${kind} key has ${KEY_COMPONENTS[kind]} component(s), got ${parts.length}`;
  return { kind, curve, parts };
}

/** Hash functions, by their Web Crypto names. */
export const HASHES = ["SHA-1", "SHA-256", "SHA-384", "SHA-512"] as const;
export type Hash = (typeof HASHES)[number];

/**
 * The operations of each call, as `crypto.*`'s first argument names them. Those that take a hash
 * name it after a slash: "HMAC/SHA-256".
 */
export const CRYPTO_OPERATIONS = {
  sign: ["HMAC", "ECDSA", "Ed25519", "RSASSA-PKCS1-v1_5", "RSA-PSS"],
  cipher: ["AES-GCM", "AES-CBC", "AES-CTR", "AES-KW", "RSA-OAEP"],
  derive: ["ECDH", "X25519", "HKDF", "PBKDF2"],
  generate: ["RSA", "P-256", "P-384", "P-521", "Ed25519", "X25519"],
} as const;

/** Operations that take a hash (`NAME/HASH`); the others take none. */
export const HASHED_OPERATIONS: readonly string[] = ["HMAC", "ECDSA", "RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP", "HKDF", "PBKDF2"];

/**
 * Bounds on the work of one call, so that no call holds the tender's thread for long (its time
 * counts against the unikernel's turn too: see docs/abi.md). The guest runtime refuses beyond
 * them with the Web Crypto error, before it calls.
 */
export const CRYPTO_LIMITS = {
  /** Bytes of data (a message, a plaintext, a packed key) per call: about 25–50 ms of host work. */
  data: 16 * 1024 * 1024,
  /** PBKDF2: iterations × output blocks per call (600,000 iterations of SHA-256, OWASP's advice, is about 0.1 s). */
  pbkdf2Work: 1 << 20,
  /** RSA moduli the host works with, in bits. */
  rsaMinBits: 512,
  rsaMaxBits: 8192,
  /** The largest RSA modulus generated (a 4,096-bit key takes about 0.6 s, 8,192 bits many seconds). */
  rsaMaxGenerateBits: 4096,
  /** Bytes of a derived secret (HKDF, PBKDF2). */
  deriveBytes: 255 * 64,
} as const;
