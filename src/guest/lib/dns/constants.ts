/**
 * @module tsuki/dns/constants
 * The numbers of the DNS protocol as `as const` objects: record types, classes, response codes,
 * opcodes and header flag bits, with their mnemonics both ways (`typeName(28)` is "AAAA",
 * `typeFromName("aaaa")` is 28; unknown numbers are written `TYPE65280`/`CLASS5` as RFC 3597 says).
 */

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;
export type RRTypeName = keyof typeof RRType;

export const RRClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  BADVERS: 16,
} as const;

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

/** Extended DNS Error info-codes (RFC 8914) this library sends. */
export const EdeCode = { PROHIBITED: 18, NOT_AUTHORITATIVE: 20, NOT_SUPPORTED: 21 } as const;

/** Bits of the header's second 16-bit word. */
export const Flag = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, Z: 0x0040, AD: 0x0020, CD: 0x0010 } as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(RRType).map(([name, value]) => [value, name]));
const CLASS_NAMES = new Map<number, string>(Object.entries(RRClass).map(([name, value]) => [value, name]));
const RCODE_NAMES = new Map<number, string>(Object.entries(Rcode).map(([name, value]) => [value, name]));

/** "AAAA" for 28; "TYPE65280" for a type without a mnemonic. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** "IN" for 1; "CLASS5" for a class without a mnemonic. */
export function className(klass: number): string {
  return CLASS_NAMES.get(klass) ?? `CLASS${klass}`;
}

export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

function fromName(text: string, names: Map<number, string>, generic: string): number | undefined {
  const upper = text.toUpperCase();
  for (const [value, name] of names) if (name === upper) return value;
  if (upper.startsWith(generic) && /^[0-9]{1,5}$/.test(upper.slice(generic.length))) {
    const value = Number(upper.slice(generic.length));
    if (value <= 0xffff) return value;
  }
  return undefined;
}

/** 28 for "AAAA" or "aaaa", 65280 for "TYPE65280"; undefined when it is neither. */
export function typeFromName(text: string): number | undefined {
  return fromName(text, TYPE_NAMES, "TYPE");
}

export function classFromName(text: string): number | undefined {
  return fromName(text, CLASS_NAMES, "CLASS");
}
