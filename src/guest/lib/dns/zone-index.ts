/**
 * @module tsuki/dns/zone-index
 * A zone compiled for answering: a map from each lower-cased name to its node (its RRsets in
 * file order, each record's RDATA compiled to parts), with a node for every empty non-terminal
 * between an owner and the apex, so that they exist (NODATA, and they block wildcards, RFC 4592
 * §2.2.2), and each node's wildcard child and delegation status precomputed.
 */

import { RRType } from "./constants.ts";
import { isAtOrBelow, parentName } from "./names.ts";
import { type Part, rdataParts } from "./rdata-wire.ts";
import type { SoaData } from "./records.ts";
import type { NameInfo, NameTable } from "./wire-writer.ts";
import type { Zone } from "./zone.ts";

export interface CompiledRecord {
  readonly ttl: number;
  readonly parts: readonly Part[];
  /** For NS, MX and SRV, the name whose addresses go in the additional section; for CNAME, the target. */
  readonly target: string | undefined;
}

export interface RRset {
  readonly type: number;
  readonly records: CompiledRecord[];
}

export interface ZoneNode {
  readonly name: NameInfo;
  /** RRsets in the order their first record appears in the file. */
  readonly rrsets: RRset[];
  readonly byType: Map<number, RRset>;
  /** `*.<this name>`, if it exists. */
  wildcard: ZoneNode | undefined;
  /** Has NS and is not the apex: a zone cut. */
  delegation: boolean;
  /** Is a delegation point or below one (glue and occluded data). */
  belowCut: boolean;
}

export class ZoneIndex {
  readonly zone: Zone;
  readonly origin: NameInfo;
  readonly nodes = new Map<string, ZoneNode>();
  readonly apex: ZoneNode;
  readonly soa: RRset;
  /** The SOA with TTL min(SOA TTL, MINIMUM), for the authority section of negative answers (RFC 2308 §3). */
  readonly negativeSoa: RRset;
  readonly ns: RRset | undefined;

  constructor(zone: Zone, names: NameTable) {
    this.zone = zone;
    this.origin = names.get(zone.origin);
    const node = (key: string): ZoneNode => {
      let found = this.nodes.get(key);
      if (!found) {
        found = { name: names.get(key), rrsets: [], byType: new Map(), wildcard: undefined, delegation: false, belowCut: false };
        this.nodes.set(key, found);
        if (key !== zone.origin) node(parentName(key));
      }
      return found;
    };
    node(zone.origin);
    for (const rr of zone.records) {
      if (!isAtOrBelow(rr.name, zone.origin)) throw new TypeError(`${rr.name} is outside the zone ${zone.origin}`);
      const owner = node(rr.name);
      let rrset = owner.byType.get(rr.type);
      if (!rrset) {
        rrset = { type: rr.type, records: [] };
        owner.byType.set(rr.type, rrset);
        owner.rrsets.push(rrset);
      }
      const parts = rdataParts(rr.type, rr.data, (key) => names.get(key));
      const named = parts.filter((p) => !(p instanceof Uint8Array)) as { name: NameInfo }[];
      const target = rr.type === RRType.NS || rr.type === RRType.MX || rr.type === RRType.SRV || rr.type === RRType.CNAME ? named[0]?.name.key : undefined;
      rrset.records.push({ ttl: rr.ttl, parts, target });
    }
    this.apex = this.nodes.get(zone.origin)!;
    for (const [key, n] of this.nodes) {
      n.wildcard = this.nodes.get(`*.${key}`);
      n.delegation = key !== zone.origin && n.byType.has(RRType.NS);
    }
    for (const [key, n] of this.nodes) {
      for (let up = key; up !== zone.origin; up = parentName(up)) {
        if (this.nodes.get(up)!.delegation) {
          n.belowCut = true;
          break;
        }
      }
    }
    const soa = this.apex.byType.get(RRType.SOA);
    if (!soa || soa.records.length !== 1) throw new TypeError(`the zone ${zone.origin} needs exactly one SOA at its apex`);
    this.soa = soa;
    const minimum = (zone.soa.data as SoaData).minimum;
    this.negativeSoa = { type: RRType.SOA, records: [{ ...soa.records[0]!, ttl: Math.min(soa.records[0]!.ttl, minimum) }] };
    this.ns = this.apex.byType.get(RRType.NS);
  }
}
