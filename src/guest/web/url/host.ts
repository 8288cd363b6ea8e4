/**
 * @module guest/web/url/host
 * The host parser of the URL Standard (§3.5): bracketed IPv6, opaque hosts of non-special URLs
 * (percent-encoded, no forbidden host code point), and domains: percent-decoded, turned to ASCII
 * by IDNA (UTS #46, idna.ts; an ASCII domain without an `xn--` label is just lower-cased), checked
 * for forbidden domain code points, and read as IPv4 in every form the standard accepts
 * (`0x7f.1` is 127.0.0.1) when the last label is a number. Returns the serialised host, or null.
 */

import { domainToASCII } from "./idna.ts";
import { parseIPv4, parseIPv4Number, parseIPv6, serializeIPv4, serializeIPv6 } from "./ip.ts";
import { C0_CONTROL_SET, percentDecode, percentEncode, utf8DecodeWithoutBOM } from "./percent.ts";

const FORBIDDEN_HOST = /[\u0000\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\u0000-\u0020#%/:<>?@[\\\]^|\u007f]/;
const ASCII_WITHOUT_PUNYCODE = /^[\x00-\x7f]*$/;
const PUNYCODE_LABEL = /(?:^|\.)xn--/i;

/** `isOpaque`: the URL's scheme is not special, so a domain is kept as it is written, percent-encoded. */
export function parseHost(input: string, isOpaque: boolean): string | null {
  if (input.startsWith("[")) {
    if (!input.endsWith("]")) return null;
    const pieces = parseIPv6(input.slice(1, -1));
    return pieces === null ? null : `[${serializeIPv6(pieces)}]`;
  }
  if (isOpaque) return FORBIDDEN_HOST.test(input) ? null : percentEncode(input, C0_CONTROL_SET);
  const domain = input.includes("%") ? utf8DecodeWithoutBOM(percentDecode(input)) : input;
  const ascii = domainToAscii(domain);
  if (ascii === null) return null;
  if (endsInANumber(ascii)) {
    const address = parseIPv4(ascii);
    return address === null ? null : serializeIPv4(address);
  }
  return ascii;
}

/** §3.5 "domain to ASCII" with beStrict false. */
export function domainToAscii(domain: string): string | null {
  const ascii = ASCII_WITHOUT_PUNYCODE.test(domain) && !PUNYCODE_LABEL.test(domain) ? domain.toLowerCase() : domainToASCII(domain);
  if (ascii === null || ascii === "" || FORBIDDEN_DOMAIN.test(ascii)) return null;
  return ascii;
}

/** §3.5 "ends in a number": the last label (ignoring one trailing dot) is digits or 0x-hex. */
function endsInANumber(input: string): boolean {
  const parts = input.split(".");
  if (parts[parts.length - 1] === "") {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts[parts.length - 1]!;
  if (last !== "" && /^[0-9]+$/.test(last)) return true;
  return parseIPv4Number(last) !== null;
}


