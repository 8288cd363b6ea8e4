/**
 * @module guest/runtime/web/subtle/rsa
 * RSASSA-PKCS1-v1_5, RSA-PSS and RSA-OAEP (WebCrypto §20–§22): keys in SPKI, PKCS#8 (RFC 8017
 * RSAPublicKey / RSAPrivateKey under rsaEncryption) and JWK, parsed here; moduli of 512–8,192
 * bits (generated: 1,024–4,096, exponent 3 or 65537). Signing, verifying, encryption and key
 * generation run on the host.
 */

import { CRYPTO_LIMITS } from "../../../../abi/index.ts";
import { type Params, hashName } from "./algorithms.ts";
import { base64url, bitLength, stripZeros } from "./bytes.ts";
import { NULL_PARAMETERS, OID, isNull, readPkcs8, readSpki, writePkcs8, writeSpki } from "./containers.ts";
import { DerError, Reader, TAG, der, derInteger } from "./der.ts";
import { fail, guard } from "./errors.ts";
import { type Family, unsupportedFormat } from "./family.ts";
import { type Jwk, checkJwk, exported, member } from "./jwk.ts";
import { type KeyUsage, type Slots, allowOnly, intersect, makeKey } from "./key.ts";
import { checkMessage, importPacked, partsOf, privateOnly, publicOf, publicOnly } from "./asymmetric.ts";
import { host } from "./host.ts";

const SUFFIX: Record<string, string> = { "SHA-1": "1", "SHA-256": "256", "SHA-384": "384", "SHA-512": "512" };

function usagesFor(name: string, type: "public" | "private"): KeyUsage[] {
  if (name === "RSA-OAEP") return type === "private" ? ["decrypt", "unwrapKey"] : ["encrypt", "wrapKey"];
  return type === "private" ? ["sign"] : ["verify"];
}

function jwkAlg(name: string, hash: string): string {
  if (name === "RSA-OAEP") return hash === "SHA-1" ? "RSA-OAEP" : `RSA-OAEP-${SUFFIX[hash]}`;
  return `${name === "RSA-PSS" ? "PS" : "RS"}${SUFFIX[hash]}`;
}

function makeRsaKey(name: string, hash: string, type: "public" | "private", packed: Uint8Array, extractable: boolean, usages: KeyUsage[]) {
  const [n, e] = partsOf({ data: packed } as Slots) as [Uint8Array, Uint8Array];
  const algorithm = { name, modulusLength: bitLength(n), publicExponent: stripZeros(e).slice(), hash: { name: hash } };
  return makeKey({ type, extractable, usages, algorithm, data: packed });
}

const NAMES = ["n", "e", "d", "p", "q", "dp", "dq", "qi"] as const;

/** RSAPublicKey or RSAPrivateKey (RFC 8017 A.1) → its integers. */
function readRsaKey(bytes: Uint8Array, isPrivate: boolean): Uint8Array[] {
  return guard("DataError", `the key is not an RFC 8017 ${isPrivate ? "RSAPrivateKey" : "RSAPublicKey"}`, () => {
    const outer = new Reader(bytes);
    const seq = outer.sequence();
    outer.end();
    if (isPrivate && seq.small() !== 0) throw new DerError("two-prime RSAPrivateKey (version 0)");
    const parts = Array.from({ length: isPrivate ? 8 : 2 }, () => seq.integer());
    seq.end();
    return parts;
  });
}

export const rsa: Family = {
  generate(params, extractable, usages) {
    allowOnly(usages, [...usagesFor(params.name, "public"), ...usagesFor(params.name, "private")], `an ${params.name} key pair`);
    const bits = params.modulusLength as number;
    if (bits > CRYPTO_LIMITS.rsaMaxGenerateBits) fail("NotSupportedError", `tsuki generates RSA keys of at most ${CRYPTO_LIMITS.rsaMaxGenerateBits} bits (it takes seconds beyond)`);
    const packed = host("OperationError", "RSA key generation failed", "crypto.generate", "RSA", bits, params.publicExponent as Uint8Array);
    const hash = hashName(params);
    return {
      publicKey: makeRsaKey(params.name, hash, "public", publicOf(packed), true, intersect(usages, usagesFor(params.name, "public"))),
      privateKey: makeRsaKey(params.name, hash, "private", packed, extractable, intersect(usages, usagesFor(params.name, "private"))),
    };
  },

  importKey(format, data, params, extractable, usages) {
    const hash = hashName(params);
    const make = (parts: Uint8Array[]) => {
      const type = parts.length === 8 ? "private" : "public";
      allowOnly(usages, usagesFor(params.name, type), `an ${params.name} ${type} key`);
      const bits = bitLength(parts[0]!);
      if (bits < CRYPTO_LIMITS.rsaMinBits || bits > CRYPTO_LIMITS.rsaMaxBits) {
        fail("NotSupportedError", `tsuki takes RSA moduli of ${CRYPTO_LIMITS.rsaMinBits}–${CRYPTO_LIMITS.rsaMaxBits} bits, got ${bits}`);
      }
      const packed = importPacked({ kind: type === "private" ? "rsa-private" : "rsa-public", curve: "", parts: parts.map(stripZeros) });
      return makeRsaKey(params.name, hash, type, packed, extractable, usages);
    };
    switch (format) {
      case "spki": {
        const { algorithm, key } = readSpki(data as Uint8Array);
        if (algorithm.oid !== OID.rsaEncryption || !isNull(algorithm.parameters)) fail("DataError", "the key is not an RSA key (rsaEncryption)");
        return make(readRsaKey(key, false));
      }
      case "pkcs8": {
        const { algorithm, key } = readPkcs8(data as Uint8Array);
        if (algorithm.oid !== OID.rsaEncryption || !isNull(algorithm.parameters)) fail("DataError", "the key is not an RSA key (rsaEncryption)");
        return make(readRsaKey(key, true));
      }
      case "jwk": {
        const jwk = data as Jwk;
        checkJwk(jwk, "RSA", params.name === "RSA-OAEP" ? "enc" : "sig", usages, extractable);
        if (jwk.alg !== undefined && jwk.alg !== jwkAlg(params.name, hash)) fail("DataError", `the JWK's alg "${jwk.alg}" is not ${jwkAlg(params.name, hash)}`);
        if (jwk.oth !== undefined) fail("NotSupportedError", "RSA keys of more than two primes (oth) are not supported");
        return make(NAMES.slice(0, jwk.d === undefined ? 2 : 8).map((name) => member(jwk, name)));
      }
      default:
        return unsupportedFormat(format, params.name);
    }
  },

  exportKey(format, key) {
    const parts = partsOf(key);
    switch (format) {
      case "spki":
        publicOnly(key, format);
        return writeSpki(OID.rsaEncryption, NULL_PARAMETERS, der(TAG.SEQUENCE, ...parts.map(derInteger)));
      case "pkcs8":
        privateOnly(key, format);
        return writePkcs8(OID.rsaEncryption, NULL_PARAMETERS, der(TAG.SEQUENCE, derInteger(new Uint8Array([0])), ...parts.map(derInteger)));
      case "jwk": {
        const jwk: Jwk = { kty: "RSA", alg: jwkAlg(key.algorithm.name, (key.algorithm.hash as Params).name) };
        parts.forEach((part, i) => (jwk[NAMES[i]!] = base64url(part)));
        return exported(jwk, key.usages, key.extractable);
      }
      default:
        return unsupportedFormat(format, key.algorithm.name);
    }
  },

  sign(params, key, data) {
    if (key.type !== "private") fail("InvalidAccessError", `${params.name} signs with a private key`);
    checkMessage(data, params.name);
    const hash = (key.algorithm.hash as Params).name;
    return host("OperationError", params.name, "crypto.sign", `${params.name}/${hash}`, key.data, data, (params.saltLength as number | undefined) ?? 0);
  },

  verify(params, key, signature, data) {
    if (key.type !== "public") fail("InvalidAccessError", `${params.name} verifies with a public key`);
    checkMessage(data, params.name);
    const hash = (key.algorithm.hash as Params).name;
    return host("OperationError", params.name, "crypto.verify", `${params.name}/${hash}`, key.data, data, signature, (params.saltLength as number | undefined) ?? 0);
  },

  encrypt(params, key, data) {
    if (key.type !== "public") fail("InvalidAccessError", "RSA-OAEP encrypts with a public key");
    const hash = (key.algorithm.hash as Params).name;
    return host("OperationError", "RSA-OAEP encryption failed (is the message too long for the key?)", "crypto.encrypt", `RSA-OAEP/${hash}`, key.data, new Uint8Array(0), data, (params.label as Uint8Array | undefined) ?? new Uint8Array(0), 0);
  },

  decrypt(params, key, data) {
    if (key.type !== "private") fail("InvalidAccessError", "RSA-OAEP decrypts with a private key");
    const hash = (key.algorithm.hash as Params).name;
    return host("OperationError", "RSA-OAEP decryption failed", "crypto.decrypt", `RSA-OAEP/${hash}`, key.data, new Uint8Array(0), data, (params.label as Uint8Array | undefined) ?? new Uint8Array(0), 0);
  },
};
