/**
 * @module tcpip/wire/dhcp-parse
 * Reading a DHCP message. Parsing never throws: a packet that is too short, lacks the magic
 * cookie, has an option that runs past the end or a known option of the wrong length is rejected
 * with a `DhcpParseError` saying why. Unknown options are skipped. An option that appears several
 * times is concatenated first (RFC 3396 §4, long options), so a split DNS server list reads as
 * one. The option overload option (52) is honoured: options in `file`, then `sname` are read after
 * the options field (RFC 2131 §4.1). A missing End option is tolerated when the options parse up
 * to the end of the packet (pad bytes included), as udhcp and dnsmasq do.
 */

import { BootOp, type DhcpMessage, DhcpPacket, type DhcpParseError, FLAG_BROADCAST, type MessageTypeValue, Option, fail, isDhcpError, u32 } from "./dhcp-packet.ts";

const textDecoder = new TextDecoder("utf-8", { fatal: false });

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
