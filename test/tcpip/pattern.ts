/**
 * @module test/tcpip/pattern
 * The byte stream that TCP transfers in the Linux tests and bench:tcpip carry: byte i of the stream
 * is `BLOCK[i % PERIOD]`, where BLOCK is xorshift output and PERIOD a prime (65,521), so a segment
 * delivered twice, lost, or at the wrong offset shows as a mismatch unless the error were a multiple
 * of 65,521 bytes, which no TCP segment is. Both ends compute it: the guest (this file is bundled into
 * the test image, so it imports nothing) and the kernel's side (a Node script in the namespace).
 */

export const PERIOD = 65_521;

/** BLOCK twice over, so any PERIOD-long window starting inside the first copy is one subarray. */
export const DOUBLE: Uint8Array = (() => {
  const out = new Uint8Array(PERIOD * 2);
  let x = 0x9e3779b9;
  for (let i = 0; i < PERIOD; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = out[i + PERIOD] = x & 0xff;
  }
  return out;
})();

/** The `length` (≤ PERIOD) bytes of the stream from `offset`: a view, never copied. */
export function slice(offset: number, length: number): Uint8Array {
  const start = offset % PERIOD;
  return DOUBLE.subarray(start, start + length);
}

/** Checks bytes received at stream offset `offset`; returns the offset of the first wrong byte, or -1. */
export function firstMismatch(bytes: Uint8Array, offset: number): number {
  for (let done = 0; done < bytes.length; ) {
    const n = Math.min(PERIOD, bytes.length - done);
    const want = slice(offset + done, n);
    for (let i = 0; i < n; i++) if (bytes[done + i] !== want[i]) return offset + done + i;
    done += n;
  }
  return -1;
}
