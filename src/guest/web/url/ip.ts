/**
 * @module guest/web/url/ip
 * IPv4 and IPv6 addresses as the URL Standard parses and serialises hosts (§3.5–§3.6): IPv4 in
 * every form it accepts (decimal, 0x-hex and 0-octal parts, fewer than four parts), which only a
 * URL accepts and so is parsed here; IPv6 with `::` and an embedded IPv4 tail, written back with
 * the longest run of zeros compressed, which is RFC 4291/5952's grammar and so the guest's one
 * address parser's (tsuki/net-address).
 */

import { parseIPv6 as parseStrictIPv6 } from "../../lib/net-address/index.ts";

/** One part of an IPv4 address: decimal, 0x-hex or 0-octal; null if it is not a number. */
export function parseIPv4Number(input: string): number | null {
  if (input === "") return null;
  let radix = 10;
  let digits = input;
  if (/^0[xX]/.test(digits)) {
    radix = 16;
    digits = digits.slice(2);
  } else if (digits.length > 1 && digits.startsWith("0")) {
    radix = 8;
    digits = digits.slice(1);
  }
  if (digits === "") return 0;
  const valid = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
  if (!valid.test(digits)) return null;
  return Number.parseInt(digits, radix);
}

export function parseIPv4(input: string): number | null {
  const parts = input.split(".");
  if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
  if (parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseIPv4Number(part);
    if (n === null) return null;
    numbers.push(n);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255)) return null;
  if (last >= 256 ** (4 - numbers.length)) return null;
  let address = last;
  numbers.forEach((n, i) => (address += n * 256 ** (3 - i)));
  return address;
}

export function serializeIPv4(address: number): string {
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join(".");
}

/** §3.5 IPv6 parser: eight 16-bit pieces, or null. The standard's grammar is RFC 4291's text form, so this is the guest's one IPv6 parser (tsuki/net-address); a differential test holds them to the same answers. */
export function parseIPv6(input: string): number[] | null {
  return parseStrictIPv6(input) ?? null;
}

/** §3.6: lower-case hex, the first longest run of two or more zero pieces compressed to `::` (RFC 5952's form). */
export { formatIPv6 as serializeIPv6 } from "../../lib/net-address/index.ts";
