/**
 * @module guest/runtime/web/subtle/subtle
 * `SubtleCrypto` (WebCrypto §14): the steps every method takes whatever the algorithm —
 * arguments converted and copied as the call begins, the algorithm normalized, the key checked
 * against the operation's name and usage (InvalidAccessError), usages checked (SyntaxError) —
 * then the family's operation. Every failure is a rejected promise, never a synchronous throw.
 * The work itself is done before the method returns (on the host, bounded per call), so the
 * promise is already settled.
 */

import { CRYPTO_LIMITS } from "../../../../abi/index.ts";
import { type Params, normalize, registered } from "./algorithms.ts";
import { aes } from "./aes.ts";
import { arrayBuffer, bufferSource } from "./bytes.ts";
import { ec } from "./ec.ts";
import { fail } from "./errors.ts";
import { FORMATS, type Family, type Format, type KeyPair } from "./family.ts";
import { hmac } from "./hmac.ts";
import { host } from "./host.ts";
import { type Jwk, toJwk } from "./jwk.ts";
import { type CryptoKey, type KeyUsage, type Slots, keySlots, usageList } from "./key.ts";
import { kdf } from "./kdf.ts";
import { okp } from "./okp.ts";
import { rsa } from "./rsa.ts";

const FAMILIES: Readonly<Record<string, Family>> = {
  "AES-CTR": aes, "AES-CBC": aes, "AES-GCM": aes, "AES-KW": aes,
  HMAC: hmac, HKDF: kdf, PBKDF2: kdf,
  "RSASSA-PKCS1-v1_5": rsa, "RSA-PSS": rsa, "RSA-OAEP": rsa,
  ECDSA: ec, ECDH: ec, Ed25519: okp, X25519: okp,
};

const family = (name: string) => FAMILIES[name]!;

/** The text codec of JWKs that are wrapped and unwrapped, the runtime's (handed over at load). */
let utf8: { encode(text: string): Uint8Array; decode(bytes: Uint8Array): string };
export function useUtf8(codec: typeof utf8): void {
  utf8 = codec;
}

function checkKey(params: Params, key: Slots, usage: KeyUsage): void {
  if (params.name !== key.algorithm.name) fail("InvalidAccessError", `the key is an ${key.algorithm.name} key, not ${params.name}`);
  if (!key.usages.includes(usage)) fail("InvalidAccessError", `the key's usages [${key.usages.join(", ")}] do not include "${usage}"`);
}

function format(value: unknown): Format {
  const text = String(value);
  if (!(FORMATS as readonly string[]).includes(text)) throw new TypeError(`"${text.slice(0, 40)}" is not a key format (raw, spki, pkcs8, jwk)`);
  return text as Format;
}

function operation<K extends keyof Family>(params: Params, name: K): NonNullable<Family[K]> {
  const op = family(params.name)[name];
  if (op === undefined) fail("NotSupportedError", `${params.name} has no ${name}`);
  return op as NonNullable<Family[K]>;
}

/** importKey's steps after its arguments are converted (unwrapKey and deriveKey take them too). */
function importKey(fmt: Format, data: Uint8Array | Jwk, params: Params, extractable: boolean, usages: KeyUsage[]): CryptoKey {
  const key = family(params.name).importKey(fmt, data, params, extractable, usages);
  const s = keySlots(key, "key");
  if ((s.type === "secret" || s.type === "private") && usages.length === 0) fail("SyntaxError", `a ${s.type} key needs at least one usage`);
  return key;
}

function exportKey(fmt: Format, key: Slots): ArrayBuffer | Jwk {
  if (!key.extractable) fail("InvalidAccessError", "the key is not extractable");
  const result = family(key.algorithm.name).exportKey(fmt, key);
  return result instanceof Uint8Array ? arrayBuffer(result) : result;
}

function deriveBits(params: Params, key: Slots, length: number | null): Uint8Array {
  return operation(params, "deriveBits")(params, key, length);
}

export class SubtleCrypto {
  constructor(token?: unknown) {
    if (token !== CONSTRUCT) throw new TypeError("Illegal constructor: use crypto.subtle");
  }

  async digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    // A name runs no guest code while it is normalized: the host takes the bytes before anything can change them.
    const bytes = bufferSource(data, "data", typeof algorithm !== "string");
    const params = normalize("digest", algorithm);
    if (bytes.length > CRYPTO_LIMITS.data) fail("OperationError", `tsuki digests at most ${CRYPTO_LIMITS.data} bytes per call, got ${bytes.length}`);
    return arrayBuffer(host("OperationError", "digest", "crypto.digest", params.name, bytes));
  }

  async encrypt(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    const s = keySlots(key, "key");
    const bytes = bufferSource(data, "data", typeof algorithm !== "string");
    const params = normalize("encrypt", algorithm);
    checkKey(params, s, "encrypt");
    return arrayBuffer(operation(params, "encrypt")(params, s, bytes));
  }

  async decrypt(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    const s = keySlots(key, "key");
    const bytes = bufferSource(data, "data", typeof algorithm !== "string");
    const params = normalize("decrypt", algorithm);
    checkKey(params, s, "decrypt");
    return arrayBuffer(operation(params, "decrypt")(params, s, bytes));
  }

  async sign(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    const s = keySlots(key, "key");
    const bytes = bufferSource(data, "data", typeof algorithm !== "string");
    const params = normalize("sign", algorithm);
    checkKey(params, s, "sign");
    return arrayBuffer(operation(params, "sign")(params, s, bytes));
  }

  async verify(algorithm: unknown, key: unknown, signature: unknown, data: unknown): Promise<boolean> {
    const s = keySlots(key, "key");
    const sig = bufferSource(signature, "signature", typeof algorithm !== "string");
    const bytes = bufferSource(data, "data", typeof algorithm !== "string");
    const params = normalize("verify", algorithm);
    checkKey(params, s, "verify");
    return operation(params, "verify")(params, s, sig, bytes);
  }

  async generateKey(algorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey | KeyPair> {
    const usages = usageList(keyUsages);
    const params = normalize("generateKey", algorithm);
    const result = operation(params, "generate")(params, Boolean(extractable), usages);
    const secretOrPrivate = "privateKey" in result ? result.privateKey : result;
    if (keySlots(secretOrPrivate, "key").usages.length === 0) fail("SyntaxError", "a secret or private key needs at least one usage");
    return result;
  }

  async deriveKey(algorithm: unknown, baseKey: unknown, derivedKeyType: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
    const s = keySlots(baseKey, "baseKey");
    const usages = usageList(keyUsages);
    const params = normalize("deriveBits", algorithm);
    const importParams = normalize("importKey", derivedKeyType);
    const lengthParams = normalize("get key length", derivedKeyType);
    checkKey(params, s, "deriveKey");
    const length = operation(lengthParams, "keyLength")(lengthParams);
    const secret = deriveBits(params, s, length);
    return importKey("raw", secret, importParams, Boolean(extractable), usages);
  }

  async deriveBits(algorithm: unknown, baseKey: unknown, length: unknown = null): Promise<ArrayBuffer> {
    const s = keySlots(baseKey, "baseKey");
    const bits = length === null || length === undefined ? null : Number(length) >>> 0;
    const params = normalize("deriveBits", algorithm);
    checkKey(params, s, "deriveBits");
    return arrayBuffer(deriveBits(params, s, bits));
  }

  async importKey(keyFormat: unknown, keyData: unknown, algorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
    const fmt = format(keyFormat);
    const data = fmt === "jwk" ? toJwk(keyData) : bufferSource(keyData, "keyData");
    const usages = usageList(keyUsages);
    const params = normalize("importKey", algorithm);
    return importKey(fmt, data, params, Boolean(extractable), usages);
  }

  async exportKey(keyFormat: unknown, key: unknown): Promise<ArrayBuffer | Jwk> {
    const fmt = format(keyFormat);
    return exportKey(fmt, keySlots(key, "key"));
  }

  async wrapKey(keyFormat: unknown, key: unknown, wrappingKey: unknown, wrapAlgorithm: unknown): Promise<ArrayBuffer> {
    const fmt = format(keyFormat);
    const s = keySlots(key, "key");
    const wrapping = keySlots(wrappingKey, "wrappingKey");
    const params = normalize(wrapsWith(wrapAlgorithm, "wrapKey"), wrapAlgorithm);
    checkKey(params, wrapping, "wrapKey");
    const exported = exportKey(fmt, s);
    const bytes = exported instanceof ArrayBuffer ? new Uint8Array(exported) : utf8.encode(JSON.stringify(exported));
    const wrap = registered("wrapKey", params.name) ? operation(params, "wrapKey") : operation(params, "encrypt");
    return arrayBuffer(wrap(params, wrapping, bytes));
  }

  async unwrapKey(keyFormat: unknown, wrappedKey: unknown, unwrappingKey: unknown, unwrapAlgorithm: unknown, unwrappedKeyAlgorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
    const fmt = format(keyFormat);
    const wrapped = bufferSource(wrappedKey, "wrappedKey");
    const unwrapping = keySlots(unwrappingKey, "unwrappingKey");
    const usages = usageList(keyUsages);
    const params = normalize(wrapsWith(unwrapAlgorithm, "unwrapKey"), unwrapAlgorithm);
    const importParams = normalize("importKey", unwrappedKeyAlgorithm);
    checkKey(params, unwrapping, "unwrapKey");
    const unwrap = registered("unwrapKey", params.name) ? operation(params, "unwrapKey") : operation(params, "decrypt");
    const bytes = unwrap(params, unwrapping, wrapped);
    let data: Uint8Array | Jwk = bytes;
    if (fmt === "jwk") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(utf8.decode(bytes));
      } catch {
        fail("DataError", "the unwrapped key is not a JWK (not JSON)");
      }
      data = toJwk(parsed);
    }
    return importKey(fmt, data, importParams, Boolean(extractable), usages);
  }
}

const CONSTRUCT = Symbol("SubtleCrypto");

/** wrapKey and unwrapKey normalize for themselves and, when the algorithm has no such operation, for encrypt/decrypt. */
function wrapsWith(algorithm: unknown, op: "wrapKey" | "unwrapKey"): "wrapKey" | "unwrapKey" | "encrypt" | "decrypt" {
  const name = typeof algorithm === "object" && algorithm !== null ? (algorithm as { name?: unknown }).name : algorithm;
  return registered(op, String(name)) ? op : op === "wrapKey" ? "encrypt" : "decrypt";
}

export function makeSubtle(): SubtleCrypto {
  return new SubtleCrypto(CONSTRUCT);
}

for (const name of Object.getOwnPropertyNames(SubtleCrypto.prototype)) {
  if (name !== "constructor") Object.defineProperty(SubtleCrypto.prototype, name, { enumerable: true });
}
Object.defineProperty(SubtleCrypto.prototype, Symbol.toStringTag, { value: "SubtleCrypto", configurable: true });
