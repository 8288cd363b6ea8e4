/**
 * @module tsuki/dns/rdata-text
 * RDATA in presentation form: parsing the tokens of a zone file entry into typed data, and
 * writing typed data back as text (as dig prints it). Any type may be written in the generic form
 * of RFC 3597, `\# <length> <hex>`; a type this library has no shape for must be.
 */

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./addresses.ts";
import { RRType, typeName } from "./constants.ts";
import { WireError } from "./errors.ts";
import { labelsToText, lower, textToLabels } from "./names.ts";
import { decodeRdata } from "./rdata-wire.ts";
import type { AddressData, CaaData, HinfoData, MxData, OpaqueData, RData, SoaData, SrvData, TargetData, TxtData } from "./records.ts";
import { WireReader } from "./wire-reader.ts";
import type { Token } from "./zone-lexer.ts";

/** A problem with one token: the parser turns it into a ZoneError at the token's position. */
export class TokenError extends Error {
  readonly token: Token | undefined;
  constructor(token: Token | undefined, message: string) {
    super(message);
    this.token = token;
  }
}

const encoder = new TextEncoder();

/** The octets of a character-string token: `\DDD` and `\X` escapes, the rest as UTF-8. */
export function stringBytes(token: Token, max = 255): Uint8Array {
  const out: number[] = [];
  const text = token.text;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\") {
      const digits = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(digits)) {
        if (Number(digits) > 255) throw new TokenError(token, `bad escape \\${digits}: \\DDD is at most 255`);
        out.push(Number(digits));
        i += 3;
      } else if (i + 1 < text.length) {
        if (/[0-9]/.test(text[i + 1]!)) throw new TokenError(token, `bad escape \\${digits}: write \\DDD with three digits`);
        out.push(...encoder.encode(text[i + 1]!));
        i += 1;
      }
      continue;
    }
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else {
      const char = String.fromCodePoint(code);
      out.push(...encoder.encode(char));
      i += char.length - 1;
    }
  }
  if (out.length > max) throw new TokenError(token, `a character-string of ${out.length} octets: at most ${max} (split it into several quoted strings)`);
  return Uint8Array.from(out);
}

export function parseTtl(token: Token, what = "a TTL"): number {
  const text = token.text.toLowerCase();
  let value: number;
  if (/^[0-9]+$/.test(text)) value = Number(text);
  else if (/^([0-9]+[smhdw])+$/.test(text)) {
    const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
    value = 0;
    for (const [, n, u] of text.matchAll(/([0-9]+)([smhdw])/g)) value += Number(n) * unit[u!]!;
  } else throw new TokenError(token, `"${token.text}" is not ${what}: write seconds (3600) or units (1h, 1d2h)`);
  if (value > 0x7fffffff) throw new TokenError(token, `${what} of ${value} is more than 2147483647 (RFC 2181 §8)`);
  return value;
}

function integer(token: Token | undefined, max: number, what: string): number {
  if (!token) throw new TokenError(undefined, `missing ${what}`);
  if (token.quoted || !/^[0-9]+$/.test(token.text) || Number(token.text) > max) throw new TokenError(token, `"${token.text}" is not ${what} (an integer from 0 to ${max})`);
  return Number(token.text);
}

function name(token: Token | undefined, origin: readonly Uint8Array[], what: string): string {
  if (!token) throw new TokenError(undefined, `missing ${what}`);
  const labels = textToLabels(token.text, origin);
  if (typeof labels === "string") throw new TokenError(token, `${what}: ${labels}`);
  return lower(labelsToText(labels));
}

function hexBytes(tokens: Token[]): Uint8Array {
  const text = tokens.map((t) => t.text).join("");
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new TokenError(tokens[0], "the RDATA after `\\# <length>` must be hexadecimal octets");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Parses the RDATA tokens of an entry of type `type`; names are relative to `origin`. */
export function parseRdata(type: number, tokens: Token[], origin: readonly Uint8Array[], typeToken: Token): RData {
  const first = tokens[0];
  if (first && !first.quoted && first.text === "\\#") {
    const length = integer(tokens[1], 65535, "the RDATA length after `\\#`");
    const bytes = hexBytes(tokens.slice(2));
    if (bytes.length !== length) throw new TokenError(tokens[1], `\`\\# ${length}\` but ${bytes.length} octets of hex follow`);
    if (!KNOWN.has(type)) return { bytes };
    try {
      return decodeRdata(new WireReader(bytes), type, bytes.length);
    } catch (error) {
      if (error instanceof WireError) throw new TokenError(tokens[1], `not valid ${typeName(type)} RDATA: ${error.message}`);
      throw error;
    }
  }
  const expect = (count: number) => {
    if (tokens.length < count) throw new TokenError(tokens[tokens.length - 1] ?? typeToken, `${typeName(type)} needs ${count} field${count === 1 ? "" : "s"}, found ${tokens.length}`);
    if (tokens.length > count) throw new TokenError(tokens[count], `unexpected "${tokens[count]!.text}": ${typeName(type)} has ${count} field${count === 1 ? "" : "s"}`);
  };
  switch (type) {
    case RRType.A: {
      expect(1);
      const bytes = parseIPv4(tokens[0]!.text);
      if (!bytes) throw new TokenError(tokens[0], `"${tokens[0]!.text}" is not an IPv4 address (write four decimal octets, 192.0.2.1)`);
      return { address: formatIPv4(bytes) };
    }
    case RRType.AAAA: {
      expect(1);
      const bytes = parseIPv6(tokens[0]!.text);
      if (!bytes) throw new TokenError(tokens[0], `"${tokens[0]!.text}" is not an IPv6 address (such as 2001:db8::1)`);
      return { address: formatIPv6(bytes) };
    }
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
    case RRType.DNAME:
      expect(1);
      return { target: name(tokens[0], origin, "the target name") };
    case RRType.MX:
      expect(2);
      return { preference: integer(tokens[0], 65535, "a preference"), exchange: name(tokens[1], origin, "the exchange") };
    case RRType.SOA: {
      expect(7);
      const time = (t: Token, what: string) => parseTtl(t, what);
      return {
        mname: name(tokens[0], origin, "the primary server (MNAME)"),
        rname: name(tokens[1], origin, "the mailbox (RNAME)"),
        serial: integer(tokens[2], 0xffffffff, "a serial"),
        refresh: time(tokens[3]!, "a refresh time"),
        retry: time(tokens[4]!, "a retry time"),
        expire: time(tokens[5]!, "an expire time"),
        minimum: time(tokens[6]!, "a minimum TTL"),
      };
    }
    case RRType.TXT:
      if (tokens.length === 0) throw new TokenError(typeToken, 'TXT needs at least one string, such as "v=spf1 -all"');
      return { strings: tokens.map((t) => stringBytes(t)) };
    case RRType.HINFO:
      expect(2);
      return { cpu: stringBytes(tokens[0]!), os: stringBytes(tokens[1]!) };
    case RRType.SRV:
      expect(4);
      return { priority: integer(tokens[0], 65535, "a priority"), weight: integer(tokens[1], 65535, "a weight"), port: integer(tokens[2], 65535, "a port"), target: name(tokens[3], origin, "the target") };
    case RRType.CAA: {
      expect(3);
      const tag = tokens[1]!;
      if (tag.quoted || !/^[a-zA-Z0-9]{1,15}$/.test(tag.text)) throw new TokenError(tag, `"${tag.text}" is not a CAA tag (letters and digits, such as issue, issuewild, iodef)`);
      return { flags: integer(tokens[0], 255, "CAA flags"), tag: tag.text, value: stringBytes(tokens[2]!, 65535) };
    }
    default:
      throw new TokenError(tokens[0] ?? typeToken, `${typeName(type)} has no presentation format here: write its RDATA in the generic form \`\\# <length> <hex>\` (RFC 3597)`);
  }
}

const KNOWN = new Set<number>([RRType.A, RRType.AAAA, RRType.NS, RRType.CNAME, RRType.PTR, RRType.DNAME, RRType.MX, RRType.SOA, RRType.TXT, RRType.HINFO, RRType.SRV, RRType.CAA]);

/** A character-string as dig writes it: quoted, `"` and `\` escaped, non-printable octets as \DDD. */
export function quoteString(bytes: Uint8Array): string {
  let out = '"';
  for (const c of bytes) {
    if (c === 0x22 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\${String(c).padStart(3, "0")}`;
  }
  return `${out}"`;
}

/** The RDATA of a record as text, the way dig prints it. */
export function formatRdata(type: number, data: RData): string {
  switch (type) {
    case RRType.A:
    case RRType.AAAA:
      return (data as AddressData).address;
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
    case RRType.DNAME:
      return (data as TargetData).target;
    case RRType.MX:
      return `${(data as MxData).preference} ${(data as MxData).exchange}`;
    case RRType.SOA: {
      const s = data as SoaData;
      return `${s.mname} ${s.rname} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case RRType.TXT:
      return (data as TxtData).strings.map(quoteString).join(" ");
    case RRType.HINFO:
      return `${quoteString((data as HinfoData).cpu)} ${quoteString((data as HinfoData).os)}`;
    case RRType.SRV: {
      const s = data as SrvData;
      return `${s.priority} ${s.weight} ${s.port} ${s.target}`;
    }
    case RRType.CAA: {
      const c = data as CaaData;
      return `${c.flags} ${c.tag} ${quoteString(c.value)}`;
    }
    default: {
      const bytes = (data as OpaqueData).bytes;
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
      return bytes.length === 0 ? "\\# 0" : `\\# ${bytes.length} ${hex}`;
    }
  }
}
