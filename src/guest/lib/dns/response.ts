/**
 * @module tsuki/dns/response
 * Writing an answer as a message within a size limit, the way NSD 4.6 does: the question is
 * echoed as received (its case kept, and names below compress to it); RRsets go out whole or not
 * at all, section by section; an answer or authority RRset that does not fit sets TC and ends
 * the message there; an optional one (the zone's NS, additional addresses) that does not fit
 * (or, over UDP, would take the message past the minimal response size, 1232 octets) is left out,
 * and so is everything after its section. Room for the OPT record is kept aside.
 */

import { Flag, RRType } from "./constants.ts";
import { type Answer, SECTION_COUNT, Section } from "./lookup.ts";
import type { RRset } from "./zone-index.ts";
import type { NameInfo, WireWriter } from "./wire-writer.ts";

/** What the response needs to know of the query. */
export interface Exchange {
  readonly id: number;
  /** The query's flag word (RD is copied). */
  readonly flags: number;
  /** The question as received: name, type and class octets, or undefined to send none. */
  readonly question: Uint8Array | undefined;
  readonly qname: NameInfo | undefined;
  readonly edns: { readonly dnssecOk: boolean } | undefined;
  /** The largest message the client takes. */
  readonly limit: number;
  /** Over UDP, optional RRsets stop at this size (NSD's minimal response size). */
  readonly minimal: number;
  readonly tcp: boolean;
}

/** Our UDP payload size, advertised in every OPT record we send. */
export interface ServerEdns {
  readonly udpSize: number;
}

export function writeHeader(w: WireWriter, id: number, flags: number, exchange: Exchange): void {
  w.reset();
  w.u16(id);
  w.u16(flags);
  w.u16(exchange.question ? 1 : 0);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  if (exchange.question) {
    w.bytes(exchange.question);
    if (exchange.qname) w.register(exchange.qname, 12);
  }
}

/** Writes the records of an RRset; false (and nothing written) if the message passed `limit`. */
export function writeRRset(w: WireWriter, owner: NameInfo, rrset: RRset, limit: number): number {
  const mark = w.pos;
  for (const record of rrset.records) {
    w.name(owner);
    w.u16(rrset.type);
    w.u16(1);
    w.u32(record.ttl);
    const at = w.pos;
    w.pos += 2;
    for (const part of record.parts) {
      if (part instanceof Uint8Array) w.bytes(part);
      else w.name(part.name, part.compress);
    }
    w.setU16(at, w.pos - at - 2);
    if (w.pos > limit) {
      w.rewind(mark);
      return -1;
    }
  }
  return rrset.records.length;
}

export function writeOpt(w: WireWriter, server: ServerEdns, dnssecOk: boolean, extendedRcode: number, ede: number | undefined): void {
  w.u8(0);
  w.u16(RRType.OPT);
  w.u16(server.udpSize);
  w.u32(((extendedRcode & 0xff) << 24) | (dnssecOk ? 0x8000 : 0));
  if (ede === undefined) w.u16(0);
  else {
    w.u16(6);
    w.u16(15);
    w.u16(2);
    w.u16(ede);
  }
}

export function optSize(ede: number | undefined): number {
  return 11 + (ede === undefined ? 0 : 6);
}

/** The whole response to a query answered by the lookup. */
export function writeAnswer(w: WireWriter, exchange: Exchange, answer: Answer, server: ServerEdns): Uint8Array {
  let flags = Flag.QR | (exchange.flags & Flag.RD) | (answer.rcode & 0xf);
  if (answer.aa) flags |= Flag.AA;
  writeHeader(w, exchange.id, flags, exchange);
  const ede = answer.ede;
  const limit = exchange.limit - (exchange.edns ? optSize(ede) : 0);
  const counts = [0, 0, 0, 0, 0];
  let tc = false;
  for (let section = 0; section < SECTION_COUNT && !tc; section++) {
    let done = false;
    for (const entry of answer.entries) {
      if (entry.section !== section) continue;
      const optional = section >= Section.OPTIONAL_AUTHORITY;
      const room = optional && !exchange.tcp ? Math.min(limit, exchange.minimal) : limit;
      const added = writeRRset(w, entry.owner, entry.rrset, room);
      if (added >= 0) {
        counts[section]! += added;
        continue;
      }
      if (!optional) {
        tc = true;
        break;
      }
      if (!exchange.tcp) done = true;
    }
    if (done) {
      if (section === Section.ADDITIONAL_A && counts[Section.ADDITIONAL_A] === 0 && answer.referral) tc = true;
      break;
    }
  }
  if (tc) flags |= Flag.TC;
  w.setU16(2, flags);
  w.setU16(6, counts[0]!);
  w.setU16(8, counts[1]! + counts[2]!);
  let additional = counts[3]! + counts[4]!;
  if (exchange.edns) {
    writeOpt(w, server, exchange.edns.dnssecOk, 0, ede);
    additional++;
  }
  w.setU16(10, additional);
  return w.result();
}

/** A response with no records: an error, or a refusal. `question` false leaves the question out. */
export function writeEmpty(w: WireWriter, exchange: Exchange, flags: number, opt: { ede?: number; extendedRcode?: number } | undefined, server: ServerEdns): Uint8Array {
  writeHeader(w, exchange.id, flags, exchange);
  if (opt && exchange.edns) {
    writeOpt(w, server, exchange.edns.dnssecOk, opt.extendedRcode ?? 0, opt.ede);
    w.setU16(10, 1);
  }
  return w.result();
}
