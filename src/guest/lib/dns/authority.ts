/**
 * @module tsuki/dns/authority
 * `Authority`: an authoritative server for a set of zones, as a function from one query
 * message to its answers. It never throws on any input: a message shorter than a header, or a
 * response, is dropped; a malformed one gets FORMERR; what it does not do gets NOTIMP or
 * REFUSED (with an Extended DNS Error, RFC 8914, when the client speaks EDNS), each counted in
 * `stats`. Answers to frequent questions are kept encoded and reused with the ID, RD bit and
 * the question's case patched in.
 */

import { writeTransfer } from "./axfr.ts";
import { EdeCode, Flag, Opcode, Rcode, RRClass, RRType } from "./constants.ts";
import { type Answer, type Zones, resolve } from "./lookup.ts";
import { lower } from "./names.ts";
import { type ParsedQuery, parseQuery } from "./query.ts";
import { type Exchange, type ServerEdns, writeAnswer, writeEmpty } from "./response.ts";
import { NameTable, WireWriter, nameInfo } from "./wire-writer.ts";
import type { Zone } from "./zone.ts";
import { ZoneIndex } from "./zone-index.ts";

export interface AuthorityOptions {
  /** May this address transfer zones (AXFR, over TCP)? Default: nobody. */
  allowTransfer?: (address: string) => boolean;
  /** The largest UDP answer, whatever the client offers (default 1232, DNS flag day 2020; 512–4096). */
  maxUdpPayload?: number;
  /** How many encoded answers to keep (default 10,000; 0 turns the cache off). */
  cacheSize?: number;
}

export interface Transport {
  readonly tcp: boolean;
  readonly remote: { readonly address: string; readonly port: number };
}

export interface AuthorityStats {
  /** Messages given to `answer`. */
  queries: number;
  /** Messages that could not be read: shorter than a header, or FORMERR. */
  malformed: number;
  /** Responses (QR set) and other messages dropped without an answer. */
  dropped: number;
  formerr: number;
  refused: number;
  notimp: number;
  nxdomain: number;
  /** Answers with TC set. */
  truncated: number;
  badvers: number;
  /** Zone transfers sent. */
  transfers: number;
  /** Queries with octets after their last record (ignored, as NSD). */
  trailing: number;
  /** Answers served from the cache of encoded answers. */
  cacheHits: number;
  /** Internal errors answered with SERVFAIL (a bug: please report). */
  errors: number;
}

const CH_NAMES = new Set(["id.server.", "hostname.bind.", "version.server.", "version.bind."]);

export class Authority {
  readonly stats: AuthorityStats = { queries: 0, malformed: 0, dropped: 0, formerr: 0, refused: 0, notimp: 0, nxdomain: 0, truncated: 0, badvers: 0, transfers: 0, trailing: 0, cacheHits: 0, errors: 0 };
  readonly zones: readonly Zone[];
  #zones: Zones;
  #writer = new WireWriter();
  #server: ServerEdns;
  #allowTransfer: (address: string) => boolean;
  #cache = new Map<string, Uint8Array>();
  #cacheSize: number;

  constructor(zones: readonly Zone[], options: AuthorityOptions = {}) {
    if (!Array.isArray(zones)) throw new TypeError("Authority: zones must be an array of parsed zones (parseZone)");
    const maxUdp = options.maxUdpPayload ?? 1232;
    if (!Number.isInteger(maxUdp) || maxUdp < 512 || maxUdp > 4096) throw new TypeError("Authority: maxUdpPayload must be an integer from 512 to 4096");
    if (options.allowTransfer !== undefined && typeof options.allowTransfer !== "function") throw new TypeError("Authority: allowTransfer must be a function (address) => boolean");
    const names = new NameTable();
    const byOrigin = new Map<string, ZoneIndex>();
    for (const zone of zones) {
      const origin = lower(zone.origin);
      if (byOrigin.has(origin)) throw new TypeError(`Authority: two zones have the origin ${origin} (${byOrigin.get(origin)!.zone.file} and ${zone.file})`);
      byOrigin.set(origin, new ZoneIndex(zone, names));
    }
    this.zones = zones;
    this.#zones = { byOrigin, names };
    this.#server = { udpSize: maxUdp };
    this.#allowTransfer = options.allowTransfer ?? (() => false);
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  /** The answer(s) to one query message; [] means drop it silently. Over TCP, a transfer is several messages. */
  answer(query: Uint8Array, transport: Transport): Uint8Array[] {
    this.stats.queries++;
    try {
      return this.#answer(query, transport);
    } catch (error) {
      this.stats.errors++;
      try {
        if (query.length < 12) return [];
        const out = query.slice(0, 12);
        out[2] = 0x80 | (out[2]! & 0x79);
        out[3] = Rcode.SERVFAIL;
        out.fill(0, 4);
        return [out];
      } catch {
        return [];
      }
    }
  }

  #answer(bytes: Uint8Array, transport: Transport): Uint8Array[] {
    const stats = this.stats;
    const parsed = parseQuery(bytes);
    const w = this.#writer;
    const bare: Exchange = { id: 0, flags: 0, question: undefined, qname: undefined, edns: undefined, limit: 512, minimal: 512, tcp: transport.tcp };
    switch (parsed.kind) {
      case "drop":
        if (parsed.why === "short") stats.malformed++;
        stats.dropped++;
        return [];
      case "formerr": {
        stats.malformed++;
        stats.formerr++;
        const flags = Flag.QR | (parsed.keepFlags ? parsed.flags & (Flag.RD | 0x7800) : 0) | Rcode.FORMERR;
        return [writeEmpty(w, { ...bare, id: parsed.id }, flags, undefined, this.#server)];
      }
      case "probe": {
        const flags = Flag.QR | (parsed.flags & (Flag.RD | 0x7800));
        return [writeEmpty(w, { ...bare, id: parsed.id, edns: { dnssecOk: parsed.dnssecOk } }, flags, {}, this.#server)];
      }
      case "opcode": {
        // NOTIFY: we take no notifies (there is nothing to transfer in); NXDOMAIN for a zone not served, as NSD.
        const notify = parsed.opcode === Opcode.NOTIFY;
        const rcode = notify ? (this.#zones.byOrigin.has(parsed.qkey) ? Rcode.REFUSED : Rcode.NXDOMAIN) : Rcode.NOTIMP;
        if (rcode === Rcode.REFUSED) stats.refused++;
        else if (rcode === Rcode.NOTIMP) stats.notimp++;
        const flags = ((parsed.flags | Flag.QR) & ~Flag.AD & ~0xf) | rcode;
        return [writeEmpty(w, { ...bare, id: parsed.id }, flags, undefined, this.#server)];
      }
    }
    return this.#query(parsed, transport);
  }

  #query(q: ParsedQuery, transport: Transport): Uint8Array[] {
    const stats = this.stats;
    const w = this.#writer;
    if (q.trailing > 0) stats.trailing++;
    const ipv6 = transport.remote.address.includes(":");
    const udpMax = this.#server.udpSize;
    const limit = transport.tcp ? 65535 : q.edns && q.edns.udpSize > 512 ? Math.min(q.edns.udpSize, udpMax) : 512;
    const exchange: Exchange = {
      id: q.id,
      flags: q.flags,
      question: q.question,
      qname: undefined,
      edns: q.edns,
      limit,
      minimal: Math.min(udpMax, ipv6 ? 1220 : 1232),
      tcp: transport.tcp,
    };
    const prepared = Flag.QR | (q.flags & Flag.RD);
    if (q.edns && q.edns.version !== 0) {
      stats.badvers++;
      const flags = (q.flags | Flag.QR) & ~Flag.AD & ~0xf;
      return [writeEmpty(w, exchange, flags, { extendedRcode: Rcode.BADVERS >> 4 }, this.#server)];
    }
    if (q.qclass !== RRClass.IN && q.qclass !== RRClass.ANY) {
      stats.refused++;
      const flags = prepared | Rcode.REFUSED;
      if (q.qclass === RRClass.CH) {
        const hidden = (q.qtype === RRType.TXT || q.qtype === RRType.ANY) && CH_NAMES.has(q.qkey);
        return [writeEmpty(w, exchange, flags, { ede: hidden ? EdeCode.PROHIBITED : EdeCode.NOT_SUPPORTED }, this.#server)];
      }
      return [writeEmpty(w, { ...exchange, question: undefined }, flags, { ede: EdeCode.NOT_SUPPORTED }, this.#server)];
    }
    if (q.qtype === RRType.AXFR || q.qtype === RRType.IXFR) return this.#transfer(q, exchange, transport);

    const cacheKey = this.#cacheSize > 0 ? `${q.qkey}|${q.qtype}|${q.qclass}|${limit}|${q.edns ? (q.edns.dnssecOk ? 2 : 1) : 0}|${transport.tcp ? 1 : 0}${ipv6 ? 1 : 0}` : "";
    if (this.#cacheSize > 0) {
      const cached = this.#cache.get(cacheKey);
      if (cached) {
        stats.cacheHits++;
        return [this.#patch(cached, q)];
      }
    }
    const qname = nameInfo(q.qkey, q.question.subarray(0, q.nameLength));
    const answer: Answer = resolve(this.#zones, qname, q.qtype, q.qclass === RRClass.ANY, ipv6);
    const out = writeAnswer(w, { ...exchange, qname }, answer, this.#server);
    this.#count(answer, out);
    if (this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) this.#cache.clear();
      this.#cache.set(cacheKey, out.slice());
    }
    return [out];
  }

  #count(answer: Answer, out: Uint8Array): void {
    if (answer.rcode === Rcode.NXDOMAIN) this.stats.nxdomain++;
    else if (answer.rcode === Rcode.REFUSED) this.stats.refused++;
    if (out[2]! & 0x02) this.stats.truncated++;
  }

  /** A cached answer for this query: its ID, RD bit and question (with the query's case). */
  #patch(cached: Uint8Array, q: ParsedQuery): Uint8Array {
    const out = cached.slice();
    out[0] = q.id >>> 8;
    out[1] = q.id & 0xff;
    out[2] = (out[2]! & ~0x01) | ((q.flags >>> 8) & 0x01);
    out.set(q.question.subarray(0, q.nameLength), 12);
    const rcode = out[3]! & 0xf;
    if (rcode === Rcode.NXDOMAIN) this.stats.nxdomain++;
    else if (rcode === Rcode.REFUSED) this.stats.refused++;
    if (out[2]! & 0x02) this.stats.truncated++;
    return out;
  }

  #transfer(q: ParsedQuery, exchange: Exchange, transport: Transport): Uint8Array[] {
    const w = this.#writer;
    const prepared = Flag.QR | (q.flags & Flag.RD);
    if (q.qtype === RRType.AXFR && !transport.tcp) {
      this.stats.notimp++;
      return [writeEmpty(w, exchange, prepared | Rcode.NOTIMP, {}, this.#server)];
    }
    let allowed = false;
    try {
      allowed = this.#allowTransfer(transport.remote.address) === true;
    } catch {
      allowed = false;
    }
    const zone = this.#zones.byOrigin.get(q.qkey);
    if (!allowed) {
      this.stats.refused++;
      return [writeEmpty(w, exchange, prepared | Rcode.REFUSED, { ede: EdeCode.PROHIBITED }, this.#server)];
    }
    if (!zone) {
      return [writeEmpty(w, exchange, prepared | Rcode.NOTAUTH, {}, this.#server)];
    }
    const qname = nameInfo(q.qkey, q.question.subarray(0, q.nameLength));
    if (!transport.tcp) {
      // IXFR over UDP: the current SOA tells the client to come over TCP (RFC 1995 §2).
      const answer: Answer = { rcode: 0, aa: true, referral: false, ede: undefined, entries: [{ section: 0, owner: zone.origin, rrset: zone.soa }] };
      return [writeAnswer(w, { ...exchange, qname }, answer, this.#server)];
    }
    this.stats.transfers++;
    return writeTransfer(w, { ...exchange, qname }, zone, this.#server);
  }
}
