/**
 * @module tsuki/dns/axfr
 * Zone transfer out (RFC 5936): the SOA, every other record (apex first, then in file order),
 * and the SOA again, packed into as few messages as fit in 16,383 octets each (as NSD), the
 * question only in the first. Only over TCP, only to addresses the configuration allows.
 */

import { Flag, RRType } from "./constants.ts";
import { type Exchange, type ServerEdns, writeHeader, writeOpt, writeRRset } from "./response.ts";
import type { RRset } from "./zone-index.ts";
import type { NameInfo, WireWriter } from "./wire-writer.ts";
import type { ZoneIndex } from "./zone-index.ts";

const AXFR_MESSAGE = 16383;

export function writeTransfer(w: WireWriter, exchange: Exchange, zone: ZoneIndex, server: ServerEdns): Uint8Array[] {
  // One record per RRset entry, so that a large RRset can span messages.
  const items: { owner: NameInfo; rrset: RRset }[] = [];
  const single = (rrset: RRset): RRset[] => rrset.records.map((record) => ({ type: rrset.type, records: [record] }));
  items.push({ owner: zone.origin, rrset: zone.soa });
  for (const node of zone.nodes.values()) {
    for (const rrset of node.rrsets) {
      if (node === zone.apex && rrset.type === RRType.SOA) continue;
      for (const one of single(rrset)) items.push({ owner: node.name, rrset: one });
    }
  }
  items.push({ owner: zone.origin, rrset: zone.soa });
  const messages: Uint8Array[] = [];
  const flags = Flag.QR | Flag.AA | (exchange.flags & Flag.RD);
  const reserve = exchange.edns ? 11 : 0;
  let first = true;
  let i = 0;
  while (i < items.length) {
    writeHeader(w, exchange.id, flags, first ? exchange : { ...exchange, question: undefined, qname: undefined });
    let count = 0;
    while (i < items.length) {
      const item = items[i]!;
      if (writeRRset(w, item.owner, item.rrset, AXFR_MESSAGE - reserve) < 0) break;
      count++;
      i++;
    }
    if (count === 0) {
      // A record larger than a message on its own: send it alone, up to the TCP limit.
      const item = items[i]!;
      writeRRset(w, item.owner, item.rrset, 65535 - reserve);
      count++;
      i++;
    }
    w.setU16(6, count);
    if (exchange.edns) {
      writeOpt(w, server, exchange.edns.dnssecOk, 0, undefined);
      w.setU16(10, 1);
    }
    messages.push(w.result());
    first = false;
  }
  return messages;
}
