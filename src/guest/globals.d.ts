/// <reference path="./globals-wasm.d.ts" />
/// <reference path="./globals-web.d.ts" />
/**
 * @module guest/globals
 * The global scope of a unikernel, as the guest runtime builds it: ECMAScript's built-ins, the web
 * basics below, and the web platform's globals of globals-web.d.ts (URL, fetch's classes, streams,
 * events, abort, Blob/File/FormData, compression, navigator, and `fetch` through the connectors
 * the image declares). There is no `process`, `Buffer`, `require` or file system. Used by `tsconfig.guest.json` to type-check guest code and
 * examples against what really exists.
 */

interface Console {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  debug(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  trace(...data: unknown[]): void;
  assert(condition?: unknown, ...data: unknown[]): void;
  dir(item?: unknown, options?: { depth?: number }): void;
  table(...data: unknown[]): void;
  group(...label: unknown[]): void;
  groupEnd(): void;
  count(label?: string): void;
  countReset(label?: string): void;
  time(label?: string): void;
  timeLog(label?: string, ...data: unknown[]): void;
  timeEnd(label?: string): void;
}
declare var console: Console;

declare function setTimeout(callback: (_: void) => void, ms?: number): number;
declare function setTimeout<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): number;
declare function setInterval(callback: (_: void) => void, ms?: number): number;
declare function setInterval<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;
declare function queueMicrotask(callback: () => void): void;

declare function atob(data: string): string;
declare function btoa(data: string): string;
declare function structuredClone<T>(value: T, options?: { transfer?: ArrayBuffer[] }): T;

interface TextEncoderEncodeIntoResult {
  read: number;
  written: number;
}
declare class TextEncoder {
  readonly encoding: "utf-8";
  encode(input?: string): Uint8Array<ArrayBuffer>;
  encodeInto(source: string, destination: Uint8Array): TextEncoderEncodeIntoResult;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBuffer | ArrayBufferView | SharedArrayBuffer, options?: { stream?: boolean }): string;
}

declare class DOMException extends Error {
  constructor(message?: string, name?: string);
  readonly code: number;
}

declare var performance: {
  /** Milliseconds since the unikernel booted, from the host's monotonic clock. */
  now(): number;
  /** Wall-clock time at boot, in ms since the Unix epoch. */
  readonly timeOrigin: number;
  toJSON(): { timeOrigin: number };
};

declare var crypto: {
  /** Fills an integer typed array (≤ 65,536 bytes) from the host's CSPRNG. */
  getRandomValues<T extends Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array>(array: T): T;
  randomUUID(): `${string}-${string}-${string}-${string}-${string}`;
  /**
   * Web Crypto (loaded on first use). Algorithms: SHA-1/256/384/512; HMAC; AES-GCM/CBC/CTR/KW;
   * ECDSA and ECDH on P-256/P-384/P-521; Ed25519; X25519; RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP;
   * HKDF; PBKDF2. Formats raw, spki, pkcs8, jwk. tsuki's bounds, per call: 16 MiB of data
   * (OperationError beyond), PBKDF2 iterations × output blocks ≤ 2^20 and RSA keys generated
   * up to 4,096 bits (NotSupportedError beyond).
   */
  readonly subtle: SubtleCrypto;
};

type KeyType = "secret" | "public" | "private";
type KeyUsage = "encrypt" | "decrypt" | "sign" | "verify" | "deriveKey" | "deriveBits" | "wrapKey" | "unwrapKey";
type KeyFormat = "raw" | "spki" | "pkcs8" | "jwk";
type BufferSource = ArrayBuffer | ArrayBufferView<ArrayBuffer>;
interface Algorithm {
  name: string;
}
type AlgorithmIdentifier = string | (Algorithm & Record<string, unknown>);
interface JsonWebKey {
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
  k?: string;
}
declare class CryptoKey {
  private constructor();
  readonly type: KeyType;
  readonly extractable: boolean;
  readonly algorithm: Algorithm & Record<string, unknown>;
  readonly usages: KeyUsage[];
}
interface CryptoKeyPair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}
declare class SubtleCrypto {
  private constructor();
  digest(algorithm: AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer>;
  encrypt(algorithm: AlgorithmIdentifier, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer>;
  decrypt(algorithm: AlgorithmIdentifier, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer>;
  sign(algorithm: AlgorithmIdentifier, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer>;
  verify(algorithm: AlgorithmIdentifier, key: CryptoKey, signature: BufferSource, data: BufferSource): Promise<boolean>;
  generateKey(algorithm: AlgorithmIdentifier, extractable: boolean, keyUsages: KeyUsage[]): Promise<CryptoKey | CryptoKeyPair>;
  deriveKey(algorithm: AlgorithmIdentifier, baseKey: CryptoKey, derivedKeyType: AlgorithmIdentifier, extractable: boolean, keyUsages: KeyUsage[]): Promise<CryptoKey>;
  deriveBits(algorithm: AlgorithmIdentifier, baseKey: CryptoKey, length?: number | null): Promise<ArrayBuffer>;
  importKey(format: "jwk", keyData: JsonWebKey, algorithm: AlgorithmIdentifier, extractable: boolean, keyUsages: KeyUsage[]): Promise<CryptoKey>;
  importKey(format: Exclude<KeyFormat, "jwk">, keyData: BufferSource, algorithm: AlgorithmIdentifier, extractable: boolean, keyUsages: KeyUsage[]): Promise<CryptoKey>;
  exportKey(format: "jwk", key: CryptoKey): Promise<JsonWebKey>;
  exportKey(format: Exclude<KeyFormat, "jwk">, key: CryptoKey): Promise<ArrayBuffer>;
  wrapKey(format: KeyFormat, key: CryptoKey, wrappingKey: CryptoKey, wrapAlgorithm: AlgorithmIdentifier): Promise<ArrayBuffer>;
  unwrapKey(format: KeyFormat, wrappedKey: BufferSource, unwrappingKey: CryptoKey, unwrapAlgorithm: AlgorithmIdentifier, unwrappedKeyAlgorithm: AlgorithmIdentifier, extractable: boolean, keyUsages: KeyUsage[]): Promise<CryptoKey>;
}
