/**
 * @module tsuki/net-address/ipv4
 * IPv4 addresses in their one strict text form, the dotted quad: four decimal parts, each 0–255
 * with no leading zero, no sign, no space, no other base and no short form (`127.1`, `0x7f.0.0.1`
 * and `010.0.0.1` are not addresses here; the URL parser's lenient forms live in the URL parser).
 * An address is a 32-bit unsigned number, or its 4 octets in network order.
 */

const PART = /^(?:0|[1-9][0-9]{0,2})$/;

/** The address of a dotted quad as a number (0 to 2³²−1), or undefined if `text` is not exactly one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!PART.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** The dotted quad of an address number. */
export function formatIPv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

/** The 4 octets of an address number, in network order. */
export function ipv4ToBytes(address: number): Uint8Array {
  return Uint8Array.of(address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255);
}

/** The address number of 4 octets in network order. */
export function ipv4FromBytes(bytes: Uint8Array): number {
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}
