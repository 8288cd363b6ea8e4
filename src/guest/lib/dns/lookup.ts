/**
 * @module tsuki/dns/lookup
 * The authoritative algorithm (RFC 1034 §4.3.2, RFC 4592, RFC 2308), following NSD 4.6 wherever
 * the RFCs leave a choice, so that answers compare equal with it: the deepest zone holding the
 * name; a referral at the lowest zone cut above it (NS in authority, A/AAAA of the NS targets
 * found in the zone, glue included, in additional, AA clear), except for DS at the cut, answered
 * by the parent; an exact match, or the closest encloser's wildcard; CNAMEs followed across the
 * zones served, each RRset at most once (which ends loops); NODATA and NXDOMAIN with the SOA at
 * TTL min(TTL, MINIMUM); ANY answered with one RRset (RFC 8482 §4.1; A, AAAA, SOA, MX or PTR
 * first, else the last other); the zone's NS as optional authority on positive answers; A then
 * AAAA records of in-zone NS, MX and SRV targets in additional (AAAA first for NS to IPv6 clients).
 * Class ANY queries get the same data without AA, SOA or optional NS, as in NSD.
 */

import { EdeCode, Rcode, RRType } from "./constants.ts";
import { isAtOrBelow, parentName } from "./names.ts";
import type { NameInfo, NameTable } from "./wire-writer.ts";
import type { RRset, ZoneIndex, ZoneNode } from "./zone-index.ts";

/** Sections in the order they are written; the optional ones are dropped first when space runs out. */
export const Section = { ANSWER: 0, AUTHORITY: 1, OPTIONAL_AUTHORITY: 2, ADDITIONAL_A: 3, ADDITIONAL_AAAA: 4 } as const;
export const SECTION_COUNT = 5;

export interface Entry {
  section: number;
  readonly owner: NameInfo;
  readonly rrset: RRset;
}

export interface Answer {
  rcode: number;
  aa: boolean;
  /** The answer is (or ends in) a referral: without any A glue room, it is truncated. */
  referral: boolean;
  ede: number | undefined;
  readonly entries: Entry[];
}

/** At most this many CNAMEs are followed (NSD has no limit but its 10,240 RRsets per answer). */
const MAX_CNAMES = 32;

const PREFERRED_ANY = new Set<number>([RRType.A, RRType.AAAA, RRType.SOA, RRType.MX, RRType.PTR]);
const NON_PREFERRED_ANY = new Set<number>([RRType.DNSKEY, RRType.RRSIG, RRType.NSEC]);

export interface Zones {
  readonly byOrigin: ReadonlyMap<string, ZoneIndex>;
  readonly names: NameTable;
}

/** The deepest zone holding the name whose suffixes are `keys`, from suffix `from` on. */
export function findZone(zones: Zones, keys: readonly string[], from = 0): { zone: ZoneIndex; index: number } | undefined {
  for (let i = from; i < keys.length; i++) {
    const zone = zones.byOrigin.get(keys[i]!);
    if (zone) return { zone, index: i };
  }
  const root = zones.byOrigin.get(".");
  return root ? { zone: root, index: keys.length } : undefined;
}

interface Walk {
  encloser: ZoneNode;
  exact: boolean;
  cut: ZoneNode | undefined;
}

function walk(zone: ZoneIndex, keys: readonly string[], originIndex: number): Walk {
  let encloser = zone.apex;
  let cut: ZoneNode | undefined;
  let i = originIndex - 1;
  for (; i >= 0; i--) {
    const node = zone.nodes.get(keys[i]!);
    if (!node) break;
    encloser = node;
    if (node.delegation) cut = node;
  }
  return { encloser, exact: i < 0, cut };
}

export function resolve(zones: Zones, qname: NameInfo, qtype: number, classAny: boolean, ipv6: boolean): Answer {
  return new Resolver(zones, qtype, classAny, ipv6).run(qname);
}

class Resolver {
  readonly answer: Answer = { rcode: Rcode.NOERROR, aa: false, referral: false, ede: undefined, entries: [] };
  #zones: Zones;
  #qtype: number;
  #classAny: boolean;
  #ipv6: boolean;
  #cnames = 0;
  #zone!: ZoneIndex;

  constructor(zones: Zones, qtype: number, classAny: boolean, ipv6: boolean) {
    this.#zones = zones;
    this.#qtype = qtype;
    this.#classAny = classAny;
    this.#ipv6 = ipv6;
  }

  run(qname: NameInfo): Answer {
    this.#lookup(qname);
    return this.answer;
  }

  #lookup(name: NameInfo): void {
    const keys = name.suffixKeys;
    const found = findZone(this.#zones, keys);
    if (!found) {
      if (this.#cnames === 0) {
        this.answer.rcode = Rcode.REFUSED;
        this.answer.ede = EdeCode.NOT_AUTHORITATIVE;
      }
      return;
    }
    let zone = found.zone;
    let w = walk(zone, keys, found.index);
    if (w.exact && this.#qtype === RRType.DS && w.encloser === zone.apex && found.index < keys.length) {
      // DS belongs to the parent side of the cut: answer from the parent zone if it is served here.
      const parent = findZone(this.#zones, keys, found.index + 1);
      if (parent) {
        zone = parent.zone;
        w = walk(zone, keys, parent.index);
      } else {
        this.#zone = zone;
        this.answer.aa = !this.#classAny;
        this.#nodata();
        return;
      }
    }
    this.#zone = zone;
    if (w.cut && !(w.exact && this.#qtype === RRType.DS && w.encloser === w.cut)) {
      this.answer.aa = this.#cnames > 0;
      this.answer.referral = true;
      this.#add(Section.AUTHORITY, w.cut.name, w.cut.byType.get(RRType.NS)!);
      return;
    }
    this.answer.aa = !this.#classAny;
    if (w.exact) this.#answerNode(w.encloser, name);
    else if (w.encloser.wildcard) this.#answerNode(w.encloser.wildcard, name);
    else {
      this.answer.rcode = Rcode.NXDOMAIN;
      this.#soa();
    }
  }

  #answerNode(node: ZoneNode, owner: NameInfo): void {
    const qtype = this.#qtype;
    if (qtype === RRType.ANY) {
      let preferred: RRset | undefined;
      let normal: RRset | undefined;
      let other: RRset | undefined;
      for (const rrset of node.rrsets) {
        if (PREFERRED_ANY.has(rrset.type)) {
          preferred = rrset;
          break;
        }
        if (NON_PREFERRED_ANY.has(rrset.type)) other = rrset;
        else normal = rrset;
      }
      const chosen = preferred ?? normal ?? other;
      if (chosen) this.#add(Section.ANSWER, owner, chosen);
      else this.#nodata();
      return;
    }
    const rrset = node.byType.get(qtype);
    if (rrset) {
      this.#add(Section.ANSWER, owner, rrset);
    } else {
      const cname = node.byType.get(RRType.CNAME);
      if (!cname) return this.#nodata();
      if (this.#add(Section.ANSWER, owner, cname) && this.#cnames < MAX_CNAMES) {
        this.#cnames++;
        const zone = this.#zone;
        this.#lookup(this.#zones.names.get(cname.records[0]!.target!));
        this.#zone = zone;
      }
      return;
    }
    const ns = this.#zone.ns;
    if (!this.#classAny && ns && qtype !== RRType.DS && qtype !== RRType.DNSKEY) this.#add(Section.OPTIONAL_AUTHORITY, this.#zone.origin, ns);
  }

  #soa(): void {
    if (!this.#classAny) this.#add(Section.AUTHORITY, this.#zone.origin, this.#zone.negativeSoa);
  }

  #nodata(): void {
    this.#soa();
  }

  /** Adds an RRset unless it is there already (then it moves to the earlier section); returns whether it was new. */
  #add(section: number, owner: NameInfo, rrset: RRset): boolean {
    for (const entry of this.answer.entries) {
      if (entry.rrset === rrset && entry.owner.key === owner.key) {
        if (section < entry.section) {
          entry.section = section;
          return true;
        }
        return false;
      }
    }
    this.answer.entries.push({ section, owner, rrset });
    if (rrset.type === RRType.NS) this.#additional(rrset, true, this.#ipv6);
    else if (rrset.type === RRType.MX || rrset.type === RRType.SRV) this.#additional(rrset, false, false);
    return true;
  }

  #additional(rrset: RRset, allowGlue: boolean, aaaaFirst: boolean): void {
    const zone = this.#zone;
    for (const record of rrset.records) {
      const target = record.target!;
      if (!isAtOrBelow(target, zone.origin.key)) continue;
      let node = zone.nodes.get(target);
      let encloser = node;
      if (!encloser) {
        let up = target;
        do up = parentName(up);
        while (!zone.nodes.has(up));
        encloser = zone.nodes.get(up)!;
        node = encloser.wildcard;
      }
      if (!allowGlue && encloser.belowCut) continue;
      if (!node) continue;
      const owner = this.#zones.names.get(target);
      const a = node.byType.get(RRType.A);
      const aaaa = node.byType.get(RRType.AAAA);
      if (aaaaFirst) {
        if (aaaa) this.#add(Section.ADDITIONAL_A, owner, aaaa);
        if (a) this.#add(Section.ADDITIONAL_AAAA, owner, a);
      } else {
        if (a) this.#add(Section.ADDITIONAL_A, owner, a);
        if (aaaa) this.#add(Section.ADDITIONAL_AAAA, owner, aaaa);
      }
    }
  }
}
