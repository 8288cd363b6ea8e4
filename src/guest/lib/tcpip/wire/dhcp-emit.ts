/**
 * @module tcpip/wire/dhcp-emit
 * Writing a DHCP message: the message type first, values over 255 bytes split into several
 * options (RFC 3396), End last, padded to 300 bytes, the BOOTP minimum that some relays and
 * servers still insist on (RFC 1542 §2.1). We never overload options into `sname` or `file`.
 */

import { type DhcpMessage, DhcpPacket, FIELD, FLAG_BROADCAST, HTYPE_ETHERNET, MAGIC_COOKIE, MIN_MESSAGE_LENGTH, Option, putU32 } from "./dhcp-packet.ts";

const textEncoder = new TextEncoder();

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
