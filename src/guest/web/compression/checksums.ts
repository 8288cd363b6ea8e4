/**
 * @module guest/web/compression/checksums
 * CRC-32 (gzip's trailer, RFC 1952 §8) and Adler-32 (zlib's, RFC 1950 §8.2), updated a chunk at a
 * time.
 */

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** CRC-32 of `data` continued from `crc` (0 to start). */
export function crc32(crc: number, data: Uint8Array): number {
  const t = (table ??= crcTable());
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Adler-32 of `data` continued from `adler` (1 to start). */
export function adler32(adler: number, data: Uint8Array): number {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  // 5552 is the most bytes zlib sums before the 32-bit sums could overflow.
  for (let i = 0; i < data.length; ) {
    const end = Math.min(i + 5552, data.length);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
