/**
 * @module tcpip/dhcp/options
 * What a DHCP client (client.ts) is given and what it tells: its options (the MAC, the random
 * source, the send function, what to ask for), its states, the events it reports and its counters.
 */

import type { Lease } from "./lease.ts";

/** The limited broadcast address (RFC 919), where a client without a lease sends. */
export const BROADCAST = 0xffffffff;

export type DhcpState = "stopped" | "init" | "selecting" | "requesting" | "rebooting" | "bound" | "renewing" | "rebinding";

/** What a client reports as it works (named observability events, STYLE.md). */
export type DhcpEvent =
  | { readonly type: "state"; readonly from: DhcpState; readonly to: DhcpState }
  | { readonly type: "send"; readonly message: string; readonly destination: number; readonly attempt: number }
  | { readonly type: "drop"; readonly reason: string; readonly detail: string }
  | { readonly type: "lease"; readonly lease: Lease | undefined };

export interface DhcpClientOptions {
  /** The interface's 6-byte MAC: chaddr, and the client identifier 01:MAC unless `clientId` says otherwise. */
  readonly mac: Uint8Array;
  /** Sent as option 12 so the server (dnsmasq) can name the host in its DNS. */
  readonly hostname?: string;
  /** Option 61 (type byte then identifier); default 0x01 and the MAC (RFC 2132 §9.14). */
  readonly clientId?: Uint8Array;
  /** Fills `bytes` with random bytes (xid, retransmission jitter): `crypto.getRandomValues`. */
  random(bytes: Uint8Array): void;
  /**
   * Sends one DHCP payload from UDP port 68 to port 67 of `destination` (0xffffffff: broadcast).
   * `source` is the IP source address to use: the leased address while renewing, rebinding and
   * releasing, else 0 (0.0.0.0: RFC 2131 §4.1, also for a DHCPDECLINE of an address we must not use).
   */
  send(payload: Uint8Array, destination: number, source: number): void;
  /** A lease was obtained or renewed (`lease`), or lost: expired, NAKed, released, declined (undefined). */
  onLease?(lease: Lease | undefined): void;
  onEvent?(event: DhcpEvent): void;
  /** An address this client held before: start in INIT-REBOOT and ask for it again (RFC 2131 §3.2). */
  readonly previousAddress?: number;
  /** Ask the server to broadcast its replies (RFC 2131 §4.1): for a stack that drops unicast to an address it does not have yet. Default true. */
  readonly broadcastFlag?: boolean;
  /** Option 57: the largest DHCP message (IP datagram) we accept; default 576, which every host must (RFC 2132 §9.10). */
  readonly maxMessageSize?: number;
  /** Sends of one DHCPREQUEST (REQUESTING, REBOOTING) before going back to INIT; default 4 (about 60 s). */
  readonly requestAttempts?: number;
}

export interface DhcpStats {
  sent: number;
  received: number;
  dropped: number;
  retransmissions: number;
  naks: number;
  leases: number;
}
