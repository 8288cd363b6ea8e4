/**
 * @module host/tender/crypto/operations
 * The work of the `crypto.*` hypercalls, done by Node's `crypto` (OpenSSL) on arguments whose
 * types the validator has checked. Each function takes the operation's name as the ABI spells it
 * ("ECDSA/SHA-256"), checks that the key is of the kind the operation needs and the parameters
 * are in range, and returns bytes; anything wrong throws a `KeyError` (or Node's own error), which
 * the caller (`crypto/index.ts`) turns into an EINVAL value. Nothing here keeps state but the
 * unikernel's key cache.
 */

import {
  type KeyObject,
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  diffieHellman,
  hkdfSync,
  pbkdf2Sync,
  privateDecrypt,
  publicEncrypt,
  sign as nodeSign,
  timingSafeEqual,
  verify as nodeVerify,
} from "node:crypto";
import { CRYPTO_LIMITS, HASHES, HASHED_OPERATIONS, type Hash, type KeyKind, type PackedKey } from "../../../abi/index.ts";
import { type KeyCache, KeyError } from "./keys.ts";

const NODE_HASH: Record<Hash, string> = { "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };
const HASH_BYTES: Record<Hash, number> = { "SHA-1": 20, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };
const GCM_TAG_BITS = [32, 64, 96, 104, 112, 120, 128];
/** RFC 3394 §2.2.3.1: the default initial value of AES key wrap. */
const KW_IV = Buffer.from("a6a6a6a6a6a6a6a6", "hex");

/**
 * The bytes of a Node result as a Uint8Array of its own ArrayBuffer. A small Buffer is a view into
 * Node's shared pool, and a view crosses an isolate with its whole buffer: a copy of exactly its
 * bytes, then, or the pool's other contents would go with it. A Buffer with a buffer of its own
 * (Node allocates one for anything over 4 KiB) crosses as it is, without a copy.
 */
export function exact(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? new Uint8Array(bytes.buffer as ArrayBuffer) : new Uint8Array(bytes);
}

/** "ECDSA/SHA-256" → ["ECDSA", "SHA-256"]; a name the operation list does not hold, or a hash where none belongs, throws. */
export function parseOperation(operation: string, names: readonly string[]): [string, Hash] {
  const slash = operation.indexOf("/");
  const name = slash < 0 ? operation : operation.slice(0, slash);
  const hash = slash < 0 ? undefined : operation.slice(slash + 1);
  if (!names.includes(name)) throw new KeyError(`no operation "${operation.slice(0, 40)}" here (one of ${names.join(", ")})`);
  const hashed = HASHED_OPERATIONS.includes(name);
  if (hashed !== (hash !== undefined) || (hash !== undefined && !(HASHES as readonly string[]).includes(hash))) {
    throw new KeyError(hashed ? `${name} takes a hash: "${name}/SHA-256" (SHA-1, SHA-256, SHA-384, SHA-512)` : `${name} takes no hash`);
  }
  return [name, (hash ?? "SHA-256") as Hash];
}

export function digest(hash: string, data: Uint8Array): Uint8Array {
  if (!(HASHES as readonly string[]).includes(hash)) throw new KeyError(`no hash "${hash.slice(0, 40)}" (SHA-1, SHA-256, SHA-384, SHA-512)`);
  return exact(createHash(NODE_HASH[hash as Hash]).update(data).digest());
}

function need(key: PackedKey, object: KeyObject | undefined, kinds: readonly KeyKind[], name: string, curve?: string): KeyObject {
  if (!kinds.includes(key.kind) || (curve !== undefined && key.curve !== curve)) {
    throw new KeyError(`${name} needs a ${kinds.join(" or ")} key${curve ? ` on ${curve}` : ""}, got ${key.kind}${key.curve ? ` on ${key.curve}` : ""}`);
  }
  return object!;
}

function secret(key: PackedKey, name: string): Uint8Array {
  if (key.kind !== "secret") throw new KeyError(`${name} needs a secret key, got ${key.kind}`);
  return key.parts[0]!;
}

function aesKey(key: PackedKey, name: string): Uint8Array {
  const k = secret(key, name);
  if (k.length !== 16 && k.length !== 24 && k.length !== 32) throw new KeyError(`${name} keys are 16, 24 or 32 bytes, got ${k.length}`);
  return k;
}

export function sign(keys: KeyCache, operation: string, packed: Uint8Array, data: Uint8Array, saltLength: number): Uint8Array {
  const [name, hash] = parseOperation(operation, ["HMAC", "ECDSA", "Ed25519", "RSASSA-PKCS1-v1_5", "RSA-PSS"]);
  const { key, object } = keys.get(packed);
  switch (name) {
    case "HMAC":
      return exact(createHmac(NODE_HASH[hash], secret(key, name)).update(data).digest());
    case "ECDSA":
      return exact(nodeSign(NODE_HASH[hash], data, { key: need(key, object, ["ec-private"], name), dsaEncoding: "ieee-p1363" }));
    case "Ed25519":
      return exact(nodeSign(null, data, need(key, object, ["okp-private"], name, "Ed25519")));
    case "RSASSA-PKCS1-v1_5":
      return exact(nodeSign(NODE_HASH[hash], data, { key: need(key, object, ["rsa-private"], name), padding: constants.RSA_PKCS1_PADDING }));
    default:
      return exact(nodeSign(NODE_HASH[hash], data, { key: need(key, object, ["rsa-private"], name), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }));
  }
}

/** A key of the wrong kind throws; a signature that does not verify, whatever its shape, is false. */
export function verify(keys: KeyCache, operation: string, packed: Uint8Array, data: Uint8Array, signature: Uint8Array, saltLength: number): boolean {
  const [name, hash] = parseOperation(operation, ["HMAC", "ECDSA", "Ed25519", "RSASSA-PKCS1-v1_5", "RSA-PSS"]);
  const { key, object } = keys.get(packed);
  if (name === "HMAC") {
    const mac = createHmac(NODE_HASH[hash], secret(key, name)).update(data).digest();
    return mac.length === signature.length && timingSafeEqual(mac, signature);
  }
  const options =
    name === "ECDSA" ? { key: need(key, object, ["ec-public"], name), dsaEncoding: "ieee-p1363" as const }
    : name === "Ed25519" ? need(key, object, ["okp-public"], name, "Ed25519")
    : name === "RSASSA-PKCS1-v1_5" ? { key: need(key, object, ["rsa-public"], name), padding: constants.RSA_PKCS1_PADDING }
    : { key: need(key, object, ["rsa-public"], name), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
  try {
    return nodeVerify(name === "Ed25519" ? null : NODE_HASH[hash], data, options, signature);
  } catch {
    return false;
  }
}

export function cipher(keys: KeyCache, encrypt: boolean, operation: string, packed: Uint8Array, iv: Uint8Array, data: Uint8Array, extra: Uint8Array, tagBits: number): Uint8Array {
  const [name, hash] = parseOperation(operation, ["AES-GCM", "AES-CBC", "AES-CTR", "AES-KW", "RSA-OAEP"]);
  const { key, object } = keys.get(packed);
  if (name === "RSA-OAEP") {
    const options = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: NODE_HASH[hash], oaepLabel: extra };
    return exact(
      encrypt
        ? publicEncrypt({ key: need(key, object, ["rsa-public"], name), ...options }, data)
        : privateDecrypt({ key: need(key, object, ["rsa-private"], name), ...options }, data),
    );
  }
  const k = aesKey(key, name);
  const bits = k.length * 8;
  const run = (c: { update(d: Uint8Array): Buffer; final(): Buffer }, input: Uint8Array) => Buffer.concat([c.update(input), c.final()]);
  switch (name) {
    case "AES-GCM": {
      if (!GCM_TAG_BITS.includes(tagBits)) throw new KeyError(`an AES-GCM tag is ${GCM_TAG_BITS.join(", ")} bits, not ${tagBits}`);
      if (iv.length === 0) throw new KeyError("AES-GCM needs an iv of at least 1 byte");
      const tag = tagBits / 8;
      if (encrypt) {
        const c = createCipheriv(`aes-${bits}-gcm` as "aes-128-gcm", k, iv, { authTagLength: tag }).setAAD(extra);
        return exact(Buffer.concat([run(c, data), c.getAuthTag()]));
      }
      if (data.length < tag) throw new KeyError(`the ciphertext is shorter than its ${tag}-byte tag`);
      const d = createDecipheriv(`aes-${bits}-gcm` as "aes-128-gcm", k, iv, { authTagLength: tag }).setAAD(extra);
      d.setAuthTag(data.subarray(data.length - tag));
      return exact(run(d, data.subarray(0, data.length - tag)));
    }
    case "AES-CBC":
    case "AES-CTR": {
      if (iv.length !== 16) throw new KeyError(`${name} needs a 16-byte ${name === "AES-CBC" ? "iv" : "counter"}, got ${iv.length}`);
      const mode = `aes-${bits}-${name === "AES-CBC" ? "cbc" : "ctr"}`;
      return exact(run(encrypt ? createCipheriv(mode, k, iv) : createDecipheriv(mode, k, iv), data));
    }
    default: {
      // RFC 3394: whole 64-bit blocks, at least two to wrap (three to unwrap).
      if (data.length % 8 !== 0 || data.length < (encrypt ? 16 : 24)) throw new KeyError(`AES-KW ${encrypt ? "wraps" : "unwraps"} a multiple of 8 bytes, at least ${encrypt ? 16 : 24}; got ${data.length}`);
      const mode = `id-aes${bits}-wrap`;
      return exact(run(encrypt ? createCipheriv(mode, k, KW_IV) : createDecipheriv(mode, k, KW_IV), data));
    }
  }
}

export function derive(keys: KeyCache, operation: string, packed: Uint8Array, other: Uint8Array, info: Uint8Array, iterations: number, length: number): Uint8Array {
  const [name, hash] = parseOperation(operation, ["ECDH", "X25519", "HKDF", "PBKDF2"]);
  const { key, object } = keys.get(packed);
  if (name === "ECDH" || name === "X25519") {
    const privateKey = name === "ECDH" ? need(key, object, ["ec-private"], name) : need(key, object, ["okp-private"], name, "X25519");
    const peer = keys.get(other);
    const publicKey = need(peer.key, peer.object, [name === "ECDH" ? "ec-public" : "okp-public"], `${name}'s peer`, key.curve);
    const shared = exact(diffieHellman({ privateKey, publicKey }));
    return length === 0 ? shared : shared.subarray(0, length);
  }
  if (length < 1 || length > CRYPTO_LIMITS.deriveBytes) throw new KeyError(`${name} derives 1–${CRYPTO_LIMITS.deriveBytes} bytes, not ${length}`);
  if (name === "HKDF") return new Uint8Array(hkdfSync(NODE_HASH[hash], secret(key, name), other, info, length));
  const blocks = Math.ceil(length / HASH_BYTES[hash]);
  if (iterations < 1 || iterations * blocks > CRYPTO_LIMITS.pbkdf2Work) {
    throw new KeyError(`PBKDF2 does at most ${CRYPTO_LIMITS.pbkdf2Work} iterations × output blocks per call, got ${iterations} × ${blocks}`);
  }
  return exact(pbkdf2Sync(secret(key, name), other, iterations, length, NODE_HASH[hash]));
}
