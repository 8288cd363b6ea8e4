/**
 * @module website/fields
 * Parsers for the request fields a static file server acts on (RFC 9110): entity-tag lists
 * (`If-None-Match`, `If-Match`, §13.1), `If-Range` (§13.1.5), `Range` (§14.1–§14.2) and
 * `Accept-Encoding` (§12.5.3). Each parser is a loop over the field value, linear in its length
 * (no regular expression backtracks on client bytes), and answers "I do not understand this"
 * rather than guessing when the value is malformed.
 */

const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const QUOTE = 0x22;

const isOws = (c: number) => c === SPACE || c === TAB;

/** Splits a list field (`1#element`) into trimmed, non-empty elements. */
function elements(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i < value.length && value.charCodeAt(i) !== COMMA) continue;
    let a = start;
    let b = i;
    while (a < b && isOws(value.charCodeAt(a))) a++;
    while (b > a && isOws(value.charCodeAt(b - 1))) b--;
    if (b > a) out.push(value.slice(a, b));
    start = i + 1;
  }
  return out;
}

/**
 * Whether the entity-tag list in `value` (`*` or `1#entity-tag`) matches `etag` (a strong tag,
 * quotes included). `weak` selects the weak comparison (§8.8.3.2: `W/"x"` matches `"x"`), which
 * If-None-Match uses; If-Match uses the strong one, where a weak tag never matches. A malformed
 * list matches nothing (the condition is then evaluated as if the tag were absent from it).
 */
export function matchesEtag(value: string, etag: string, weak: boolean): boolean {
  let i = 0;
  const n = value.length;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (isOws(c) || c === COMMA) {
      i++;
      continue;
    }
    if (c === 0x2a /* * */) return true;
    let isWeak = false;
    if (c === 0x57 /* W */ && value.charCodeAt(i + 1) === 0x2f /* / */) {
      isWeak = true;
      i += 2;
    }
    if (value.charCodeAt(i) !== QUOTE) return false;
    const end = value.indexOf('"', i + 1);
    if (end < 0) return false;
    if ((weak || !isWeak) && end + 1 - i === etag.length && value.startsWith(etag, i)) return true;
    i = end + 1;
  }
  return false;
}

/**
 * `If-Range` (§13.1.5): true when the range may be applied. An entity-tag must match `etag`
 * strongly (a weak tag never does); a date cannot match, because these resources have no
 * Last-Modified, so the client gets the whole representation.
 */
export function ifRangeHolds(value: string, etag: string): boolean {
  return value.trim() === etag;
}

/** One byte range, both ends included, resolved against a representation's length. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** What a `Range` field asks for: nothing we understand (ignore it), nothing satisfiable (416), or ranges (206). */
export type RangeRequest = "ignore" | "unsatisfiable" | ByteRange[];

/** The most ranges one request may ask for before the whole representation is sent instead. */
export const MAX_RANGES = 16;

/**
 * Parses `Range` (§14.1.1–§14.1.2) against a representation of `size` bytes. Only the `bytes` unit
 * is understood; a syntax error anywhere makes the whole field ignored (§14.2: a server MAY ignore
 * it), as does asking for more than MAX_RANGES ranges. Ranges past the end are clipped; a
 * range-set with no satisfiable range is "unsatisfiable".
 */
export function parseRange(value: string, size: number): RangeRequest {
  let i = 0;
  while (i < value.length && isOws(value.charCodeAt(i))) i++;
  if (value.slice(i, i + 6).toLowerCase() !== "bytes=") return "ignore";
  const specs = elements(value.slice(i + 6));
  if (specs.length === 0 || specs.length > MAX_RANGES) return "ignore";
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const dash = spec.indexOf("-");
    if (dash < 0) return "ignore";
    const first = spec.slice(0, dash);
    const last = spec.slice(dash + 1);
    if (first === "") {
      // suffix-range: the last `length` bytes.
      const length = digits(last);
      if (length === null) return "ignore";
      if (length > 0 && size > 0) ranges.push({ start: Math.max(0, size - length), end: size - 1 });
      continue;
    }
    const start = digits(first);
    const end = last === "" ? Infinity : digits(last);
    if (start === null || end === null || end < start) return "ignore";
    if (start < size) ranges.push({ start, end: Math.min(end, size - 1) });
  }
  return ranges.length === 0 ? "unsatisfiable" : ranges;
}

/** A non-empty run of ASCII digits as a number (saturating past 2^53), or null. */
function digits(text: string): number | null {
  if (text.length === 0) return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return Math.min(n, Number.MAX_SAFE_INTEGER);
}

/**
 * Whether `Accept-Encoding` (§12.5.3) accepts gzip: the q-value of `gzip` (or its alias `x-gzip`)
 * if listed, else that of `*`, else 0; acceptable when above 0. Codings are case-insensitive;
 * a malformed q-value makes its element count for nothing. An absent field means "any coding"
 * by the RFC, but clients that send none are usually tools that could not decode it, so the
 * caller treats absent as identity only (as nginx, Apache and most servers do).
 */
export function acceptsGzip(value: string): boolean {
  let gzip = -1;
  let star = -1;
  for (const element of elements(value)) {
    const semi = element.indexOf(";");
    const coding = (semi < 0 ? element : element.slice(0, semi)).trim().toLowerCase();
    if (coding !== "gzip" && coding !== "x-gzip" && coding !== "*") continue;
    const q = semi < 0 ? 1 : qValue(element.slice(semi + 1));
    if (q === null) continue;
    if (coding === "*") star = Math.max(star, q);
    else gzip = Math.max(gzip, q);
  }
  return (gzip >= 0 ? gzip : star) > 0;
}

/** The weight in the parameters after a coding (`;q=0.5`), 1 without one, null if malformed. */
function qValue(params: string): number | null {
  let q = 1;
  for (const param of params.split(";")) {
    const eq = param.indexOf("=");
    const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
    if (name === "") continue;
    if (name !== "q" || eq < 0) return null;
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    const text = param.slice(eq + 1).trim();
    if (!/^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/.test(text)) return null;
    q = Number(text);
  }
  return q;
}
