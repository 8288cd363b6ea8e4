/**
 * @module tsuki/dns/rdata-wire
 * RDATA to and from wire format. Encoding compiles a record's data once into *parts*: runs of
 * fixed octets and names (compressible for the RFC 1035 types NS, CNAME, PTR, MX and SOA, as
 * RFC 3597 §4 allows, never for SRV or anything newer), so that writing a record in an answer is
 * copying octets and resolving compression. Decoding checks that the RDATA is exactly consumed.
 */

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./addresses.ts";
import { RRType } from "./constants.ts";
import { WireError } from "./errors.ts";
import { canonicalName } from "./names.ts";
import type { AddressData, CaaData, HinfoData, MxData, OpaqueData, RData, SoaData, SrvData, TargetData, TxtData } from "./records.ts";
import { readName, type WireReader } from "./wire-reader.ts";
import type { NameInfo } from "./wire-writer.ts";

/** A piece of RDATA: fixed octets, or a name with whether it may be compressed. */
export type Part = Uint8Array | { readonly name: NameInfo; readonly compress: boolean };

/** The types whose RDATA names may be compressed (RFC 3597 §4). */
const COMPRESSED = new Set<number>([RRType.NS, RRType.CNAME, RRType.SOA, RRType.PTR, RRType.MX]);

const u16 = (value: number) => Uint8Array.of(value >>> 8, value & 0xff);
const u32 = (value: number) => Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const charString = (bytes: Uint8Array) => {
  if (bytes.length > 255) throw new TypeError(`a character-string is ${bytes.length} octets: at most 255`);
  return concat([Uint8Array.of(bytes.length), bytes]);
};

/** The names a record's data refers to (for interning). */
export function rdataNames(type: number, data: RData): string[] {
  switch (type) {
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
    case RRType.DNAME:
      return [(data as TargetData).target];
    case RRType.MX:
      return [(data as MxData).exchange];
    case RRType.SOA:
      return [(data as SoaData).mname, (data as SoaData).rname];
    case RRType.SRV:
      return [(data as SrvData).target];
    default:
      return [];
  }
}

/** Compiles typed data into parts; `name` turns a name into its NameInfo. Throws TypeError on bad data. */
export function rdataParts(type: number, data: RData, name: (text: string) => NameInfo): Part[] {
  const compress = COMPRESSED.has(type);
  const named = (text: string): Part => ({ name: name(canonicalName(text)), compress });
  switch (type) {
    case RRType.A: {
      const bytes = parseIPv4((data as AddressData).address);
      if (!bytes) throw new TypeError(`not an IPv4 address: ${(data as AddressData).address}`);
      return [bytes];
    }
    case RRType.AAAA: {
      const bytes = parseIPv6((data as AddressData).address);
      if (!bytes) throw new TypeError(`not an IPv6 address: ${(data as AddressData).address}`);
      return [bytes];
    }
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
    case RRType.DNAME:
      return [named((data as TargetData).target)];
    case RRType.MX:
      return [u16((data as MxData).preference), named((data as MxData).exchange)];
    case RRType.SOA: {
      const soa = data as SoaData;
      return [named(soa.mname), named(soa.rname), concat([u32(soa.serial), u32(soa.refresh), u32(soa.retry), u32(soa.expire), u32(soa.minimum)])];
    }
    case RRType.TXT: {
      const strings = (data as TxtData).strings;
      if (strings.length === 0) throw new TypeError("a TXT record needs at least one character-string");
      return [concat(strings.map(charString))];
    }
    case RRType.HINFO:
      return [concat([charString((data as HinfoData).cpu), charString((data as HinfoData).os)])];
    case RRType.SRV: {
      const srv = data as SrvData;
      return [concat([u16(srv.priority), u16(srv.weight), u16(srv.port)]), named(srv.target)];
    }
    case RRType.CAA: {
      const caa = data as CaaData;
      const tag = new TextEncoder().encode(caa.tag);
      if (tag.length === 0 || tag.length > 255) throw new TypeError("a CAA tag is 1–255 octets");
      return [concat([Uint8Array.of(caa.flags, tag.length), tag, caa.value])];
    }
    default:
      return [(data as OpaqueData).bytes];
  }
}

/** Decodes `length` octets of RDATA of `type` at the reader's position; throws WireError. */
export function decodeRdata(reader: WireReader, type: number, length: number): RData {
  reader.need(length, "RDATA");
  const end = reader.pos + length;
  const bytes = reader.bytes;
  // A name inside RDATA may point anywhere before it, but must not run past the RDATA.
  const within = <T>(value: T): T => {
    if (reader.pos > end) throw new WireError("RDATA is longer than its RDLENGTH", end);
    return value;
  };
  const name = () => within(readName(bytes, reader));
  const charString = () => {
    const n = reader.u8("a character-string");
    return within(reader.take(n, "a character-string"));
  };
  let data: RData;
  switch (type) {
    case RRType.A:
      if (length !== 4) throw new WireError(`an A record's RDATA is ${length} octets, not 4`, reader.pos);
      data = { address: formatIPv4(reader.take(4)) };
      break;
    case RRType.AAAA:
      if (length !== 16) throw new WireError(`an AAAA record's RDATA is ${length} octets, not 16`, reader.pos);
      data = { address: formatIPv6(reader.take(16)) };
      break;
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
    case RRType.DNAME:
      data = { target: name() };
      break;
    case RRType.MX:
      data = { preference: within(reader.u16()), exchange: name() };
      break;
    case RRType.SOA:
      data = { mname: name(), rname: name(), serial: reader.u32(), refresh: reader.u32(), retry: reader.u32(), expire: reader.u32(), minimum: within(reader.u32()) };
      break;
    case RRType.TXT: {
      if (length === 0) throw new WireError("a TXT record with empty RDATA", reader.pos);
      const strings: Uint8Array[] = [];
      while (reader.pos < end) strings.push(charString());
      data = { strings };
      break;
    }
    case RRType.HINFO:
      data = { cpu: charString(), os: charString() };
      break;
    case RRType.SRV:
      data = { priority: reader.u16(), weight: reader.u16(), port: reader.u16(), target: name() };
      break;
    case RRType.CAA: {
      const flags = reader.u8();
      const tagLength = reader.u8();
      if (tagLength === 0) throw new WireError("a CAA record with an empty tag", reader.pos);
      const tag = within(reader.take(tagLength));
      if (reader.pos > end) throw new WireError("RDATA is longer than its RDLENGTH", end);
      data = { flags, tag: String.fromCharCode(...tag), value: reader.take(end - reader.pos) };
      break;
    }
    default:
      data = { bytes: reader.take(length) };
  }
  if (reader.pos !== end) throw new WireError(`RDATA of ${length} octets was not exactly consumed`, reader.pos);
  return data;
}
