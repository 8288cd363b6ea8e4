/**
 * @module tsuki/dns/zone
 * `parseZone(text, { file, origin?, defaultTtl? })`: a zone file (RFC 1035 §5) into a `Zone`.
 * Supported: `$ORIGIN`, `$TTL`, relative names, `@`, omitted owner (blank first column), TTL
 * and class (in either order), multi-line records in parentheses, comments, quoted strings with
 * escapes, `\DDD` escapes in names, TTLs with units (1h30m), and the generic `\# len hex` RDATA
 * of RFC 3597 for any type (`TYPE65280`). `$INCLUDE` and `$GENERATE` are refused: a zone is one
 * file. Every error is a `ZoneError` with the file, line and column and what to write instead.
 *
 * A zone must have exactly one SOA, at its apex; every owner must be at or below the apex (glue
 * for a name elsewhere belongs in that name's zone); a name with a CNAME has nothing else (RFC
 * 1034 §3.6.2). Names are lower-cased; identical records are kept once.
 */

import { RRType, classFromName, typeFromName, typeName } from "./constants.ts";
import { ZoneError } from "./errors.ts";
import { isAtOrBelow, labelsToText, lower, textToLabels } from "./names.ts";
import { TokenError, formatRdata, parseRdata, parseTtl } from "./rdata-text.ts";
import type { RData, ResourceRecord, SoaData } from "./records.ts";
import { type Token, lexZone } from "./zone-lexer.ts";

export interface Zone {
  /** The apex: lower-case, fully qualified. */
  readonly origin: string;
  /** Where the zone came from, for messages. */
  readonly file: string;
  /** The records in file order, the SOA among them; owner and RDATA names lower-cased. */
  readonly records: readonly ResourceRecord[];
  /** The SOA record. */
  readonly soa: ResourceRecord<SoaData>;
}

export interface ParseZoneOptions {
  /** The file name used in errors. */
  readonly file: string;
  /** The origin before any `$ORIGIN` (and the zone's apex if no `$ORIGIN` comes before the SOA). */
  readonly origin?: string;
  /** The TTL of records that give none, before any `$TTL` (RFC 2308 §4). Without it such a record is an error. */
  readonly defaultTtl?: number;
}

export function parseZone(text: string, options: ParseZoneOptions): Zone {
  const file = options.file;
  if (typeof text !== "string") throw new TypeError("parseZone: the zone text must be a string");
  const fail = (token: Token | undefined, line: number, message: string): never => {
    throw new ZoneError(file, token?.line ?? line, token?.column ?? 1, message);
  };
  let origin: Uint8Array[] | undefined;
  if (options.origin !== undefined) {
    const absolute = options.origin.endsWith(".") ? options.origin : `${options.origin}.`;
    const labels = textToLabels(absolute, undefined);
    if (typeof labels === "string") throw new ZoneError(file, 1, 1, `the origin option: ${labels}`);
    origin = labels;
  }
  let ttl = options.defaultTtl;
  let lastOwner: string | undefined;
  let apex: string | undefined;
  let soa: ResourceRecord<SoaData> | undefined;
  const records: ResourceRecord[] = [];
  const where: { line: number; column: number }[] = [];
  const seen = new Set<string>();

  for (const entry of lexZone(text, file)) {
    const tokens = entry.tokens;
    const head = tokens[0]!;
    try {
      if (!entry.blankOwner && !head.quoted && head.text.startsWith("$")) {
        const directive = head.text.toUpperCase();
        if (directive === "$ORIGIN") {
          if (tokens.length !== 2) fail(tokens[2] ?? head, entry.line, "$ORIGIN takes one name: `$ORIGIN example.com.`");
          const labels = textToLabels(tokens[1]!.text, origin);
          if (typeof labels === "string") fail(tokens[1], entry.line, `$ORIGIN: ${labels}`);
          origin = labels as Uint8Array[];
        } else if (directive === "$TTL") {
          if (tokens.length !== 2) fail(tokens[2] ?? head, entry.line, "$TTL takes one TTL: `$TTL 3600`");
          ttl = parseTtl(tokens[1]!);
        } else if (directive === "$INCLUDE") {
          fail(head, entry.line, "$INCLUDE is not supported: a zone is one file; paste the included records here instead");
        } else {
          fail(head, entry.line, `unknown directive ${head.text}: the directives are $ORIGIN and $TTL`);
        }
        continue;
      }
      let at = 0;
      let owner: string;
      let ownerToken: Token | undefined;
      if (entry.blankOwner) {
        if (lastOwner === undefined) fail(head, entry.line, "this record has no owner and there is no previous one: write the owner name in the first column");
        owner = lastOwner!;
      } else {
        ownerToken = head;
        const labels = textToLabels(head.text, origin);
        if (typeof labels === "string") fail(head, entry.line, `the owner name: ${labels}`);
        owner = lower(labelsToText(labels as Uint8Array[]));
        at = 1;
      }
      let recordTtl: number | undefined;
      let klass: number | undefined;
      let classToken: Token | undefined;
      for (let k = 0; k < 2 && at < tokens.length; k++) {
        const token = tokens[at]!;
        if (token.quoted) break;
        if (recordTtl === undefined && /^[0-9]/.test(token.text)) {
          recordTtl = parseTtl(token);
          at++;
        } else if (klass === undefined && classFromName(token.text) !== undefined && typeFromName(token.text) === undefined) {
          klass = classFromName(token.text);
          classToken = token;
          at++;
        } else break;
      }
      const typeToken = tokens[at];
      if (!typeToken) fail(tokens[tokens.length - 1], entry.line, "a record needs a type (A, AAAA, NS, MX, …) and its data");
      const type = typeToken!.quoted ? undefined : typeFromName(typeToken!.text);
      if (type === undefined) fail(typeToken, entry.line, `unknown type "${typeToken!.text}": write a known mnemonic or TYPEnnn with \`\\# <length> <hex>\` data`);
      if (type === RRType.OPT || type === RRType.AXFR || type === RRType.IXFR || type === RRType.ANY || type === RRType.TSIG) fail(typeToken, entry.line, `${typeName(type!)} is not a record type a zone can hold`);
      if (klass !== undefined && klass !== 1) fail(classToken, entry.line, `class ${classToken!.text}: only class IN is served`);
      if (recordTtl === undefined) {
        if (ttl === undefined) fail(typeToken, entry.line, "this record has no TTL and no default is set: add `$TTL 3600` at the top of the file");
        recordTtl = ttl;
      }
      if (apex === undefined) {
        if (!origin) fail(ownerToken ?? head, entry.line, "no origin: add `$ORIGIN example.com.` at the top, or pass the origin option");
        apex = lower(labelsToText(origin!));
      }
      if (!isAtOrBelow(owner, apex)) fail(ownerToken ?? head, entry.line, `${owner} is outside the zone ${apex}: a zone holds only names at or below its apex (glue for a name in another zone belongs in that zone)`);
      const data: RData = parseRdata(type!, tokens.slice(at + 1), origin!, typeToken!);
      const record: ResourceRecord = { name: owner, type: type!, class: 1, ttl: recordTtl!, data };
      if (type === RRType.SOA) {
        if (owner !== apex) fail(ownerToken ?? head, entry.line, `an SOA record at ${owner}: the only SOA belongs at the apex ${apex}`);
        if (soa) fail(typeToken, entry.line, `a second SOA record: a zone has exactly one (the first is on line ${where[records.indexOf(soa)]!.line})`);
        soa = record as ResourceRecord<SoaData>;
      }
      lastOwner = owner;
      const key = `${owner} ${type} ${formatRdata(type!, data)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      records.push(record);
      where.push({ line: (ownerToken ?? head).line, column: (ownerToken ?? head).column });
    } catch (error) {
      if (error instanceof TokenError) fail(error.token, entry.line, error.message);
      throw error;
    }
  }
  if (!soa) {
    const first = where[0];
    throw new ZoneError(file, first?.line ?? 1, first?.column ?? 1, `no SOA record: a zone needs exactly one, at its apex (\`@ IN SOA ns1.${apex ?? "example.com."} hostmaster.${apex ?? "example.com."} 1 7200 3600 1209600 300\`)`);
  }
  // A name with a CNAME has no other data (RFC 1034 §3.6.2).
  const kinds = new Map<string, { cname: number; other: number }>();
  records.forEach((rr, i) => {
    const k = kinds.get(rr.name) ?? { cname: -1, other: -1 };
    if (rr.type === RRType.CNAME) {
      if (k.cname >= 0) throw new ZoneError(file, where[i]!.line, where[i]!.column, `a second CNAME at ${rr.name}: a name has at most one`);
      k.cname = i;
    } else k.other = k.other >= 0 ? k.other : i;
    kinds.set(rr.name, k);
    if (k.cname >= 0 && k.other >= 0) {
      const later = Math.max(k.cname, k.other);
      throw new ZoneError(file, where[later]!.line, where[later]!.column, `${rr.name} has a CNAME and other data: a name with a CNAME has nothing else (RFC 1034 §3.6.2)`);
    }
  });
  return { origin: apex!, file, records, soa };
}
