/**
 * @module tcpip/wire/dhcp-packet
 * DHCP messages (RFC 2131 §2) with their options (RFC 2132): the ports, field offsets, message
 * types and option codes, `DhcpPacket` (a view over the BOOTP fixed header whose `check`
 * validates the length and the magic cookie once, so no accessor reads outside it afterwards),
 * `DhcpMessage` (the plain fields and options a client and a server use) and the parse error.
 * Reading is `dhcp-parse.ts`, writing `dhcp-emit.ts`; `dhcp.ts` is the one entry for all three.
 */

/** UDP ports (RFC 2131 §4.1). */
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

/** The fixed BOOTP header (236 bytes), then the magic cookie (4), then the options. */
export const FIELD = {
  OP: 0,
  HTYPE: 1,
  HLEN: 2,
  HOPS: 3,
  XID: 4,
  SECS: 8,
  FLAGS: 10,
  CIADDR: 12,
  YIADDR: 16,
  SIADDR: 20,
  GIADDR: 24,
  CHADDR: 28,
  SNAME: 44,
  FILE: 108,
  COOKIE: 236,
  OPTIONS: 240,
} as const;
export const SNAME_LENGTH = 64;
export const FILE_LENGTH = 128;
/** RFC 2131 §3: 99.130.83.99 in network order. */
export const MAGIC_COOKIE = 0x63825363;
/** RFC 1542 §2.1: BOOTP messages are at least 300 bytes; we pad what we send to that. */
export const MIN_MESSAGE_LENGTH = 300;
/** RFC 2131 §2: the BROADCAST bit of `flags`. */
export const FLAG_BROADCAST = 0x8000;

export const BootOp = { REQUEST: 1, REPLY: 2 } as const;
export const HTYPE_ETHERNET = 1;

/** Option 53 values (RFC 2132 §9.6). */
export const MessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type MessageTypeValue = (typeof MessageType)[keyof typeof MessageType];
const MESSAGE_TYPE_NAMES = ["", "DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPDECLINE", "DHCPACK", "DHCPNAK", "DHCPRELEASE", "DHCPINFORM"];

/** "DHCPOFFER" for 2. */
export function messageTypeName(type: number): string {
  return MESSAGE_TYPE_NAMES[type] ?? `DHCP message type ${type}`;
}

/** Option codes (RFC 2132). */
export const Option = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS_SERVERS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  REQUESTED_ADDRESS: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_REQUEST_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  CLIENT_ID: 61,
  END: 255,
} as const;

export type DhcpErrorReason = "truncated" | "bad-cookie" | "bad-hardware" | "bad-option" | "no-message-type" | "bad-message-type";

/** Why bytes are not a DHCP message we accept. */
export interface DhcpParseError {
  readonly reason: DhcpErrorReason;
  /** For people: what exactly was wrong. */
  readonly detail: string;
}

export function fail(reason: DhcpErrorReason, detail: string): DhcpParseError {
  return { reason, detail };
}

/** Whether a `check`/`parse` result is an error. */
export function isDhcpError(value: unknown): value is DhcpParseError {
  return typeof value === "object" && value !== null && "reason" in value && "detail" in value;
}

export function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function putU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** A view of one DHCP message: the fixed header, the cookie and the raw options area. */
export class DhcpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** A view of untrusted bytes (a UDP payload), or why they cannot be a DHCP message. */
  static check(bytes: Uint8Array): DhcpPacket | DhcpParseError {
    if (bytes.length < FIELD.OPTIONS) return fail("truncated", `a message of ${bytes.length} bytes is shorter than the 240-byte header and magic cookie`);
    // RFC 2131 §3: the options field starts with the magic cookie; without it this is plain BOOTP.
    if (u32(bytes, FIELD.COOKIE) !== MAGIC_COOKIE) return fail("bad-cookie", `no DHCP magic cookie (0x${u32(bytes, FIELD.COOKIE).toString(16).padStart(8, "0")})`);
    if (bytes[FIELD.HLEN]! > 16) return fail("bad-hardware", `a hardware address length of ${bytes[FIELD.HLEN]} (at most 16)`);
    return new DhcpPacket(bytes);
  }

  /** A view of a buffer the caller sized (`repr.bufferLength()` bytes) for emitting. */
  static unchecked(bytes: Uint8Array): DhcpPacket {
    if (bytes.length < FIELD.OPTIONS) throw new RangeError("dhcp: buffer shorter than the header and magic cookie");
    return new DhcpPacket(bytes);
  }

  get op(): number {
    return this.bytes[FIELD.OP]!;
  }
  get htype(): number {
    return this.bytes[FIELD.HTYPE]!;
  }
  get hlen(): number {
    return this.bytes[FIELD.HLEN]!;
  }
  get hops(): number {
    return this.bytes[FIELD.HOPS]!;
  }
  get xid(): number {
    return u32(this.bytes, FIELD.XID);
  }
  get secs(): number {
    return (this.bytes[FIELD.SECS]! << 8) | this.bytes[FIELD.SECS + 1]!;
  }
  get flags(): number {
    return (this.bytes[FIELD.FLAGS]! << 8) | this.bytes[FIELD.FLAGS + 1]!;
  }
  get ciaddr(): number {
    return u32(this.bytes, FIELD.CIADDR);
  }
  get yiaddr(): number {
    return u32(this.bytes, FIELD.YIADDR);
  }
  get siaddr(): number {
    return u32(this.bytes, FIELD.SIADDR);
  }
  get giaddr(): number {
    return u32(this.bytes, FIELD.GIADDR);
  }
  /** The client hardware address: `hlen` (≤ 16, checked) bytes. */
  get chaddr(): Uint8Array {
    return this.bytes.subarray(FIELD.CHADDR, FIELD.CHADDR + this.hlen);
  }
  get sname(): Uint8Array {
    return this.bytes.subarray(FIELD.SNAME, FIELD.SNAME + SNAME_LENGTH);
  }
  get file(): Uint8Array {
    return this.bytes.subarray(FIELD.FILE, FIELD.FILE + FILE_LENGTH);
  }
  /** The options after the magic cookie. */
  get options(): Uint8Array {
    return this.bytes.subarray(FIELD.OPTIONS);
  }
}

/** The fields and options of one DHCP message, all valid. Addresses are uint32 numbers. */
export interface DhcpMessage {
  readonly op: 1 | 2;
  readonly messageType: MessageTypeValue;
  readonly xid: number;
  /** Seconds since the client began acquiring or renewing (RFC 2131 §2). */
  readonly secs?: number;
  /** The BROADCAST flag: the client cannot receive unicast before it is configured (RFC 2131 §4.1). */
  readonly broadcast?: boolean;
  readonly hops?: number;
  readonly ciaddr?: number;
  readonly yiaddr?: number;
  readonly siaddr?: number;
  readonly giaddr?: number;
  /** The hardware type (1, Ethernet, by default) and address (6 bytes for Ethernet, at most 16). */
  readonly htype?: number;
  readonly chaddr: Uint8Array;
  readonly subnetMask?: number;
  readonly routers?: readonly number[];
  readonly dnsServers?: readonly number[];
  readonly hostname?: string;
  readonly domainName?: string;
  readonly requestedAddress?: number;
  /** Seconds; 0xffffffff is infinite (RFC 2132 §9.2). */
  readonly leaseTime?: number;
  readonly serverId?: number;
  readonly parameterRequestList?: readonly number[];
  /** Option 56: a server's reason for a DHCPNAK, or a client's for a DHCPDECLINE. */
  readonly message?: string;
  readonly maxMessageSize?: number;
  /** T1 and T2 in seconds (RFC 2132 §9.11, §9.12). */
  readonly renewalTime?: number;
  readonly rebindingTime?: number;
  /** Option 61: the type byte then the identifier (RFC 2132 §9.14). */
  readonly clientId?: Uint8Array;
}
