/**
 * @module tcpip/dhcp/lease
 * What a DHCPACK gives the stack: the `Lease`, with its absolute deadlines on the loop clock
 * (measured from when the request was first sent, RFC 2131 §4.4.1, so that the client never
 * believes it holds the address longer than the server does), and the checks an ACK must pass to
 * be one.
 */

import type { DhcpMessage } from "../wire/dhcp.ts";
import { after, leaseTimers } from "./timing.ts";

/** An address lease. Addresses are uint32 numbers; times in ms on the loop clock. */
export interface Lease {
  readonly address: number;
  readonly prefixLength: number;
  /** The first router (option 3), if any. */
  readonly gateway?: number;
  /** DNS servers (option 6), in the server's order. */
  readonly dns: readonly number[];
  /** The server identifier (option 54): where renewals are unicast. */
  readonly server: number;
  /** The lease time in seconds (0xffffffff: infinite). */
  readonly leaseTime: number;
  /** T1: when RENEWING starts (Infinity for an infinite lease). */
  readonly renewAt: number;
  /** T2: when REBINDING starts. */
  readonly rebindAt: number;
  /** When the address must no longer be used. */
  readonly expiresAt: number;
  /** The domain name (option 15), for a resolver's search list. */
  readonly domain?: string;
  /** The host name the server assigned (option 12), if it sent one. */
  readonly hostname?: string;
}

/**
 * The prefix length of a subnet mask, or undefined when it is not contiguous ones then zeros
 * (RFC 950 allowed that; RFC 4632 and every stack today do not).
 */
export function prefixFromMask(mask: number): number | undefined {
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return 32 - Math.log2(inverted + 1);
}

/** RFC 1122 §3.3.1.1 leaves a host without a mask the class's natural one (A /8, B /16, C /24). */
function naturalPrefix(address: number): number {
  const first = address >>> 24;
  return first < 128 ? 8 : first < 192 ? 16 : 24;
}

/** Why an ACK is not a usable lease. */
export type AckProblem = "no-address" | "no-lease-time" | "no-server-id" | "bad-mask";

/** The lease an ACK grants, timed from `requestedAt`, or why it is not usable. */
export function leaseFromAck(ack: DhcpMessage, requestedAt: number, knownServer?: number): Lease | AckProblem {
  const address = ack.yiaddr ?? 0;
  // RFC 2131 §4.3.1 Table 3: yiaddr is the client's address, the lease time and server id are MUST in an ACK.
  if (address === 0 || address === 0xffffffff) return "no-address";
  if (ack.leaseTime === undefined) return "no-lease-time";
  const server = ack.serverId ?? knownServer;
  if (server === undefined) return "no-server-id";
  let prefixLength = naturalPrefix(address);
  if (ack.subnetMask !== undefined) {
    const prefix = prefixFromMask(ack.subnetMask);
    if (prefix === undefined) return "bad-mask";
    prefixLength = prefix;
  }
  const { t1, t2 } = leaseTimers(ack.leaseTime, ack.renewalTime, ack.rebindingTime);
  const lease: { -readonly [K in keyof Lease]: Lease[K] } = {
    address,
    prefixLength,
    dns: ack.dnsServers ?? [],
    server,
    leaseTime: ack.leaseTime,
    renewAt: after(requestedAt, t1),
    rebindAt: after(requestedAt, t2),
    expiresAt: after(requestedAt, ack.leaseTime),
  };
  const gateway = ack.routers?.[0];
  if (gateway !== undefined) lease.gateway = gateway;
  if (ack.domainName !== undefined) lease.domain = ack.domainName;
  if (ack.hostname !== undefined) lease.hostname = ack.hostname;
  return lease;
}
