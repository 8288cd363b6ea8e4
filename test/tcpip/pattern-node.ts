/**
 * @module test/tcpip/pattern-node
 * The test pattern (pattern.ts) on the kernel's side, with Buffer's memcmp instead of a byte loop so
 * the Node peer keeps up with a gigabyte.
 */

import { DOUBLE, PERIOD } from "./pattern.ts";

const double = Buffer.from(DOUBLE.buffer, DOUBLE.byteOffset, DOUBLE.byteLength);

/** `length` (≤ PERIOD) bytes of the stream from `offset`, as a view. */
export function patternChunk(offset: number, length: number): Buffer {
  const start = offset % PERIOD;
  return double.subarray(start, start + length);
}

/** The offset of the first byte of `bytes` (received at `offset`) that is not the pattern's, or -1. */
export function firstMismatchFast(bytes: Buffer, offset: number): number {
  for (let done = 0; done < bytes.length; ) {
    const n = Math.min(PERIOD, bytes.length - done);
    if (bytes.compare(patternChunk(offset + done, n), 0, n, done, done + n) !== 0) {
      for (let i = 0; i < n; i++) if (bytes[done + i] !== double[((offset + done) % PERIOD) + i]) return offset + done + i;
    }
    done += n;
  }
  return -1;
}
