/**
 * @module tsuki/dns
 * An authoritative DNS server library: the wire format (RFC 1035, EDNS(0) RFC 6891), typed
 * records, a zone file parser, and `Authority`, which answers queries for a set of zones the way
 * NSD does; `serveUdp` and `serveTcp` put it on a unikernel's devices.
 *
 * ```ts
 * import { Authority, parseZone, serveTcp, serveUdp } from "tsuki/dns";
 * const zone = parseZone(text, { file: "example.com.zone" });
 * const authority = new Authority([zone]);
 * await Promise.all([serveUdp(udp, authority), serveTcp(tcp, authority)]);
 * ```
 *
 * See README.md in this folder for what is implemented and how it compares with NSD.
 */

export { Authority } from "./authority.ts";
export type { AuthorityOptions, AuthorityStats, Transport } from "./authority.ts";
export { serveTcp, serveUdp } from "./serve.ts";
export type { ServeTcpOptions } from "./serve.ts";
export { parseZone } from "./zone.ts";
export type { ParseZoneOptions, Zone } from "./zone.ts";
export { DNS_ERROR_CODES, WireError, ZoneError } from "./errors.ts";
export type { DNSErrorCode } from "./errors.ts";
export { decodeMessage, encodeMessage } from "./message.ts";
export type { Edns, EdnsOption, EncodeOptions, Message, Question } from "./message.ts";
export { EdeCode, Flag, Opcode, RRClass, RRType, Rcode, className, classFromName, rcodeName, typeFromName, typeName } from "./constants.ts";
export type { RRTypeName } from "./constants.ts";
export type { AddressData, CaaData, HinfoData, MxData, OpaqueData, RData, ResourceRecord, SoaData, SrvData, TargetData, TxtData } from "./records.ts";
export { formatRdata } from "./rdata-text.ts";
export { formatRecord } from "./format.ts";
export { canonicalName } from "./names.ts";
