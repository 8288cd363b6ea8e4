/**
 * @module tsuki/dns/addresses
 * IPv4 and IPv6 addresses as text and as the 4 or 16 octets of A and AAAA records, through the
 * guest's one address parser (tsuki/net-address): a dotted quad only for IPv4, RFC 4291 text for
 * IPv6, written the RFC 5952 way (lower case, the longest run of two or more zero groups as `::`).
 */

import { formatIPv6 as formatGroups, ipv4FromBytes, ipv4ToBytes, ipv6FromBytes, ipv6ToBytes, parseIPv4 as parseAddress, parseIPv6 as parseGroups, formatIPv4 as formatAddress } from "../net-address/index.ts";

/** The 4 octets of a dotted quad, or undefined if it is not one (no leading zeros, each ≤ 255). */
export function parseIPv4(text: string): Uint8Array | undefined {
  const address = parseAddress(text);
  return address === undefined ? undefined : ipv4ToBytes(address);
}

export function formatIPv4(bytes: Uint8Array): string {
  return formatAddress(ipv4FromBytes(bytes));
}

/** The 16 octets of an IPv6 address in text (with `::` and an embedded IPv4 tail), or undefined. */
export function parseIPv6(text: string): Uint8Array | undefined {
  const groups = parseGroups(text);
  return groups === undefined ? undefined : ipv6ToBytes(groups);
}

/** RFC 5952 text of 16 octets. */
export function formatIPv6(bytes: Uint8Array): string {
  return formatGroups(ipv6FromBytes(bytes));
}
