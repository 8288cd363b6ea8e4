/**
 * @module abi/hypercalls
 * The hypercall list: every call a guest can make into its tender, with the type of each argument
 * and of the result. This table is the contract: the guest runtime calls through it, the host
 * validates every argument against it before acting, and a call that is not in it is ENOSYS.
 *
 * Data crosses as copies of plain values and byte arrays, never as host objects. A call either
 * returns its result or a `HypercallError` value (see `errors.ts`); it never throws into the guest.
 *
 * Time is in milliseconds as floating-point numbers (microsecond resolution), like
 * `performance.now()`: monotonic time counts from an unspecified origin shared by all unikernels of
 * one tender, wall time from the Unix epoch.
 *
 * Device calls take a `handle` first: a small integer the tender hands out (devices at boot,
 * connections in `accept`/`connect`), valid only for the unikernel it was given to.
 */

/** The type of one hypercall argument, as the host checks it. */
export type ArgType =
  | "u32" // an integer 0 ≤ n < 2^32
  | "i32" // an integer -2^31 ≤ n < 2^31
  | "u53" // an integer 0 ≤ n ≤ 2^53-1 (byte offsets)
  | "time" // a finite number ≥ 0, or Infinity (milliseconds)
  | "bytes" // a Uint8Array
  | "chunk" // bytes, or an ASCII string standing for its own bytes (crosses an isolate without an ArrayBuffer)
  | "string"
  | "bool"
  | "handle"; // a u32 naming a resource the calling unikernel owns

interface CallSpec {
  readonly args: readonly ArgType[];
}

export const HYPERCALLS = {
  /** Ends the unikernel with `code` (0–125). Never returns to the guest. */
  "life.exit": { args: ["u32"] },
  /** Ends the unikernel as failed, with a one-line reason. Never returns to the guest. */
  "life.abort": { args: ["string"] },
  /** Writes bytes to the console: stream 1 is output, 2 is errors. One way; the host adds the name. */
  "console.write": { args: ["u32", "bytes"] },
  /** Monotonic time in ms → number. */
  "clock.monotonic": { args: [] },
  /** Wall-clock time in ms since the Unix epoch → number. */
  "clock.wall": { args: [] },
  /** Asks for a `timer` event once monotonic time reaches `deadline`; Infinity disarms. One timer. */
  "timer.arm": { args: ["time"] },
  /** n bytes (1–65536) from the host's CSPRNG → Uint8Array. */
  "random.fill": { args: ["u32"] },
  /** Reads `length` bytes at `offset` of embedded asset `handle` → Uint8Array (shorter at the end). */
  "asset.read": { args: ["handle", "u32", "u32"] },
  /**
   * Queues bytes on connection `handle` → the number of bytes taken: all of them, or 0 when the
   * host's buffer for the connection is full (a `writable` event follows when it has drained).
   */
  "stream.write": { args: ["handle", "chunk"] },
  /** Half-closes connection `handle`: FIN after what is queued; reading goes on. */
  "stream.shutdown": { args: ["handle"] },
  /** Closes connection `handle` both ways at once and frees the handle; a `closed` event follows. */
  "stream.close": { args: ["handle"] },
  /** Stops (`false`) or restarts (`true`) `data` events on connection `handle`: backpressure to the peer. */
  "stream.flow": { args: ["handle", "bool"] },
  /** Opens a connection through connector `handle` → the new connection's handle; `connected` or `closed` follows. */
  "stream.connect": { args: ["handle"] },
  /**
   * Sends one datagram (≤ 65,507 bytes) from udp device `handle` to `address`:`port`, which must be
   * the sender of a datagram this device received, or "" and 0 for the peer fixed by the binding.
   * Best effort, like UDP: a datagram the network drops is not an error.
   */
  "datagram.send": { args: ["handle", "bytes", "string", "u32"] },
  /**
   * Sends frames on net device `handle`, in the packed form (see `frames.ts`: each frame preceded
   * by its length as 2 bytes big-endian, back to back): 1–`LIMITS.netFrames` frames and at most
   * `LIMITS.netSend` bytes per call, each frame 14 to `mtu` + 14 bytes. All are checked before any
   * is sent. Best effort, like a wire: a frame the host's link cannot take at once is dropped.
   */
  "net.send": { args: ["handle", "bytes"] },
  /** Reads `length` bytes at `offset` of block device `handle` → Uint8Array; both multiples of its sector size, length ≤ 1 MiB. */
  "block.read": { args: ["handle", "u53", "u32"] },
  /** Writes `bytes` at `offset` of block device `handle`; aligned like `block.read`. All or nothing. */
  "block.write": { args: ["handle", "u53", "bytes"] },
  /** Makes every write so far durable (fdatasync); a `flushed` event follows. */
  "block.flush": { args: ["handle"] },
  /**
   * The source of a part of the guest runtime that is loaded when first used (`"subtle"`:
   * `crypto.subtle` and `CryptoKey`), so that a unikernel that never touches it holds none of it.
   */
  "runtime.part": { args: ["string"] },
  /** Hashes `data` (≤ `CRYPTO_LIMITS.data`) with `hash` ("SHA-256", …) → the digest. */
  "crypto.digest": { args: ["string", "bytes"] },
  /** Signs `data` with packed `key` (see `crypto.ts`) by `operation` ("ECDSA/SHA-256", …); `saltLength` for RSA-PSS → the signature. */
  "crypto.sign": { args: ["string", "bytes", "bytes", "u32"] },
  /** Checks `signature` over `data` with packed `key` → true or false (a malformed signature is false). */
  "crypto.verify": { args: ["string", "bytes", "bytes", "bytes", "u32"] },
  /** Encrypts `data` by `operation` with packed `key`, `iv` (or counter), `extra` (GCM's additional data, OAEP's label) and `tagBits` (GCM) → the ciphertext. */
  "crypto.encrypt": { args: ["string", "bytes", "bytes", "bytes", "bytes", "u32"] },
  /** The reverse of `crypto.encrypt`; a ciphertext that fails its check (tag, padding) is EINVAL. */
  "crypto.decrypt": { args: ["string", "bytes", "bytes", "bytes", "bytes", "u32"] },
  /**
   * Derives `length` bytes by `operation`: ECDH and X25519 from a private `key` and the peer's
   * public key in `other` (`length` 0: the whole secret); HKDF from `key`, salt `other` and `info`;
   * PBKDF2 from `key`, salt `other` and `iterations`.
   */
  "crypto.derive": { args: ["string", "bytes", "bytes", "bytes", "u32", "u32"] },
  /** A new key pair: "RSA" (`bits`, public exponent `exponent`), "P-256", "P-384", "P-521", "Ed25519", "X25519" → the packed private key. */
  "crypto.generate": { args: ["string", "u32", "bytes"] },
  /** Checks a packed key and returns it in its normal form (see `crypto.ts`); a key that is not one (a point off its curve) is EINVAL. */
  "crypto.import": { args: ["bytes"] },
} as const satisfies Record<string, CallSpec>;

export type HypercallName = keyof typeof HYPERCALLS;

/** The argument types of each hypercall, as TypeScript sees them. */
export interface HypercallArgs {
  "life.exit": [code: number];
  "life.abort": [reason: string];
  "console.write": [stream: number, bytes: Uint8Array];
  "clock.monotonic": [];
  "clock.wall": [];
  "timer.arm": [deadline: number];
  "random.fill": [n: number];
  "asset.read": [handle: number, offset: number, length: number];
  "stream.write": [handle: number, data: Uint8Array | string];
  "stream.shutdown": [handle: number];
  "stream.close": [handle: number];
  "stream.flow": [handle: number, flowing: boolean];
  "stream.connect": [connector: number];
  "datagram.send": [handle: number, bytes: Uint8Array, address: string, port: number];
  "net.send": [handle: number, packed: Uint8Array];
  "block.read": [handle: number, offset: number, length: number];
  "block.write": [handle: number, offset: number, bytes: Uint8Array];
  "block.flush": [handle: number];
  "runtime.part": [name: string];
  "crypto.digest": [hash: string, data: Uint8Array];
  "crypto.sign": [operation: string, key: Uint8Array, data: Uint8Array, saltLength: number];
  "crypto.verify": [operation: string, key: Uint8Array, data: Uint8Array, signature: Uint8Array, saltLength: number];
  "crypto.encrypt": [operation: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array, extra: Uint8Array, tagBits: number];
  "crypto.decrypt": [operation: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array, extra: Uint8Array, tagBits: number];
  "crypto.derive": [operation: string, key: Uint8Array, other: Uint8Array, info: Uint8Array, iterations: number, length: number];
  "crypto.generate": [operation: string, bits: number, exponent: Uint8Array];
  "crypto.import": [key: Uint8Array];
}

/** The result type of each successful hypercall. */
export interface HypercallResults {
  "life.exit": never;
  "life.abort": never;
  "console.write": undefined;
  "clock.monotonic": number;
  "clock.wall": number;
  "timer.arm": undefined;
  "random.fill": Uint8Array;
  "asset.read": Uint8Array;
  "stream.write": number;
  "stream.shutdown": undefined;
  "stream.close": undefined;
  "stream.flow": undefined;
  "stream.connect": number;
  "datagram.send": undefined;
  "net.send": undefined;
  "block.read": Uint8Array;
  "block.write": undefined;
  "block.flush": undefined;
  "runtime.part": string;
  "crypto.digest": Uint8Array;
  "crypto.sign": Uint8Array;
  "crypto.verify": boolean;
  "crypto.encrypt": Uint8Array;
  "crypto.decrypt": Uint8Array;
  "crypto.derive": Uint8Array;
  "crypto.generate": Uint8Array;
  "crypto.import": Uint8Array;
}

/** Size limits of single calls. The guest runtime splits larger requests. */
export const LIMITS = {
  /** Bytes per `console.write`. */
  consoleWrite: 64 * 1024,
  /** Bytes per `random.fill` (the Web Crypto quota). */
  randomFill: 65536,
  /** Bytes per `asset.read`. */
  assetRead: 1024 * 1024,
  /** Characters of an abort reason kept by the host. */
  abortReason: 1024,
  /** Bytes per `stream.write`. */
  streamWrite: 1024 * 1024,
  /** Bytes of one datagram (the most an IPv4 UDP datagram can carry). */
  datagram: 65507,
  /** Bytes per `net.send` (the packed frames with their length prefixes). */
  netSend: 1024 * 1024,
  /** Frames per `net.send`. */
  netFrames: 4096,
  /** Bytes per `block.read` or `block.write`: many sectors per call (Solo5 allows one). */
  blockIo: 1024 * 1024,
} as const;

export const CONSOLE_STDOUT = 1;
export const CONSOLE_STDERR = 2;

/**
 * The one function through which the guest reaches the host. `call` names a hypercall; the rest
 * are its arguments. Returns the result, or a `HypercallError` value.
 */
export type HypercallFn = (call: string, ...args: unknown[]) => unknown;
