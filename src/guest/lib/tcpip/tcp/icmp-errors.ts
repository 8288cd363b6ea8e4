/**
 * @module tcpip/tcp/icmp-errors
 * What an ICMP error about one of our segments means to the connection it names: the errno a
 * connection still opening fails with (`hard`), and the one a connection that later times out
 * reports (`soft`). RFC 1122 §4.2.3.9: protocol and port unreachable are hard errors; RFC 5461 §4:
 * in a synchronized state every one is taken as soft, so only a connection in SYN-SENT is aborted.
 */

import type { Errno } from "../../../../abi/index.ts";

const ICMP_DESTINATION_UNREACHABLE = 3;

/** The errors of ICMP `type`/`code`, or undefined for one TCP ignores (fragmentation needed: path MTU discovery is not implemented). */
export function icmpErrors(type: number, code: number): { hard: Errno | undefined; soft: Errno } | undefined {
  let hard: Errno | undefined;
  let soft: Errno = "EHOSTUNREACH";
  if (type === ICMP_DESTINATION_UNREACHABLE) {
    if (code === 2 || code === 3) hard = "ECONNREFUSED";
    else if (code === 0 || code === 6 || code === 9) hard = soft = "ENETUNREACH";
    else if (code === 1 || code === 7 || code === 10 || code === 13) hard = "EHOSTUNREACH";
    else if (code === 4) return undefined;
  }
  return { hard, soft };
}
