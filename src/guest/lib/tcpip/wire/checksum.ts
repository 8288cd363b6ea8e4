/**
 * @module tcpip/wire/checksum
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit
 * big-endian words. `sum` accumulates without folding so that pieces (a pseudo-header, a header,
 * a payload) can be added up separately and folded once; `fold` finishes. A 32-bit accumulator
 * cannot overflow before 2^16 words (128 KiB), beyond any IPv4 datagram, so `sum` folds only at
 * the end of each call.
 */

/** Adds the bytes `bytes[start..end)` as big-endian 16-bit words (an odd last byte is padded with zero) to `initial`. */
export function sum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let acc = initial;
  let i = start;
  const even = end - ((end - start) & 1);
  // Unrolled by four words: the checksum of every received and sent segment runs here.
  for (; i + 8 <= even; i += 8) {
    acc += ((bytes[i]! << 8) | bytes[i + 1]!) + ((bytes[i + 2]! << 8) | bytes[i + 3]!) + ((bytes[i + 4]! << 8) | bytes[i + 5]!) + ((bytes[i + 6]! << 8) | bytes[i + 7]!);
  }
  for (; i < even; i += 2) acc += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) acc += bytes[i]! << 8;
  // Keep the accumulator small enough that callers may go on adding.
  return (acc & 0xffff) + Math.floor(acc / 0x10000);
}

/** Folds an accumulated sum to 16 bits and complements it: the value to put in a checksum field. */
export function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

/** The checksum of `bytes[start..end)` alone (IPv4 header, ICMP message). */
export function checksum(bytes: Uint8Array, start: number, end: number): number {
  return fold(sum(bytes, start, end));
}

/**
 * The IPv4 pseudo-header's contribution (RFC 9293 §3.1, RFC 768): source, destination, zero,
 * protocol and the transport length. Addresses are unsigned 32-bit numbers.
 */
export function pseudoHeaderSum(source: number, destination: number, protocol: number, length: number): number {
  return (source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff) + protocol + length;
}
