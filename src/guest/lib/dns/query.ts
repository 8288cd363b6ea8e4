/**
 * @module tsuki/dns/query
 * Reading a query the way a server must: never throwing, and telling apart what is to be
 * dropped (shorter than a header, or a response), what is a FORMERR (and whether its header
 * flags survive), and a well-formed query with its question (the name lower-cased for lookup and
 * as received for the echo) and EDNS(0) record (RFC 6891). Trailing octets after the last record
 * are ignored, as NSD does, and counted.
 */

import { RRType } from "./constants.ts";
import { MAX_NAME } from "./names.ts";

export interface ParsedQuery {
  readonly kind: "query";
  readonly id: number;
  readonly flags: number;
  readonly opcode: number;
  readonly qdcount: number;
  /** Lower-cased presentation text of the question name. */
  readonly qkey: string;
  /** The question octets as received (name, type, class). */
  readonly question: Uint8Array;
  /** The length of the name within `question`. */
  readonly nameLength: number;
  readonly qtype: number;
  readonly qclass: number;
  readonly edns: { readonly udpSize: number; readonly version: number; readonly dnssecOk: boolean } | undefined;
  /** Octets after the last record (ignored). */
  readonly trailing: number;
}

export type QueryOutcome =
  | ParsedQuery
  | { readonly kind: "drop"; readonly why: "short" | "response" }
  /** `keepFlags`: RD and the opcode are echoed; otherwise the flags are cleared (QDCOUNT ≠ 1, as NSD). */
  | { readonly kind: "formerr"; readonly id: number; readonly flags: number; readonly keepFlags: boolean; readonly why: string }
  /** The opcode is not QUERY: answered without the question (`qkey`: the NOTIFY's zone). */
  | { readonly kind: "opcode"; readonly id: number; readonly flags: number; readonly opcode: number; readonly qkey: string }
  /** No question, only an OPT record: NSD answers NOERROR with its OPT (an EDNS probe). */
  | { readonly kind: "probe"; readonly id: number; readonly flags: number; readonly dnssecOk: boolean };

const HEX = "0123456789";

/** Reads an uncompressed name at `at`; returns [key, end] or a reason it is malformed. */
function readQname(bytes: Uint8Array, at: number): [string, number] | string {
  let key = "";
  let size = 1;
  for (;;) {
    if (at >= bytes.length) return "the question name runs past the end";
    const length = bytes[at]!;
    if (length === 0) return [key === "" ? "." : key, at + 1];
    if (length > 63) return (length & 0xc0) === 0xc0 ? "a compression pointer in the question name" : "a label of a reserved type or longer than 63 octets";
    if (at + 1 + length > bytes.length) return "a label runs past the end";
    size += length + 1;
    if (size > MAX_NAME) return "a name longer than 255 octets";
    for (let i = at + 1; i <= at + length; i++) {
      let c = bytes[i]!;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2a || c === 0x2f) key += String.fromCharCode(c);
      else if (c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c && c !== 0x22 && c !== 0x28 && c !== 0x29 && c !== 0x3b && c !== 0x40 && c !== 0x24) key += String.fromCharCode(c);
      else if (c > 0x20 && c < 0x7f) key += `\\${String.fromCharCode(c)}`;
      else key += `\\${HEX[Math.floor(c / 100)]}${HEX[Math.floor(c / 10) % 10]}${HEX[c % 10]}`;
    }
    key += ".";
    at += 1 + length;
  }
}

/** Skips a resource record (any name form); returns the position after it, or -1. */
function skipRecord(bytes: Uint8Array, at: number): number {
  for (;;) {
    if (at >= bytes.length) return -1;
    const length = bytes[at]!;
    if (length === 0) {
      at += 1;
      break;
    }
    if ((length & 0xc0) === 0xc0) {
      at += 2;
      break;
    }
    if (length > 63) return -1;
    at += 1 + length;
  }
  if (at + 10 > bytes.length) return -1;
  const rdlength = (bytes[at + 8]! << 8) | bytes[at + 9]!;
  at += 10 + rdlength;
  return at > bytes.length ? -1 : at;
}

export function parseQuery(bytes: Uint8Array): QueryOutcome {
  if (bytes.length < 12) return { kind: "drop", why: "short" };
  const id = (bytes[0]! << 8) | bytes[1]!;
  const flags = (bytes[2]! << 8) | bytes[3]!;
  if (flags & 0x8000) return { kind: "drop", why: "response" };
  const qdcount = (bytes[4]! << 8) | bytes[5]!;
  const ancount = (bytes[6]! << 8) | bytes[7]!;
  const nscount = (bytes[8]! << 8) | bytes[9]!;
  const arcount = (bytes[10]! << 8) | bytes[11]!;
  const opcode = (flags >>> 11) & 0xf;
  const formerr = (why: string, keepFlags = true): QueryOutcome => ({ kind: "formerr", id, flags, keepFlags, why });
  // NSD's order: the opcode first, then the first question (read whatever QDCOUNT says), then the counts.
  if (opcode !== 0 && opcode !== 4) return { kind: "opcode", id, flags, opcode, qkey: "" };
  if ((flags & 0xf) !== 0) return formerr("a query with a response code");
  const name = readQname(bytes, 12);
  if (typeof name === "string") return formerr(name);
  const qkey = name[0];
  let at = name[1];
  if (at + 4 > bytes.length) return formerr("the question's type and class run past the end");
  const qtype = (bytes[at]! << 8) | bytes[at + 1]!;
  const qclass = (bytes[at + 2]! << 8) | bytes[at + 3]!;
  at += 4;
  if (opcode !== 0) return { kind: "opcode", id, flags, opcode, qkey };
  if (qdcount !== 1) {
    if (qdcount === 0 && ancount === 0 && nscount === 0 && arcount === 1 && bytes.length >= 23 && bytes[12] === 0 && ((bytes[13]! << 8) | bytes[14]!) === RRType.OPT && bytes[18] === 0) {
      const rdlength = (bytes[21]! << 8) | bytes[22]!;
      if (23 + rdlength <= bytes.length) return { kind: "probe", id, flags, dnssecOk: (bytes[19]! & 0x80) !== 0 };
    }
    return formerr(`QDCOUNT is ${qdcount}, not 1`, false);
  }
  const nameLength = at - 4 - 12;
  const question = bytes.subarray(12, at);
  if (ancount !== 0) return formerr("a query with records in its answer section");
  if (qtype === RRType.IXFR && nscount === 0) return formerr("an IXFR query without the client's SOA in its authority section");
  if (nscount !== 0) {
    if (qtype !== RRType.IXFR) return formerr("a query with records in its authority section");
    for (let i = 0; i < nscount; i++) {
      at = skipRecord(bytes, at);
      if (at < 0) return formerr("a malformed record in the authority section");
    }
  }
  let edns: ParsedQuery["edns"];
  for (let i = 0; i < arcount; i++) {
    // Only one OPT record (owned by the root) may be there: TSIG is not supported.
    if (edns || at + 11 > bytes.length || bytes[at] !== 0 || ((bytes[at + 1]! << 8) | bytes[at + 2]!) !== RRType.OPT) return formerr("an additional record that is not one OPT record");
    const udpSize = (bytes[at + 3]! << 8) | bytes[at + 4]!;
    const version = bytes[at + 6]!;
    const dnssecOk = (bytes[at + 7]! & 0x80) !== 0;
    let rdlength = (bytes[at + 9]! << 8) | bytes[at + 10]!;
    at += 11;
    if (version === 0) {
      if (at + rdlength > bytes.length) return formerr("the OPT record runs past the end");
      while (rdlength >= 4) {
        const size = (bytes[at + 2]! << 8) | bytes[at + 3]!;
        rdlength -= 4;
        if (size > rdlength) return formerr("an EDNS option runs past the OPT record");
        rdlength -= size;
        at += 4 + size;
      }
      if (rdlength !== 0) return formerr("the OPT record ends inside an option header");
    } else {
      // Only the version matters for BADVERS: its options are not read (as NSD).
      at = Math.min(bytes.length, at + rdlength);
    }
    edns = { udpSize, version, dnssecOk };
  }
  return { kind: "query", id, flags, opcode, qdcount, qkey, question, nameLength, qtype, qclass, edns, trailing: bytes.length - at };
}
