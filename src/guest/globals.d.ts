/// <reference path="./globals-web.d.ts" />
/**
 * The global scope of a unikernel, as the guest runtime builds it: ECMAScript's built-ins, the web
 * basics below, and the web platform's globals of globals-web.d.ts (URL, fetch's classes, streams,
 * events, abort, Blob/File/FormData, compression, navigator). There is no `process`, `Buffer`,
 * `require`, `fetch` or file system. Used by `tsconfig.guest.json` to type-check guest code and
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
};
