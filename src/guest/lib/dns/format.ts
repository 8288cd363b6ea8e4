/**
 * @module tsuki/dns/format
 * A record as one line of text, the way dig prints it: `name TTL class type rdata`.
 */

import { className, typeName } from "./constants.ts";
import { formatRdata } from "./rdata-text.ts";
import type { ResourceRecord } from "./records.ts";

export function formatRecord(rr: ResourceRecord): string {
  return `${rr.name}\t${rr.ttl}\t${className(rr.class)}\t${typeName(rr.type)}\t${formatRdata(rr.type, rr.data)}`;
}
