/**
 * @module tcpip/dhcp/client
 * A DHCP client (RFC 2131 §4.4) as a clock-free state machine: it never reads a clock, arms a timer
 * or touches a socket. The owner passes `now` (ms on the loop clock) to every call, hands it each
 * UDP payload that arrived on port 68 (`input`), calls `poll` by the deadline `poll` returned, and
 * gives it a `send(payload, destination)` that puts a payload on UDP 68 → 67 (destination
 * 0xffffffff: limited broadcast, from source address 0.0.0.0 while unconfigured, RFC 2131 §4.1).
 *
 * States: INIT → SELECTING (DHCPDISCOVER, first DHCPOFFER wins) → REQUESTING (DHCPREQUEST for
 * it) → BOUND → at T1 RENEWING (unicast to the server) → at T2 REBINDING (broadcast) → at expiry
 * back to INIT; DHCPNAK anywhere → INIT. With `previousAddress`, the client starts in INIT-REBOOT
 * (REBOOTING here) and asks for that address again. Retransmission follows RFC 2131 §4.1 (4 s,
 * 8 s, … 64 s, each ±1 s) while selecting and requesting, and §4.4.5 (half the time left, at
 * least 60 s) while renewing and rebinding. `release()` sends DHCPRELEASE, `decline()` a
 * DHCPDECLINE for an address found in use (the owner's ARP probe, RFC 2131 §4.4.1).
 *
 * Malformed or unexpected messages never throw: they are dropped, counted in `stats`, and
 * reported as a `drop` event with the reason.
 */

import {
  BootOp,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  type DhcpMessage,
  HTYPE_ETHERNET,
  MessageType,
  type MessageTypeValue,
  Option,
  decodeDhcp,
  encodeDhcp,
  isDhcpError,
  messageTypeName,
} from "../wire/dhcp.ts";
import { type Lease, leaseFromAck } from "./lease.ts";
import { backoff, renewRetransmit } from "./timing.ts";

import { BROADCAST, type DhcpClientOptions, type DhcpEvent, type DhcpState, type DhcpStats } from "./options.ts";

export type { Lease } from "./lease.ts";
export { BROADCAST, type DhcpClientOptions, type DhcpEvent, type DhcpState, type DhcpStats } from "./options.ts";
export { DHCP_CLIENT_PORT, DHCP_SERVER_PORT };

/** The options we ask for (option 55): mask, router, DNS, domain, lease time, T1, T2. */
const PARAMETER_REQUEST_LIST = [Option.SUBNET_MASK, Option.ROUTER, Option.DNS_SERVERS, Option.DOMAIN_NAME, Option.LEASE_TIME, Option.RENEWAL_TIME, Option.REBINDING_TIME];
/** RFC 2131 §3.1.5: after a DHCPDECLINE, wait at least 10 s before starting again. */
const DECLINE_WAIT_MS = 10_000;

function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class DhcpClient {
  readonly stats: DhcpStats = { sent: 0, received: 0, dropped: 0, retransmissions: 0, naks: 0, leases: 0 };
  #options: DhcpClientOptions;
  #mac: Uint8Array;
  #clientId: Uint8Array;
  #state: DhcpState = "stopped";
  #lease: Lease | undefined;
  #xid = 0;
  /** Sends of the current message so far. */
  #attempt = 0;
  /** When the current message is due again (Infinity: not waiting for an answer). */
  #nextSend = Infinity;
  /** INIT: when to start selecting (after a DHCPDECLINE or repeated DHCPNAKs). */
  #initUntil = 0;
  /** When this acquisition (or renewal) began: `secs` counts from here. */
  #startedAt = 0;
  /** When the current DHCPREQUEST was first sent: the lease's times count from here (RFC 2131 §4.4.1). */
  #requestedAt = 0;
  /** REQUESTING: the offer we asked for. */
  #offer: { address: number; server: number } | undefined;
  /** DHCPNAKs in a row, to slow a server that NAKs every request it offered. */
  #naks = 0;
  /** The address to ask for again (INIT-REBOOT, and as a hint in DHCPDISCOVER) until a server refuses it. */
  #previous: number | undefined;

  constructor(options: DhcpClientOptions) {
    if (!(options.mac instanceof Uint8Array) || options.mac.length !== 6) throw new TypeError("DhcpClient: mac must be 6 bytes");
    if (options.clientId !== undefined && options.clientId.length < 2) throw new TypeError("DhcpClient: a client identifier is at least 2 bytes (RFC 2132 §9.14)");
    if (options.hostname !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,253})$/.test(options.hostname)) throw new TypeError(`DhcpClient: "${options.hostname}" is not a host name`);
    this.#options = options;
    this.#mac = options.mac.slice();
    this.#clientId = options.clientId?.slice() ?? Uint8Array.of(HTYPE_ETHERNET, ...this.#mac);
    this.#previous = options.previousAddress || undefined;
  }

  get state(): DhcpState {
    return this.#state;
  }

  /** The lease in use (BOUND, RENEWING, REBINDING), else undefined. */
  get lease(): Lease | undefined {
    return this.#lease;
  }

  /** Starts acquiring an address (no-op unless stopped): DHCPDISCOVER now, or DHCPREQUEST for `previousAddress`. */
  start(now: number): void {
    if (this.#state !== "stopped") return;
    if (this.#previous !== undefined) {
      // RFC 2131 §3.2 (INIT-REBOOT): broadcast a DHCPREQUEST for the address, without a server id.
      this.#newExchange(now);
      this.#setState("rebooting");
      this.#requestedAt = now;
      this.#transmit(now);
      return;
    }
    // RFC 2131 §4.4.1 suggests waiting 1–10 s at first to desynchronise hosts booting together; a
    // unikernel boots once and needs its address at once, so it does not.
    this.#discover(now);
  }

  /** One UDP payload that arrived on port 68 from `source`. Never throws. */
  input(now: number, payload: Uint8Array, source: number): void {
    this.stats.received++;
    const message = decodeDhcp(payload);
    if (isDhcpError(message)) return this.#drop(message.reason, message.detail);
    if (message.op !== BootOp.REPLY) return this.#drop("not-a-reply", "a BOOTREQUEST (another client's message)");
    if (message.xid !== this.#xid || this.#nextSend === Infinity) return this.#drop("xid", `xid 0x${message.xid.toString(16)} is not the one we wait for`);
    if (message.htype !== HTYPE_ETHERNET || !macEquals(message.chaddr, this.#mac)) return this.#drop("chaddr", "for another hardware address");
    const type = message.messageType;
    switch (this.#state) {
      case "selecting":
        if (type === MessageType.OFFER) return this.#onOffer(now, message);
        break;
      case "requesting":
        // RFC 2131 §4.4.1: answers from the server we chose; others saw our REQUEST as a decline.
        if (message.serverId !== undefined && message.serverId !== this.#offer!.server) return this.#drop("server", `${messageTypeName(type)} from a server we did not choose`);
        if (type === MessageType.ACK) return this.#onAck(now, message, this.#offer!.server);
        if (type === MessageType.NAK) return this.#onNak(now, message);
        break;
      case "rebooting":
      case "renewing":
      case "rebinding":
        if (type === MessageType.ACK) return this.#onAck(now, message, this.#lease?.server);
        if (type === MessageType.NAK) return this.#onNak(now, message);
        break;
    }
    this.#drop("unexpected", `${messageTypeName(type)} from ${source >>> 24}.${(source >>> 16) & 255}.${(source >>> 8) & 255}.${source & 255} in state ${this.#state}`);
  }

  /** Runs what is due at `now` (retransmissions, T1, T2, expiry); returns when it must run next, or Infinity. */
  poll(now: number): number {
    for (let guard = 0; guard < 8; guard++) {
      const state = this.#state;
      const lease = this.#lease;
      if (lease !== undefined && now >= lease.expiresAt) {
        // RFC 2131 §4.4.5: at expiry the client stops using the address and returns to INIT.
        this.#lose(now);
        continue;
      }
      if (state === "init") {
        if (now < this.#initUntil) return this.#initUntil;
        this.#discover(now);
        continue;
      }
      if (state === "bound" && lease !== undefined && now >= lease.renewAt) {
        // RFC 2131 §4.4.5: at T1, RENEWING: DHCPREQUEST unicast to the server that leased it.
        this.#newExchange(now);
        this.#setState("renewing");
        this.#requestedAt = now;
        this.#transmit(now);
        continue;
      }
      if (state === "renewing" && lease !== undefined && now >= lease.rebindAt) {
        // RFC 2131 §4.4.5: at T2, REBINDING: the same request, broadcast to any server.
        this.#newExchange(now);
        this.#setState("rebinding");
        this.#requestedAt = now;
        this.#transmit(now);
        continue;
      }
      if (now >= this.#nextSend) {
        if ((state === "requesting" || state === "rebooting") && this.#attempt >= (this.#options.requestAttempts ?? 4)) {
          // RFC 2131 §4.4.1: no DHCPACK or DHCPNAK after the retransmissions: back to INIT.
          this.#setState("init");
          this.#initUntil = now;
          continue;
        }
        this.stats.retransmissions++;
        this.#transmit(now);
        continue;
      }
      break;
    }
    return this.#deadline();
  }

  /**
   * Gives the address back (RFC 2131 §4.4.6): DHCPRELEASE unicast to the server when there is a
   * lease, then the client stops until `start` is called again.
   */
  release(now: number): void {
    const lease = this.#lease;
    if (lease !== undefined) {
      this.#xid = this.#randomXid();
      this.#send({ ...this.#base(now, MessageType.RELEASE), secs: 0, ciaddr: lease.address, serverId: lease.server }, lease.server, 1);
    }
    this.#stop();
    if (lease !== undefined) this.#announce(undefined);
  }

  /**
   * The owner found the leased address in use (an ARP reply to its probe): DHCPDECLINE to the
   * server, then INIT again after 10 s (RFC 2131 §3.1.5, §4.4.1).
   */
  decline(now: number, reason = "address in use"): void {
    const lease = this.#lease;
    if (lease === undefined) return;
    this.#xid = this.#randomXid();
    this.#send({ ...this.#base(now, MessageType.DECLINE), secs: 0, requestedAddress: lease.address, serverId: lease.server, message: reason }, BROADCAST, 1);
    this.#lease = undefined;
    this.#nextSend = Infinity;
    this.#setState("init");
    this.#initUntil = now + DECLINE_WAIT_MS;
    this.#announce(undefined);
  }

  #discover(now: number): void {
    this.#newExchange(now);
    this.#offer = undefined;
    this.#setState("selecting");
    this.#transmit(now);
  }

  #onOffer(now: number, offer: DhcpMessage): void {
    const address = offer.yiaddr ?? 0;
    if (address === 0 || address === BROADCAST) return this.#drop("offer", "a DHCPOFFER without an address");
    // RFC 2131 §4.3.1 Table 3: a server MUST send its identifier in an offer; we need it to request.
    if (offer.serverId === undefined) return this.#drop("offer", "a DHCPOFFER without a server identifier");
    // The first acceptable offer wins (RFC 2131 §4.4.1 lets the client choose any).
    this.#offer = { address, server: offer.serverId };
    this.#attempt = 0;
    this.#setState("requesting");
    this.#requestedAt = now;
    this.#transmit(now);
  }

  #onAck(now: number, ack: DhcpMessage, server: number | undefined): void {
    const lease = leaseFromAck(ack, this.#requestedAt, server);
    if (typeof lease === "string") return this.#drop("ack", `a DHCPACK without a usable lease (${lease})`);
    if (this.#state === "rebooting" && ack.serverId === undefined) return this.#drop("ack", "a DHCPACK without a server identifier");
    this.#naks = 0;
    this.#lease = lease;
    this.#nextSend = Infinity;
    this.#offer = undefined;
    this.stats.leases++;
    this.#setState("bound");
    this.#announce(lease);
  }

  #onNak(now: number, nak: DhcpMessage): void {
    this.stats.naks++;
    this.#naks++;
    // The address was refused (moved to another network): stop asking for it.
    this.#previous = undefined;
    const had = this.#lease !== undefined;
    this.#lease = undefined;
    this.#nextSend = Infinity;
    this.#setState("init");
    // RFC 2131 §3.1.4/§4.4.1: DHCPNAK → restart at INIT. At once the first time; after NAKs in a
    // row, wait 4 s, 8 s, … so that a server that NAKs what it offers is not asked in a loop.
    this.#initUntil = this.#naks <= 1 ? now : now + backoff(this.#naks - 2, this.#options.random);
    this.#emit({ type: "drop", reason: "nak", detail: nak.message ?? "DHCPNAK" });
    if (had) this.#announce(undefined);
    this.poll(now);
  }

  /** The lease expired: stop using the address and start over (RFC 2131 §4.4.5). */
  #lose(now: number): void {
    this.#lease = undefined;
    this.#nextSend = Infinity;
    this.#setState("init");
    this.#initUntil = now;
    this.#announce(undefined);
  }

  #stop(): void {
    this.#lease = undefined;
    this.#offer = undefined;
    this.#nextSend = Infinity;
    this.#xid = 0;
    this.#setState("stopped");
  }

  #newExchange(now: number): void {
    // RFC 2131 §4.1: the xid is random, chosen anew for each exchange.
    this.#xid = this.#randomXid();
    this.#attempt = 0;
    this.#startedAt = now;
  }

  #randomXid(): number {
    const bytes = new Uint8Array(4);
    this.#options.random(bytes);
    return (((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0) || 1;
  }

  #base(now: number, messageType: MessageTypeValue): DhcpMessage {
    return {
      op: BootOp.REQUEST,
      messageType,
      xid: this.#xid,
      secs: Math.floor((now - this.#startedAt) / 1000),
      chaddr: this.#mac,
      clientId: this.#clientId,
    };
  }

  /** (Re)sends the message of the current state and sets when to send it again. */
  #transmit(now: number): void {
    const base = this.#base(now, MessageType.REQUEST);
    const options = this.#options;
    const asking = { maxMessageSize: options.maxMessageSize ?? 576, parameterRequestList: PARAMETER_REQUEST_LIST, ...(options.hostname ? { hostname: options.hostname } : {}) };
    const broadcast = options.broadcastFlag ?? true;
    const attempt = this.#attempt;
    // RFC 2131 §4.4.1 Table 5: which fields and options each DHCPREQUEST (and the DHCPDISCOVER) carries.
    switch (this.#state) {
      case "selecting":
        this.#send({ ...base, ...asking, messageType: MessageType.DISCOVER, broadcast, ...(this.#previous !== undefined ? { requestedAddress: this.#previous } : {}) }, BROADCAST, attempt + 1);
        this.#nextSend = now + backoff(attempt, options.random);
        break;
      case "requesting":
        this.#send({ ...base, ...asking, broadcast, requestedAddress: this.#offer!.address, serverId: this.#offer!.server }, BROADCAST, attempt + 1);
        this.#nextSend = now + backoff(attempt, options.random);
        break;
      case "rebooting":
        this.#send({ ...base, ...asking, broadcast, requestedAddress: this.#previous! }, BROADCAST, attempt + 1);
        this.#nextSend = now + backoff(attempt, options.random);
        break;
      case "renewing":
        this.#send({ ...base, ...asking, ciaddr: this.#lease!.address }, this.#lease!.server, attempt + 1);
        this.#nextSend = renewRetransmit(now, this.#lease!.rebindAt);
        break;
      case "rebinding":
        this.#send({ ...base, ...asking, ciaddr: this.#lease!.address }, BROADCAST, attempt + 1);
        this.#nextSend = renewRetransmit(now, this.#lease!.expiresAt);
        break;
      default:
        return;
    }
    this.#attempt = attempt + 1;
  }

  #send(message: DhcpMessage, destination: number, attempt: number): void {
    this.stats.sent++;
    this.#emit({ type: "send", message: messageTypeName(message.messageType), destination, attempt });
    this.#options.send(encodeDhcp(message), destination, message.ciaddr ?? 0);
  }

  #deadline(): number {
    const lease = this.#lease;
    switch (this.#state) {
      case "init":
        return this.#initUntil;
      case "bound":
        return Math.min(lease!.renewAt, lease!.expiresAt);
      case "renewing":
        return Math.min(this.#nextSend, lease!.rebindAt, lease!.expiresAt);
      case "rebinding":
        return Math.min(this.#nextSend, lease!.expiresAt);
      case "stopped":
        return Infinity;
      default:
        return this.#nextSend;
    }
  }

  #setState(to: DhcpState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#emit({ type: "state", from, to });
  }

  #announce(lease: Lease | undefined): void {
    this.#emit({ type: "lease", lease });
    this.#options.onLease?.(lease);
  }

  #drop(reason: string, detail: string): void {
    this.stats.dropped++;
    this.#emit({ type: "drop", reason, detail });
  }

  #emit(event: DhcpEvent): void {
    this.#options.onEvent?.(event);
  }
}
