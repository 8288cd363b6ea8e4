/**
 * @module host/tender/crypto/keys
 * Packed keys (abi/crypto.ts) into Node's `KeyObject`s and back, for the `crypto.*` hypercalls.
 * The host parses nothing the guest wrote but the packed form's lengths: DER that OpenSSL reads
 * is written here around components whose sizes were checked (a point of the curve's length,
 * a 32-byte Ed25519 key), and RSA keys go through Node's JWK import, which takes base64url
 * numbers. Whatever OpenSSL then refuses (a point off its curve) is a `KeyError`.
 *
 * Each unikernel has its own `KeyCache` (the last 32 keys it used, made lazily), so that signing
 * with the same key again does not rebuild it: building an Ed25519 key costs about as much as
 * signing with it.
 */

import { type KeyObject, createECDH, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { CRYPTO_LIMITS, type Curve, type KeyKind, type PackedKey, packKey, unpackKey } from "../../../abi/index.ts";

/** A key the guest sent that is not one; the call answers EINVAL. */
export class KeyError extends Error {}

/** Bytes of one coordinate (and of a private scalar) per curve. */
const FIELD_BYTES: Partial<Record<Curve, number>> = { "P-256": 32, "P-384": 48, "P-521": 66, Ed25519: 32, X25519: 32 };
const OPENSSL_CURVE: Partial<Record<Curve, string>> = { "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1" };

// DER, written here only: tag, definite length, contents.
function der(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}
const oid = (hex: string) => Buffer.from(hex, "hex");
const ID_EC_PUBLIC_KEY = oid("06072a8648ce3d0201");
const CURVE_OID: Partial<Record<Curve, Buffer>> = {
  "P-256": oid("06082a8648ce3d030107"),
  "P-384": oid("06052b81040022"),
  "P-521": oid("06052b81040023"),
  Ed25519: oid("06032b6570"),
  X25519: oid("06032b656e"),
};
const SEQUENCE = 0x30;

/** SubjectPublicKeyInfo around `key`, whose AlgorithmIdentifier holds `algorithm` (its OID and parameters). */
function spki(algorithm: Buffer[], key: Uint8Array): Buffer {
  return der(SEQUENCE, der(SEQUENCE, ...algorithm), der(0x03, Buffer.from([0]), key));
}

const b64u = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
const bytesOf = (text: unknown) => new Uint8Array(Buffer.from(String(text), "base64url"));

function bitLength(n: Uint8Array): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  return i === n.length ? 0 : (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
}

function curveOf(key: PackedKey, family: "ec" | "okp"): { curve: Curve; size: number } {
  const size = FIELD_BYTES[key.curve];
  const okp = key.curve === "Ed25519" || key.curve === "X25519";
  if (size === undefined || okp !== (family === "okp")) throw new KeyError(`a ${key.kind} key on curve "${key.curve}"`);
  return { curve: key.curve, size };
}

function checkPoint(point: Uint8Array, size: number): void {
  const uncompressed = point.length === 1 + 2 * size && point[0] === 4;
  const compressed = point.length === 1 + size && (point[0] === 2 || point[0] === 3);
  if (!uncompressed && !compressed) throw new KeyError(`an EC point of this curve is 04‖x‖y (${1 + 2 * size} bytes) or compressed (${1 + size} bytes)`);
}

function rsaJwk(parts: readonly Uint8Array[]) {
  const bits = bitLength(parts[0]!);
  if (bits < CRYPTO_LIMITS.rsaMinBits || bits > CRYPTO_LIMITS.rsaMaxBits) throw new KeyError(`RSA moduli of ${CRYPTO_LIMITS.rsaMinBits}–${CRYPTO_LIMITS.rsaMaxBits} bits are supported, got ${bits}`);
  if (parts.some((part) => part.length === 0 || part.length > parts[0]!.length)) throw new KeyError("an RSA key component is empty or longer than the modulus");
  const names = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];
  return Object.fromEntries([["kty", "RSA"], ...parts.map((part, i) => [names[i]!, b64u(part)])]) as Record<string, string>;
}

/** Builds the KeyObject of a packed key that is in normal form (or, on import, nearly). Secret keys have none. */
function build(key: PackedKey): KeyObject {
  const [first, second] = key.parts as [Uint8Array, Uint8Array];
  switch (key.kind) {
    case "secret":
      throw new KeyError("a secret key has no key object");
    case "rsa-public":
      return createPublicKey({ key: rsaJwk(key.parts), format: "jwk" });
    case "rsa-private":
      return createPrivateKey({ key: rsaJwk(key.parts), format: "jwk" });
    case "ec-public": {
      const { curve, size } = curveOf(key, "ec");
      checkPoint(first, size);
      return createPublicKey({ key: spki([ID_EC_PUBLIC_KEY, CURVE_OID[curve]!], first), format: "der", type: "spki" });
    }
    case "ec-private": {
      const { curve, size } = curveOf(key, "ec");
      checkPoint(first, size);
      if (second.length !== size) throw new KeyError(`a ${curve} private key is ${size} bytes, got ${second.length}`);
      const [x, y] = [first.subarray(1, 1 + size), first.subarray(1 + size)];
      return createPrivateKey({ key: { kty: "EC", crv: curve, x: b64u(x), y: b64u(y), d: b64u(second) }, format: "jwk" });
    }
    case "okp-public": {
      const { curve, size } = curveOf(key, "okp");
      if (first.length !== size) throw new KeyError(`an ${curve} public key is ${size} bytes, got ${first.length}`);
      return createPublicKey({ key: spki([CURVE_OID[curve]!], first), format: "der", type: "spki" });
    }
    case "okp-private": {
      const { curve, size } = curveOf(key, "okp");
      if (second.length !== size) throw new KeyError(`an ${curve} private key is ${size} bytes, got ${second.length}`);
      const pkcs8 = der(SEQUENCE, Buffer.from([2, 1, 0]), der(SEQUENCE, CURVE_OID[curve]!), der(0x04, der(0x04, second)));
      return createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
    }
  }
}

/** The normal form of a key whose KeyObject is `object`: what `crypto.import` and `crypto.generate` answer. */
function normal(kind: KeyKind, curve: Curve, object: KeyObject): Uint8Array {
  const jwk = object.export({ format: "jwk" }) as Record<string, unknown>;
  const parts: Record<KeyKind, () => Uint8Array[]> = {
    secret: () => [],
    "rsa-public": () => ["n", "e"].map((name) => bytesOf(jwk[name])),
    "rsa-private": () => ["n", "e", "d", "p", "q", "dp", "dq", "qi"].map((name) => bytesOf(jwk[name])),
    "ec-public": () => [new Uint8Array([4, ...bytesOf(jwk.x), ...bytesOf(jwk.y)])],
    "ec-private": () => [new Uint8Array([4, ...bytesOf(jwk.x), ...bytesOf(jwk.y)]), bytesOf(jwk.d)],
    "okp-public": () => [bytesOf(jwk.x)],
    "okp-private": () => [bytesOf(jwk.x), bytesOf(jwk.d)],
  };
  return packKey({ kind, curve, parts: parts[kind]() });
}

/**
 * `crypto.import`: checks a packed key and returns its normal form. The public half of a private
 * key the guest sent without one is computed; one it sent must match its private half.
 */
export function importKey(packed: Uint8Array): Uint8Array {
  const key = unpack(packed);
  if (key.kind === "secret") return packed;
  let given = key;
  if (key.kind === "ec-private") {
    const { curve } = curveOf(key, "ec");
    // The public point from the private scalar (createECDH refuses a scalar outside 1…n-1).
    const ecdh = createECDH(OPENSSL_CURVE[curve]!);
    ecdh.setPrivateKey(key.parts[1]!);
    const computed = new Uint8Array(ecdh.getPublicKey());
    if (key.parts[0]!.length > 0 && !samePoint(key.parts[0]!, computed)) throw new KeyError("the public point does not belong to the private key");
    given = { ...key, parts: [computed, key.parts[1]!] };
  }
  const object = build(given.kind === "okp-private" ? { ...given, parts: [new Uint8Array(0), given.parts[1]!] } : given);
  const result = normal(key.kind, key.curve, object);
  if (key.kind === "okp-private" && key.parts[0]!.length > 0) {
    const x = (unpackKey(result) as PackedKey).parts[0]!;
    if (!Buffer.from(x).equals(key.parts[0]!)) throw new KeyError("the public key does not belong to the private key");
  }
  return result;
}

/** Whether two encodings of one curve's points are the same point (the second uncompressed). */
function samePoint(given: Uint8Array, uncompressed: Uint8Array): boolean {
  if (given[0] === 4) return Buffer.from(given).equals(uncompressed);
  const size = given.length - 1;
  const odd = (uncompressed[uncompressed.length - 1]! & 1) === 1;
  return given[0] === (odd ? 3 : 2) && Buffer.from(given.subarray(1)).equals(uncompressed.subarray(1, 1 + size));
}

export function unpack(packed: Uint8Array): PackedKey {
  const key = unpackKey(packed);
  if (typeof key === "string") throw new KeyError(key);
  return key;
}

/** `crypto.generate`: a new key pair, as its packed private key (which carries the public half). */
export function generateKey(operation: string, bits: number, exponent: Uint8Array): Uint8Array {
  switch (operation) {
    case "RSA": {
      if (bits < 1024 || bits > CRYPTO_LIMITS.rsaMaxGenerateBits || bits % 8 !== 0) throw new KeyError(`RSA keys of 1024–${CRYPTO_LIMITS.rsaMaxGenerateBits} bits (a multiple of 8) are generated, not ${bits}`);
      const e = exponent.length <= 4 ? exponent.reduce((value, byte) => value * 256 + byte, 0) : 0;
      if (e !== 3 && e !== 65537) throw new KeyError("the public exponent is 3 or 65537");
      return normal("rsa-private", "", generateKeyPairSync("rsa", { modulusLength: bits, publicExponent: e }).privateKey);
    }
    case "P-256":
    case "P-384":
    case "P-521":
      return normal("ec-private", operation, generateKeyPairSync("ec", { namedCurve: operation }).privateKey);
    case "Ed25519":
      return normal("okp-private", operation, generateKeyPairSync("ed25519").privateKey);
    case "X25519":
      return normal("okp-private", operation, generateKeyPairSync("x25519").privateKey);
    default:
      throw new KeyError(`no key generation "${operation.slice(0, 40)}"`);
  }
}

/** The last keys a unikernel used, rebuilt only when they are not among them. */
export class KeyCache {
  static readonly SIZE = 32;
  #entries = new Map<string, { key: PackedKey; object: KeyObject | undefined }>();

  /** The unpacked key and, for asymmetric keys, its KeyObject. */
  get(packed: Uint8Array): { key: PackedKey; object: KeyObject | undefined } {
    if (packed.length > 0 && packed[0] === 0) return { key: unpack(packed), object: undefined }; // secret keys: nothing to build
    const id = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength).toString("latin1");
    let entry = this.#entries.get(id);
    if (entry !== undefined) {
      this.#entries.delete(id);
    } else {
      const key = unpack(packed);
      entry = { key, object: build(key) };
      if (this.#entries.size >= KeyCache.SIZE) this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(id, entry);
    return entry;
  }
}
