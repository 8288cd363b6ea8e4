/**
 * @module tsuki/net-address
 * IPv4 and IPv6 addresses, parsed strictly and written canonically: the one address parser of the
 * guest libraries (tsuki/tcpip's sockets and configuration, tsuki/dns's A and AAAA records, the
 * URL parser's bracketed IPv6 hosts). IPv4 is the dotted quad only; IPv6 is RFC 4291's text forms
 * in, RFC 5952's out.
 *
 * ```ts
 * import { parseIPv4, parseIPv6, formatIPv6, isIP } from "tsuki/net-address";
 * parseIPv4("10.0.0.1");             // 167772161
 * formatIPv6(parseIPv6("2001:DB8:0:0:0:0:0:1")!); // "2001:db8::1"
 * isIP("::ffff:1.2.3.4");            // 6
 * ```
 */

import { parseIPv4 } from "./ipv4.ts";
import { parseIPv6 } from "./ipv6.ts";

export { formatIPv4, ipv4FromBytes, ipv4ToBytes, parseIPv4 } from "./ipv4.ts";
export { formatIPv6, ipv6FromBytes, ipv6ToBytes, parseIPv6 } from "./ipv6.ts";

/** 4 for a dotted quad, 6 for an IPv6 address, 0 for anything else (Node's `net.isIP`, strict). */
export function isIP(text: string): 0 | 4 | 6 {
  if (parseIPv4(text) !== undefined) return 4;
  return parseIPv6(text) !== undefined ? 6 : 0;
}
