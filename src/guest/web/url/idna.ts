/**
 * @module guest/web/url/idna
 * UTS #46 ToASCII (Unicode IDNA Compatibility Processing §4, §4.2) with the options the URL
 * Standard's "domain to ASCII" sets: CheckHyphens, UseSTD3ASCIIRules, Transitional_Processing and
 * VerifyDnsLength false; CheckBidi and CheckJoiners true; IgnoreInvalidPunycode false. Returns the
 * ASCII domain, or null for any error. The data is tr46's (idna-data.ts), checked code point by
 * code point against it in the tests.
 */

import {
  BIDI_AN,
  BIDI_EN,
  BIDI_L,
  BIDI_NEUTRAL,
  BIDI_NSM,
  BIDI_RAL,
  JOINING_D,
  JOINING_L,
  JOINING_R,
  JOINING_T,
  STATUS_DISALLOWED,
  STATUS_IGNORED,
  bidiOf,
  isMark,
  isVirama,
  joiningOf,
  mapped,
  statusOf,
} from "./idna-tables.ts";
import { decode, encode } from "./punycode.ts";

const NON_ASCII = /[^\x00-\x7f]/;

export function domainToASCII(domain: string): string | null {
  // §4 step 1, Map: disallowed code points are kept, so that validation finds them.
  let text = "";
  for (const c of domain) {
    const cp = c.codePointAt(0)!;
    const status = statusOf(cp);
    if (status === STATUS_IGNORED) continue;
    text += status === STATUS_DISALLOWED ? c : mapped(cp);
  }
  // Step 2, Normalize; step 3, Break.
  const labels = text.normalize("NFC").split(".");
  // Step 4, Convert/Validate.
  let error = false;
  const unicode = labels.map((label) => {
    if (!label.startsWith("xn--")) return label;
    if (NON_ASCII.test(label)) {
      error = true;
      return label;
    }
    const decoded = decode(label.slice(4));
    if (decoded === null || decoded === "" || !NON_ASCII.test(decoded)) {
      error = true;
      return decoded ?? label;
    }
    return decoded;
  });
  if (error) return null;
  const bidiDomain = unicode.some((label) => isRtlLabel(label));
  for (const label of unicode) {
    if (!validLabel(label, bidiDomain)) return null;
  }
  // §4.2 ToASCII, step 2: every label with a non-ASCII code point becomes xn--<punycode>.
  return unicode.map((label) => (NON_ASCII.test(label) ? `xn--${encode(label)}` : label)).join(".");
}

/** RFC 5893 §1.4: a label with an R, AL or AN character. */
function isRtlLabel(label: string): boolean {
  for (const c of label) {
    const bidi = bidiOf(c.codePointAt(0)!);
    if (bidi === BIDI_RAL || bidi === BIDI_AN) return true;
  }
  return false;
}

/** UTS #46 §4.1 Validity Criteria, for Nontransitional Processing without CheckHyphens. */
function validLabel(label: string, bidiDomain: boolean): boolean {
  if (label === "") return true;
  if (label.normalize("NFC") !== label) return false;
  if (label.startsWith("xn--")) return false;
  if (label.includes(".")) return false;
  const points = Array.from(label, (c) => c.codePointAt(0)!);
  if (isMark(points[0]!) === 1) return false;
  for (const cp of points) {
    // Valid (or a deviation, valid in nontransitional processing): neither disallowed, ignored nor mapped.
    if (statusOf(cp) !== 0 || mapped(cp) !== String.fromCodePoint(cp)) return false;
  }
  if (!joinersValid(points)) return false;
  // An all-ASCII label of a Bidi domain name is not held to the Bidi Rule: WPT's toascii.json has
  // "1.ي" become "1.xn--mhb", as Gecko and Node do, where UTS #46 alone would refuse the "1"
  // (whatwg/url#543 discusses it).
  return !bidiDomain || !NON_ASCII.test(label) || bidiRuleHolds(points);
}

/** RFC 5892 Appendix A.1 (ZERO WIDTH NON-JOINER) and A.2 (ZERO WIDTH JOINER). */
function joinersValid(points: readonly number[]): boolean {
  for (let i = 0; i < points.length; i++) {
    const cp = points[i]!;
    if (cp !== 0x200c && cp !== 0x200d) continue;
    if (i > 0 && isVirama(points[i - 1]!) === 1) continue;
    if (cp === 0x200d) return false;
    // (Joining_Type:{L,D})(Joining_Type:T)* ZWNJ (Joining_Type:T)*(Joining_Type:{R,D})
    let before = i - 1;
    while (before >= 0 && joiningOf(points[before]!) === JOINING_T) before--;
    let after = i + 1;
    while (after < points.length && joiningOf(points[after]!) === JOINING_T) after++;
    const left = before >= 0 ? joiningOf(points[before]!) : 0;
    const right = after < points.length ? joiningOf(points[after]!) : 0;
    if (!(left === JOINING_L || left === JOINING_D) || !(right === JOINING_R || right === JOINING_D)) return false;
  }
  return true;
}

/** RFC 5893 §2, the Bidi Rule, for a label of a bidi domain name. */
function bidiRuleHolds(points: readonly number[]): boolean {
  const classes = points.map(bidiOf);
  const first = classes[0]!;
  // Rule 1: the first character is L, R or AL.
  if (first !== BIDI_L && first !== BIDI_RAL) return false;
  let end = classes.length - 1;
  while (end > 0 && classes[end] === BIDI_NSM) end--;
  const last = classes[end]!;
  if (first === BIDI_RAL) {
    // Rule 2: R, AL, AN, EN, ES, CS, ET, ON, BN and NSM only; rule 3: ends with R, AL, EN or AN (then NSMs);
    // rule 4: not both EN and AN.
    if (classes.some((c) => c === BIDI_L || c === 0)) return false;
    if (last !== BIDI_RAL && last !== BIDI_EN && last !== BIDI_AN) return false;
    return !(classes.includes(BIDI_EN) && classes.includes(BIDI_AN));
  }
  // Rule 5: L, EN, ES, CS, ET, ON, BN and NSM only; rule 6: ends with L or EN (then NSMs).
  if (classes.some((c) => c !== BIDI_L && c !== BIDI_EN && c !== BIDI_NEUTRAL && c !== BIDI_NSM)) return false;
  return last === BIDI_L || last === BIDI_EN;
}
