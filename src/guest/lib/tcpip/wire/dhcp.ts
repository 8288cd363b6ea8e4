/**
 * @module tcpip/wire/dhcp
 * DHCP messages (RFC 2131 §2) with their options (RFC 2132), in two levels: `DhcpPacket`, a view
 * over the BOOTP fixed header, and `DhcpMessage`, a plain representation of the fields and options
 * a client and a server use (`dhcp-packet.ts`); `parseDhcp`/`decodeDhcp` read one from untrusted
 * bytes without ever throwing (`dhcp-parse.ts`), `dhcpBufferLength`/`emitDhcp`/`encodeDhcp` write
 * one (`dhcp-emit.ts`). This module is the one entry for all of it.
 */

export {
  BootOp,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DhcpPacket,
  FIELD,
  FILE_LENGTH,
  FLAG_BROADCAST,
  HTYPE_ETHERNET,
  MAGIC_COOKIE,
  MIN_MESSAGE_LENGTH,
  MessageType,
  Option,
  SNAME_LENGTH,
  isDhcpError,
  messageTypeName,
  type DhcpErrorReason,
  type DhcpMessage,
  type DhcpParseError,
  type MessageTypeValue,
} from "./dhcp-packet.ts";
export { decodeDhcp, parseDhcp, readAllOptions } from "./dhcp-parse.ts";
export { dhcpBufferLength, emitDhcp, encodeDhcp } from "./dhcp-emit.ts";
