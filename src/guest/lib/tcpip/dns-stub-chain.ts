/**
 * @module tcpip/dns-stub-chain
 * Reading an answer the way a stub resolver must: the records of the type asked for at the end of
 * the CNAME chain the answer carries (RFC 1034 §3.6.2, §4.3.2 step 3a), bounded against loops
 * and long chains; and the label of a query type in syscall names.
 */

import { RRClass, RRType } from "../dns/constants.ts";
import { canonicalName, lower } from "../dns/names.ts";
import type { Message } from "../dns/message.ts";
import type { ResourceRecord, TargetData } from "../dns/records.ts";

/** CNAMEs followed within one answer, at most. */
const MAX_CHAIN = 16;

/** The label of a query type in Node's syscall names (`queryA`, `queryMx`, …). */
export function qtypeLabel(type: number): string {
  const names: Record<number, string> = { 1: "A", 2: "Ns", 5: "Cname", 6: "Soa", 12: "Ptr", 15: "Mx", 16: "Txt", 28: "Aaaa", 33: "Srv", 257: "Caa" };
  return names[type] ?? "Any";
}

/**
 * The records of `type` owned by `name` or by the end of its CNAME chain within the answer
 * section, and that end (RFC 1034 §3.6.2, §4.3.2 step 3a).
 */
export function followChain(message: Message, name: string, type: number): { records: ResourceRecord[]; end: string } {
  let owner = lower(canonicalName(name));
  const seen = new Set<string>([owner]);
  let end = canonicalName(name);
  for (let hops = 0; hops <= MAX_CHAIN; hops++) {
    const records = message.answer.filter((rr) => rr.type === type && rr.class === RRClass.IN && lower(rr.name) === owner);
    if (records.length > 0 || type === RRType.CNAME) return { records, end };
    const cname = message.answer.find((rr) => rr.type === RRType.CNAME && lower(rr.name) === owner);
    if (cname === undefined) break;
    const target = (cname.data as TargetData).target;
    if (seen.has(lower(target))) break; // a loop
    seen.add(lower(target));
    owner = lower(target);
    end = target;
  }
  return { records: [], end };
}
