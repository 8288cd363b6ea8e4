/**
 * @module guest/runtime/web/subtle/hmac
 * HMAC (WebCrypto §31) with SHA-1, SHA-256, SHA-384 or SHA-512: keys of any whole number of
 * bytes (the hash's block size when generated without a length), raw and JWK formats; the MAC is
 * computed and compared on the host (in constant time there).
 */

import { CRYPTO_LIMITS, packKey } from "../../../../abi/index.ts";
import { type Params, hashName } from "./algorithms.ts";
import { base64url } from "./bytes.ts";
import { fail } from "./errors.ts";
import { type Family, random, unsupportedFormat } from "./family.ts";
import { host } from "./host.ts";
import { type Jwk, checkJwk, exported, member } from "./jwk.ts";
import { type KeyUsage, allowOnly, makeKey } from "./key.ts";

const USAGES: KeyUsage[] = ["sign", "verify"];
const BLOCK_BITS: Record<string, number> = { "SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024 };
const JWK_ALG: Record<string, string> = { "SHA-1": "HS1", "SHA-256": "HS256", "SHA-384": "HS384", "SHA-512": "HS512" };

function hmacKey(hash: string, bytes: Uint8Array, length: number, extractable: boolean, usages: KeyUsage[]) {
  return makeKey({ type: "secret", extractable, usages, algorithm: { name: "HMAC", hash: { name: hash }, length }, data: packKey({ kind: "secret", curve: "", parts: [bytes] }) });
}

function checkData(data: Uint8Array, what: string): void {
  if (data.length > CRYPTO_LIMITS.data) fail("OperationError", `${what}: tsuki signs at most ${CRYPTO_LIMITS.data} bytes per call, got ${data.length}`);
}

export const hmac: Family = {
  generate(params, extractable, usages) {
    allowOnly(usages, USAGES, "an HMAC key");
    const hash = hashName(params);
    const length = (params.length as number | undefined) ?? BLOCK_BITS[hash]!;
    if (length === 0 || length % 8 !== 0) fail("OperationError", `HMAC keys are generated in whole bytes, not ${length} bits`);
    return hmacKey(hash, random(length / 8), length, extractable, usages);
  },

  importKey(format, data, params, extractable, usages) {
    allowOnly(usages, USAGES, "an HMAC key");
    const hash = hashName(params);
    let bytes: Uint8Array;
    if (format === "raw") {
      bytes = data as Uint8Array;
    } else if (format === "jwk") {
      const jwk = data as Jwk;
      checkJwk(jwk, "oct", "sig", usages, extractable);
      bytes = member(jwk, "k");
      if (jwk.alg !== undefined && jwk.alg !== JWK_ALG[hash]) fail("DataError", `the JWK's alg "${jwk.alg}" is not ${JWK_ALG[hash]}`);
    } else {
      return unsupportedFormat(format, "HMAC");
    }
    if (bytes.length === 0) fail("DataError", "an HMAC key has at least one byte");
    if (bytes.length > CRYPTO_LIMITS.data) fail("DataError", `tsuki takes HMAC keys of at most ${CRYPTO_LIMITS.data} bytes`);
    let length = bytes.length * 8;
    if (params.length !== undefined) {
      const given = params.length as number;
      if (given > length || given <= length - 8 || given === 0) fail("DataError", `the length ${given} does not fit a key of ${bytes.length} bytes`);
      length = given;
    }
    return hmacKey(hash, bytes, length, extractable, usages);
  },

  exportKey(format, key) {
    const bytes = key.data.subarray(6);
    if (format === "raw") return bytes.slice();
    const hash = (key.algorithm.hash as Params).name;
    if (format === "jwk") return exported({ kty: "oct", k: base64url(bytes), alg: JWK_ALG[hash]! }, key.usages, key.extractable);
    return unsupportedFormat(format, "HMAC");
  },

  sign(_params, key, data) {
    checkData(data, "HMAC");
    return host("OperationError", "HMAC", "crypto.sign", `HMAC/${(key.algorithm.hash as Params).name}`, key.data, data, 0);
  },

  verify(_params, key, signature, data) {
    checkData(data, "HMAC");
    return host("OperationError", "HMAC", "crypto.verify", `HMAC/${(key.algorithm.hash as Params).name}`, key.data, data, signature, 0);
  },

  keyLength(params) {
    if (params.length === undefined) return BLOCK_BITS[hashName(params)]!;
    if (params.length === 0) throw new TypeError("an HMAC key's length is not 0");
    return params.length as number;
  },
};
