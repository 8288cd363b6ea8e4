/**
 * @module tcpip/wire/dhcp
 * DHCP messages (RFC 2131 §2) with their options (RFC 2132), in two levels: `DhcpPacket`, a view
 * over the BOOTP fixed header whose `check` validates the length and the magic cookie once (no
 * accessor reads outside it afterwards), and `DhcpRepr`, a plain representation of the fields and
 * options a client and a server use, with `parse`, `bufferLength` and `emit`.
 *
 * Parsing never throws: a packet that is too short, lacks the magic cookie, has an option that
 * runs past the end or a known option of the wrong length is rejected with a `DhcpParseError`
 * saying why. Unknown options are skipped. An option that appears several times is concatenated
 * first (RFC 3396 §4, long options), so a split DNS server list reads as one. The option
 * overload option (52) is honoured on input: options in `file`, then `sname` are read after the
 * options field (RFC 2131 §4.1); we never overload on output. A missing End option is tolerated
 * when the options parse up to the end of the packet (pad bytes included), as udhcp and dnsmasq do.
 *
 * Emitting writes the message type first, splits values over 255 bytes into several options
 * (RFC 3396), ends with End and pads the message to 300 bytes, the BOOTP minimum that some relays
 * and servers still insist on (RFC 1542 §2.1).
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

function fail(reason: DhcpErrorReason, detail: string): DhcpParseError {
  return { reason, detail };
}

/** Whether a `check`/`parse` result is an error. */
export function isDhcpError(value: unknown): value is DhcpParseError {
  return typeof value === "object" && value !== null && "reason" in value && "detail" in value;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function putU32(bytes: Uint8Array, at: number, value: number): void {
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

const textDecoder = new TextDecoder("utf-8", { fatal: false });
const textEncoder = new TextEncoder();

/** Text of an option: NVT ASCII, but servers do send UTF-8 and trailing NULs (dropped here). */
function optionText(value: Uint8Array): string {
  let end = value.length;
  while (end > 0 && value[end - 1] === 0) end--;
  return textDecoder.decode(value.subarray(0, end));
}

/**
 * Reads the options of one region into `into` (code → concatenated value). Returns whether an End
 * option was met, or an error. RFC 2132 §2: Pad (0) and End (255) have no length byte.
 */
function readOptions(region: Uint8Array, where: string, into: Map<number, Uint8Array>): boolean | DhcpParseError {
  let at = 0;
  while (at < region.length) {
    const code = region[at]!;
    if (code === Option.PAD) {
      at++;
      continue;
    }
    if (code === Option.END) return true;
    if (at + 1 >= region.length) return fail("bad-option", `option ${code} in ${where} has no length byte`);
    const length = region[at + 1]!;
    const over = at + 2 + length - region.length;
    if (over > 0) return fail("bad-option", `option ${code} in ${where} runs ${over} byte${over === 1 ? "" : "s"} past its end`);
    const value = region.subarray(at + 2, at + 2 + length);
    const before = into.get(code);
    if (before === undefined) into.set(code, value);
    else {
      // RFC 3396 §4: the values of an option that appears more than once are concatenated.
      const joined = new Uint8Array(before.length + value.length);
      joined.set(before);
      joined.set(value, before.length);
      into.set(code, joined);
    }
    at += 2 + length;
  }
  return false;
}

/** Every option of a checked packet (code → value), following option overload (RFC 2131 §4.1). */
export function readAllOptions(packet: DhcpPacket): Map<number, Uint8Array> | DhcpParseError {
  const options = new Map<number, Uint8Array>();
  const main = readOptions(packet.options, "the options field", options);
  if (typeof main !== "boolean") return main;
  const overload = options.get(Option.OVERLOAD);
  if (overload !== undefined) {
    if (overload.length !== 1 || overload[0]! < 1 || overload[0]! > 3) return fail("bad-option", `option overload (52) must be one byte 1, 2 or 3`);
    const overloadOptions = new Map<number, Uint8Array>();
    // RFC 2131 §4.1: options, then `file` (1 or 3), then `sname` (2 or 3).
    if (overload[0]! & 1) {
      const file = readOptions(packet.file, "the overloaded file field", overloadOptions);
      if (typeof file !== "boolean") return file;
    }
    if (overload[0]! & 2) {
      const sname = readOptions(packet.sname, "the overloaded sname field", overloadOptions);
      if (typeof sname !== "boolean") return sname;
    }
    for (const [code, value] of overloadOptions) {
      const before = options.get(code);
      if (before === undefined) options.set(code, value);
      else {
        const joined = new Uint8Array(before.length + value.length);
        joined.set(before);
        joined.set(value, before.length);
        options.set(code, joined);
      }
    }
  }
  return options;
}

function addresses(value: Uint8Array): number[] {
  const list: number[] = [];
  for (let i = 0; i + 4 <= value.length; i += 4) list.push(u32(value, i));
  return list;
}

/** Parses a checked packet into a message, or says why it is malformed. */
export function parseDhcp(packet: DhcpPacket): DhcpMessage | DhcpParseError {
  const op = packet.op;
  if (op !== BootOp.REQUEST && op !== BootOp.REPLY) return fail("bad-message-type", `BOOTP op ${op} (1 or 2)`);
  const options = readAllOptions(packet);
  if (isDhcpError(options)) return options;
  const type = options.get(Option.MESSAGE_TYPE);
  // RFC 2131 §3: every DHCP message carries option 53; without it this is a BOOTP message.
  if (type === undefined) return fail("no-message-type", "no DHCP message type option (53): a BOOTP message");
  if (type.length !== 1) return fail("bad-option", `the message type option (53) is ${type.length} bytes, not 1`);
  if (type[0]! < 1 || type[0]! > 8) return fail("bad-message-type", `unknown DHCP message type ${type[0]}`);
  const exactly = (code: number, size: number, name: string): number | DhcpParseError | undefined => {
    const value = options.get(code);
    if (value === undefined) return undefined;
    if (value.length !== size) return fail("bad-option", `the ${name} option (${code}) is ${value.length} bytes, not ${size}`);
    return size === 4 ? u32(value, 0) : size === 2 ? (value[0]! << 8) | value[1]! : value[0]!;
  };
  const list = (code: number, name: string): number[] | DhcpParseError | undefined => {
    const value = options.get(code);
    if (value === undefined) return undefined;
    // RFC 2132 §3.5, §3.8: minimum length 4, always a multiple of 4.
    if (value.length === 0 || value.length % 4 !== 0) return fail("bad-option", `the ${name} option (${code}) is ${value.length} bytes, not a non-zero multiple of 4`);
    return addresses(value);
  };
  const text = (code: number, name: string): string | DhcpParseError | undefined => {
    const value = options.get(code);
    if (value === undefined) return undefined;
    // RFC 2132 §3.14, §3.17: minimum length 1.
    if (value.length === 0) return fail("bad-option", `the ${name} option (${code}) is empty`);
    return optionText(value);
  };
  const fields = {
    subnetMask: exactly(Option.SUBNET_MASK, 4, "subnet mask"),
    routers: list(Option.ROUTER, "router"),
    dnsServers: list(Option.DNS_SERVERS, "domain name server"),
    hostname: text(Option.HOSTNAME, "host name"),
    domainName: text(Option.DOMAIN_NAME, "domain name"),
    requestedAddress: exactly(Option.REQUESTED_ADDRESS, 4, "requested IP address"),
    leaseTime: exactly(Option.LEASE_TIME, 4, "lease time"),
    serverId: exactly(Option.SERVER_ID, 4, "server identifier"),
    message: text(Option.MESSAGE, "message"),
    maxMessageSize: exactly(Option.MAX_MESSAGE_SIZE, 2, "maximum message size"),
    renewalTime: exactly(Option.RENEWAL_TIME, 4, "renewal (T1) time"),
    rebindingTime: exactly(Option.REBINDING_TIME, 4, "rebinding (T2) time"),
  };
  for (const value of Object.values(fields)) if (isDhcpError(value)) return value;
  const prl = options.get(Option.PARAMETER_REQUEST_LIST);
  if (prl !== undefined && prl.length === 0) return fail("bad-option", "the parameter request list (55) is empty");
  const clientId = options.get(Option.CLIENT_ID);
  // RFC 2132 §9.14: minimum length 2 (a type and at least one byte).
  if (clientId !== undefined && clientId.length < 2) return fail("bad-option", `the client identifier (61) is ${clientId.length} bytes, at least 2`);
  const message: { -readonly [K in keyof DhcpMessage]: DhcpMessage[K] } = {
    op,
    messageType: type[0] as MessageTypeValue,
    xid: packet.xid,
    secs: packet.secs,
    broadcast: (packet.flags & FLAG_BROADCAST) !== 0,
    hops: packet.hops,
    ciaddr: packet.ciaddr,
    yiaddr: packet.yiaddr,
    siaddr: packet.siaddr,
    giaddr: packet.giaddr,
    htype: packet.htype,
    chaddr: packet.chaddr.slice(),
  };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) (message as Record<string, unknown>)[key] = value;
  if (prl !== undefined) message.parameterRequestList = Array.from(prl);
  if (clientId !== undefined) message.clientId = clientId.slice();
  return message;
}

/** Checks and parses untrusted bytes in one step. */
export function decodeDhcp(bytes: Uint8Array): DhcpMessage | DhcpParseError {
  const packet = DhcpPacket.check(bytes);
  return isDhcpError(packet) ? packet : parseDhcp(packet);
}

/** The options of a message in the order they are written: (code, value). */
function optionList(message: DhcpMessage): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [[Option.MESSAGE_TYPE, Uint8Array.of(message.messageType)]];
  const addr = (code: number, value: number | undefined) => {
    if (value === undefined) return;
    const bytes = new Uint8Array(4);
    putU32(bytes, 0, value);
    out.push([code, bytes]);
  };
  const addrs = (code: number, values: readonly number[] | undefined) => {
    if (values === undefined || values.length === 0) return;
    const bytes = new Uint8Array(values.length * 4);
    values.forEach((value, i) => putU32(bytes, i * 4, value));
    out.push([code, bytes]);
  };
  const text = (code: number, value: string | undefined) => {
    if (value !== undefined && value !== "") out.push([code, textEncoder.encode(value)]);
  };
  if (message.clientId !== undefined) out.push([Option.CLIENT_ID, message.clientId]);
  addr(Option.REQUESTED_ADDRESS, message.requestedAddress);
  addr(Option.SERVER_ID, message.serverId);
  addr(Option.LEASE_TIME, message.leaseTime);
  addr(Option.RENEWAL_TIME, message.renewalTime);
  addr(Option.REBINDING_TIME, message.rebindingTime);
  addr(Option.SUBNET_MASK, message.subnetMask);
  addrs(Option.ROUTER, message.routers);
  addrs(Option.DNS_SERVERS, message.dnsServers);
  text(Option.DOMAIN_NAME, message.domainName);
  if (message.maxMessageSize !== undefined) out.push([Option.MAX_MESSAGE_SIZE, Uint8Array.of(message.maxMessageSize >>> 8, message.maxMessageSize & 0xff)]);
  text(Option.HOSTNAME, message.hostname);
  if (message.parameterRequestList !== undefined && message.parameterRequestList.length > 0) out.push([Option.PARAMETER_REQUEST_LIST, Uint8Array.from(message.parameterRequestList)]);
  text(Option.MESSAGE, message.message);
  return out;
}

/** How many bytes a value takes as options: 2 per 255-byte piece (RFC 3396), at least one piece. */
function optionLength(value: Uint8Array): number {
  return 2 * Math.max(1, Math.ceil(value.length / 255)) + value.length;
}

/** Bytes `emitDhcp` writes for `message`: header, cookie, options, End, padded to 300. */
export function dhcpBufferLength(message: DhcpMessage): number {
  let length = FIELD.OPTIONS + 1;
  for (const [, value] of optionList(message)) length += optionLength(value);
  return Math.max(MIN_MESSAGE_LENGTH, length);
}

/** Checks what `emitDhcp` cannot write; a message built by code, so a mistake is a TypeError. */
function validate(message: DhcpMessage): void {
  if (message.chaddr.length > 16) throw new RangeError("dhcp: chaddr is at most 16 bytes");
  if (message.clientId !== undefined && message.clientId.length < 2) throw new RangeError("dhcp: a client identifier is at least 2 bytes");
  if (message.maxMessageSize !== undefined && (message.maxMessageSize < 576 || message.maxMessageSize > 0xffff)) throw new RangeError("dhcp: the maximum message size is 576…65535 (RFC 2132 §9.10)");
  for (const code of message.parameterRequestList ?? []) if (!Number.isInteger(code) || code < 1 || code > 254) throw new RangeError(`dhcp: ${code} is not an option code`);
}

/**
 * Writes `message` into `bytes[0..dhcpBufferLength(message))` (a buffer or a view over one),
 * zeroing what it does not set (sname, file, padding). Returns the length written.
 */
export function emitDhcp(message: DhcpMessage, target: Uint8Array | DhcpPacket): number {
  const bytes = target instanceof DhcpPacket ? target.bytes : target;
  validate(message);
  const length = dhcpBufferLength(message);
  if (bytes.length < length) throw new RangeError(`dhcp: the buffer is ${bytes.length} bytes, the message ${length}`);
  bytes.fill(0, 0, length);
  bytes[FIELD.OP] = message.op;
  bytes[FIELD.HTYPE] = message.htype ?? HTYPE_ETHERNET;
  bytes[FIELD.HLEN] = message.chaddr.length;
  bytes[FIELD.HOPS] = message.hops ?? 0;
  putU32(bytes, FIELD.XID, message.xid);
  const secs = Math.min(0xffff, Math.max(0, Math.floor(message.secs ?? 0)));
  bytes[FIELD.SECS] = secs >>> 8;
  bytes[FIELD.SECS + 1] = secs & 0xff;
  bytes[FIELD.FLAGS] = message.broadcast ? FLAG_BROADCAST >>> 8 : 0;
  putU32(bytes, FIELD.CIADDR, message.ciaddr ?? 0);
  putU32(bytes, FIELD.YIADDR, message.yiaddr ?? 0);
  putU32(bytes, FIELD.SIADDR, message.siaddr ?? 0);
  putU32(bytes, FIELD.GIADDR, message.giaddr ?? 0);
  bytes.set(message.chaddr, FIELD.CHADDR);
  putU32(bytes, FIELD.COOKIE, MAGIC_COOKIE);
  let at = FIELD.OPTIONS;
  for (const [code, value] of optionList(message)) {
    let offset = 0;
    do {
      const piece = value.subarray(offset, offset + 255);
      bytes[at] = code;
      bytes[at + 1] = piece.length;
      bytes.set(piece, at + 2);
      at += 2 + piece.length;
      offset += 255;
    } while (offset < value.length);
  }
  bytes[at] = Option.END;
  return length;
}

/** A message as a new byte array. */
export function encodeDhcp(message: DhcpMessage): Uint8Array {
  const bytes = new Uint8Array(dhcpBufferLength(message));
  emitDhcp(message, bytes);
  return bytes;
}
