/**
 * @module guest/runtime/web/subtle/aes
 * AES-CTR, AES-CBC, AES-GCM and AES-KW (WebCrypto §27–§30): keys of 128, 192 or 256 bits, raw and
 * JWK formats; the ciphers run on the host. AES-CTR's counter wraps within its `length` low bits
 * as the spec says (OpenSSL carries into the whole block), so a message that wraps is ciphered in
 * two calls, and one longer than 2^length blocks is an OperationError.
 */

import { CRYPTO_LIMITS, packKey } from "../../../../abi/index.ts";
import type { Params } from "./algorithms.ts";
import { fail } from "./errors.ts";
import { type Family, type Format, random, unsupportedFormat } from "./family.ts";
import { host } from "./host.ts";
import { type Jwk, checkJwk, exported, member } from "./jwk.ts";
import { type KeyUsage, type Slots, allowOnly, makeKey } from "./key.ts";
import { base64url, concat } from "./bytes.ts";

const NONE = new Uint8Array(0);
const GCM_TAGS = [32, 64, 96, 104, 112, 120, 128];

function usagesOf(name: string): KeyUsage[] {
  return name === "AES-KW" ? ["wrapKey", "unwrapKey"] : ["encrypt", "decrypt", "wrapKey", "unwrapKey"];
}

const jwkAlg = (name: string, bits: number) => `A${bits}${name.slice(4)}`;

function secretKey(name: string, bytes: Uint8Array, extractable: boolean, usages: KeyUsage[]) {
  return makeKey({ type: "secret", extractable, usages, algorithm: { name, length: bytes.length * 8 }, data: packKey({ kind: "secret", curve: "", parts: [bytes] }) });
}

const keyBytes = (key: Slots) => key.data.subarray(6);

function checkSize(data: Uint8Array, what: string): void {
  if (data.length > CRYPTO_LIMITS.data) fail("OperationError", `${what}: tsuki ciphers at most ${CRYPTO_LIMITS.data} bytes per call, got ${data.length}`);
}

function ctr(encrypt: boolean, params: Params, key: Slots, data: Uint8Array): Uint8Array {
  const counter = params.counter as Uint8Array;
  const length = params.length as number;
  if (counter.length !== 16) fail("OperationError", `AES-CTR's counter is 16 bytes, got ${counter.length}`);
  if (length === 0 || length > 128) fail("OperationError", `AES-CTR's length is 1–128 bits, got ${length}`);
  const call = encrypt ? "crypto.encrypt" : "crypto.decrypt";
  const blocks = BigInt(Math.ceil(data.length / 16));
  const modulus = 1n << BigInt(length);
  if (blocks > modulus) fail("OperationError", `AES-CTR with a ${length}-bit counter ciphers at most ${modulus} blocks`);
  let whole = 0n;
  for (const byte of counter) whole = (whole << 8n) | BigInt(byte);
  const low = whole & (modulus - 1n);
  if (low + blocks <= modulus) return host("OperationError", "AES-CTR", call, "AES-CTR", key.data, counter, data, NONE, 0);
  // The counter's low bits wrap to zero after `first` blocks; the high bits stay.
  const first = Number(modulus - low) * 16;
  const wrapped = new Uint8Array(16);
  let value = whole - low;
  for (let i = 15; i >= 0; i--, value >>= 8n) wrapped[i] = Number(value & 0xffn);
  return concat(
    host("OperationError", "AES-CTR", call, "AES-CTR", key.data, counter, data.subarray(0, first), NONE, 0),
    host("OperationError", "AES-CTR", call, "AES-CTR", key.data, wrapped, data.subarray(first), NONE, 0),
  );
}

function cipher(encrypt: boolean, params: Params, key: Slots, data: Uint8Array): Uint8Array {
  checkSize(data, params.name);
  const call = encrypt ? "crypto.encrypt" : "crypto.decrypt";
  switch (params.name) {
    case "AES-CTR":
      return ctr(encrypt, params, key, data);
    case "AES-CBC": {
      const iv = params.iv as Uint8Array;
      if (iv.length !== 16) fail("OperationError", `AES-CBC's iv is 16 bytes, got ${iv.length}`);
      return host("OperationError", `AES-CBC ${encrypt ? "encryption" : "decryption"} failed`, call, "AES-CBC", key.data, iv, data, NONE, 0);
    }
    default: {
      const tagLength = (params.tagLength as number | undefined) ?? 128;
      if (!GCM_TAGS.includes(tagLength)) fail("OperationError", `AES-GCM's tagLength is one of ${GCM_TAGS.join(", ")}, got ${tagLength}`);
      const iv = params.iv as Uint8Array;
      if (iv.length === 0) fail("OperationError", "AES-GCM needs an iv of at least one byte");
      if (!encrypt && data.length < tagLength / 8) fail("OperationError", `the ciphertext is shorter than its ${tagLength / 8}-byte tag`);
      const what = encrypt ? "AES-GCM encryption failed" : "AES-GCM decryption failed: the data or its tag is not authentic";
      return host("OperationError", what, call, "AES-GCM", key.data, iv, data, (params.additionalData as Uint8Array | undefined) ?? NONE, tagLength);
    }
  }
}

function checkLength(bits: number): void {
  if (bits !== 128 && bits !== 192 && bits !== 256) fail("OperationError", `AES keys are 128, 192 or 256 bits, not ${bits}`);
}

export const aes: Family = {
  generate(params, extractable, usages) {
    allowOnly(usages, usagesOf(params.name), `an ${params.name} key`);
    checkLength(params.length as number);
    return secretKey(params.name, random((params.length as number) / 8), extractable, usages);
  },

  importKey(format: Format, data, params, extractable, usages) {
    allowOnly(usages, usagesOf(params.name), `an ${params.name} key`);
    let bytes: Uint8Array;
    if (format === "raw") {
      bytes = data as Uint8Array;
    } else if (format === "jwk") {
      const jwk = data as Jwk;
      checkJwk(jwk, "oct", "enc", usages, extractable);
      bytes = member(jwk, "k");
      if (jwk.alg !== undefined && jwk.alg !== jwkAlg(params.name, bytes.length * 8)) fail("DataError", `the JWK's alg "${jwk.alg}" is not ${jwkAlg(params.name, bytes.length * 8)}`);
    } else {
      return unsupportedFormat(format, "AES");
    }
    if (bytes.length !== 16 && bytes.length !== 24 && bytes.length !== 32) fail("DataError", `AES keys are 16, 24 or 32 bytes, got ${bytes.length}`);
    return secretKey(params.name, bytes, extractable, usages);
  },

  exportKey(format, key) {
    const bytes = keyBytes(key);
    if (format === "raw") return bytes.slice();
    if (format === "jwk") return exported({ kty: "oct", k: base64url(bytes), alg: jwkAlg(key.algorithm.name, bytes.length * 8) }, key.usages, key.extractable);
    return unsupportedFormat(format, "AES");
  },

  encrypt: (params, key, data) => cipher(true, params, key, data),
  decrypt: (params, key, data) => cipher(false, params, key, data),

  wrapKey(_params, key, data) {
    if (data.length % 8 !== 0 || data.length < 16) fail("OperationError", `AES-KW wraps a multiple of 8 bytes, at least 16; got ${data.length}`);
    return host("OperationError", "AES-KW", "crypto.encrypt", "AES-KW", key.data, NONE, data, NONE, 0);
  },

  unwrapKey(_params, key, data) {
    if (data.length % 8 !== 0 || data.length < 24) fail("OperationError", `AES-KW unwraps a multiple of 8 bytes, at least 24; got ${data.length}`);
    return host("OperationError", "AES-KW unwrapping failed: the wrapped key is not authentic", "crypto.decrypt", "AES-KW", key.data, NONE, data, NONE, 0);
  },

  keyLength(params) {
    checkLength(params.length as number);
    return params.length as number;
  },
};
