/**
 * @module guest/runtime/web/subtle/kdf
 * HKDF and PBKDF2 (WebCrypto §32, §33): keys imported raw and never extractable; the derivation
 * runs on the host. PBKDF2 is bounded per call (`CRYPTO_LIMITS.pbkdf2Work` iterations × output
 * blocks, a NotSupportedError beyond, as Cloudflare Workers refuse over 100,000 iterations), since
 * no call may hold the tender's thread for long.
 */

import { CRYPTO_LIMITS, packKey } from "../../../../abi/index.ts";
import { hashName } from "./algorithms.ts";
import { fail } from "./errors.ts";
import { type Family, unsupportedFormat } from "./family.ts";
import { host } from "./host.ts";
import { type KeyUsage, allowOnly, makeKey } from "./key.ts";

const USAGES: KeyUsage[] = ["deriveKey", "deriveBits"];
const HASH_BYTES: Record<string, number> = { "SHA-1": 20, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };
const NONE = new Uint8Array(0);

export const kdf: Family = {
  importKey(format, data, params, extractable, usages) {
    if (format !== "raw") return unsupportedFormat(format, params.name);
    allowOnly(usages, USAGES, `a ${params.name} key`);
    if (extractable) fail("SyntaxError", `${params.name} keys cannot be extractable`);
    const bytes = data as Uint8Array;
    if (bytes.length > CRYPTO_LIMITS.data) fail("DataError", `tsuki takes ${params.name} keys of at most ${CRYPTO_LIMITS.data} bytes`);
    return makeKey({ type: "secret", extractable: false, usages, algorithm: { name: params.name }, data: packKey({ kind: "secret", curve: "", parts: [bytes] }) });
  },

  exportKey(format, key) {
    return unsupportedFormat(format, key.algorithm.name);
  },

  deriveBits(params, key, length) {
    if (length === null || length % 8 !== 0) fail("OperationError", `${params.name} derives a whole number of bytes: length must be a multiple of 8, got ${length}`);
    if (length === 0) return new Uint8Array(0);
    const hash = hashName(params);
    const bytes = length / 8;
    if (params.name === "HKDF") {
      if (bytes > 255 * HASH_BYTES[hash]!) fail("OperationError", `HKDF with ${hash} derives at most ${255 * HASH_BYTES[hash]!} bytes`);
      return host("OperationError", "HKDF", "crypto.derive", `HKDF/${hash}`, key.data, params.salt as Uint8Array, params.info as Uint8Array, 0, bytes);
    }
    const iterations = params.iterations as number;
    if (iterations === 0) fail("OperationError", "PBKDF2 needs at least one iteration");
    const work = iterations * Math.ceil(bytes / HASH_BYTES[hash]!);
    if (work > CRYPTO_LIMITS.pbkdf2Work || bytes > CRYPTO_LIMITS.deriveBytes) {
      fail("NotSupportedError", `tsuki runs PBKDF2 for at most ${CRYPTO_LIMITS.pbkdf2Work} iterations × ${HASH_BYTES[hash]}-byte blocks per call (asked ${iterations} × ${Math.ceil(bytes / HASH_BYTES[hash]!)})`);
    }
    return host("OperationError", "PBKDF2", "crypto.derive", `PBKDF2/${hash}`, key.data, params.salt as Uint8Array, NONE, iterations, bytes);
  },

  keyLength: () => null,
};
