/**
 * @module tcpip
 * `tsuki/tcpip`: a user-space TCP/IP stack (Ethernet, ARP, IPv4, ICMP, UDP, TCP) inside the
 * unikernel, on a `net()` device that carries raw Ethernet frames (a TAP on the host).
 *
 * ```ts
 * import { Stack } from "tsuki/tcpip";
 * const stack = Stack.start(eth, { address: "10.0.0.2/24", gateway: "10.0.0.1" });
 * for await (const connection of stack.listen(80)) { … }
 * const dns = stack.udp(53);          // the SDK's Udp shape: serveUdp(dns, authority) works
 * ```
 *
 * See README.md in this folder for what is supported, with the parameters and RFCs.
 */

export { Stack } from "./stack.ts";
export type { NetDevice, StackAddress, StackOptions, TcpTransport } from "./stack.ts";
export type { UdpSocket, RawBinding, RawHandler } from "./udp.ts";
export { formatAddress, parseAddress } from "./seam/ip.ts";
export { formatMac, parseMac } from "./wire/ethernet.ts";

// The DHCP client and the DNS stub resolver (their own modules, wired to a Stack by their callers).
export { startDhcp } from "./dhcp/driver.ts";
export type { DhcpDriver, DhcpDriverOptions, DhcpHost } from "./dhcp/driver.ts";
export type { Lease } from "./dhcp/client.ts";
export { DnsError, Resolver } from "./dns-stub.ts";
export type { DnsErrorCode, ResolverOptions, ResolverStats } from "./dns-stub.ts";
