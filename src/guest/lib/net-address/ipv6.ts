/**
 * @module tsuki/net-address/ipv6
 * IPv6 addresses as text (RFC 4291 §2.2) and back (RFC 5952 §4). Parsing takes the three forms of
 * RFC 4291: eight groups of one to four hex digits, `::` once for a run of zero groups, and a
 * dotted-quad tail (strict, as `parseIPv4`) in place of the last two groups; nothing else (no
 * zone, no brackets, no space). Writing is RFC 5952's canonical form, which the URL Standard's
 * serialiser also writes: lower-case hex without leading zeros, the first longest run of two or
 * more zero groups as `::`. An address is its eight 16-bit groups, or its 16 octets.
 */

import { parseIPv4 } from "./ipv4.ts";

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The groups of one side of `::`, or undefined; `tail` allows a dotted quad as the last piece. */
function groups(text: string, tail: boolean): number[] | undefined {
  if (text === "") return [];
  const out: number[] = [];
  const pieces = text.split(":");
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (tail && i === pieces.length - 1 && piece.includes(".")) {
      const v4 = parseIPv4(piece);
      if (v4 === undefined) return undefined;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else if (HEX_GROUP.test(piece)) {
      out.push(parseInt(piece, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

/** The eight 16-bit groups of an IPv6 address in text, or undefined if `text` is not one. */
export function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  if (halves.length === 1) {
    const all = groups(text, true);
    return all !== undefined && all.length === 8 ? all : undefined;
  }
  // A dotted-quad tail only at the very end: never before the `::`.
  const head = groups(halves[0]!, false);
  const tail = groups(halves[1]!, true);
  if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** RFC 5952 text of eight groups: lower case, no leading zeros, the first longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(address: readonly number[]): string {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (address[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && address[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += i === 0 ? "::" : ":";
      i += bestLength - 1;
      continue;
    }
    out += address[i]!.toString(16);
    if (i !== 7) out += ":";
  }
  return out;
}

/** The 16 octets of eight groups, in network order. */
export function ipv6ToBytes(address: readonly number[]): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = address[i]! >> 8;
    out[i * 2 + 1] = address[i]! & 0xff;
  }
  return out;
}

/** The eight groups of 16 octets in network order. */
export function ipv6FromBytes(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  return out;
}
