/**
 * @module tcpip/wire/tcp
 * TCP headers (RFC 9293 §3.1): a bounds-checked view and a representation.
 *
 * `TcpPacket.check` makes sure the buffer holds a whole header (data offset ≥ 5 words, within the
 * buffer), so no accessor can leave it afterwards. `TcpRepr` holds one segment as plain fields and
 * can be parsed into again and again (the receive path reuses one, so a segment costs no
 * allocation but its payload view). Parsing sheds what a representation must not hold: a bad
 * checksum, impossible flag combinations (SYN with FIN or RST), malformed options. Options
 * understood: EOL, NOP, MSS (RFC 9293 §3.7.1), window scale (RFC 7323 §2), SACK-permitted and SACK
 * blocks (RFC 2018), timestamps (RFC 7323 §3; parsed, never emitted by the stack); unknown options
 * are skipped by their length (RFC 9293 §3.1: "must be prepared to handle an illegal option length";
 * a bad length drops the segment).
 */

import { fold, pseudoHeaderSum, sum } from "./checksum.ts";

export const TCP_HEADER_LENGTH = 20;
export const PROTOCOL_TCP = 6;

export const FIELD = {
  SOURCE_PORT: 0,
  DESTINATION_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DATA_OFFSET: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
} as const;

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;

const OPTION_EOL = 0;
const OPTION_NOP = 1;
const OPTION_MSS = 2;
const OPTION_WINDOW_SCALE = 3;
const OPTION_SACK_PERMITTED = 4;
const OPTION_SACK = 5;
const OPTION_TIMESTAMPS = 8;

/** RFC 7323 §2.3: a shift above 14 is used as 14. */
export const MAX_WINDOW_SHIFT = 14;

export type TcpError = "truncated" | "bad-data-offset" | "bad-checksum" | "bad-flags" | "bad-option" | "bad-port";

export function read16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}
export function read32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
export function write16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value & 0xff;
}
export function write32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** A view of one TCP segment (header and data) filling `bytes`. */
export class TcpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Checks that a whole header fits: afterwards no accessor reads outside `bytes`. */
  static check(bytes: Uint8Array): TcpPacket | TcpError {
    const error = TcpPacket.validate(bytes);
    return error ?? new TcpPacket(bytes);
  }

  /** `check` without making a view, for the receive path: the reason it is not a segment, or undefined. */
  static validate(bytes: Uint8Array): TcpError | undefined {
    if (bytes.length < TCP_HEADER_LENGTH) return "truncated";
    const offset = (bytes[FIELD.DATA_OFFSET]! >>> 4) * 4;
    if (offset < TCP_HEADER_LENGTH || offset > bytes.length) return "bad-data-offset";
    return undefined;
  }

  /** A view for emitting into a buffer of at least a header's length. */
  static unchecked(bytes: Uint8Array): TcpPacket {
    if (bytes.length < TCP_HEADER_LENGTH) throw new RangeError("tcp: buffer shorter than a header");
    return new TcpPacket(bytes);
  }

  get sourcePort(): number {
    return read16(this.bytes, FIELD.SOURCE_PORT);
  }
  get destinationPort(): number {
    return read16(this.bytes, FIELD.DESTINATION_PORT);
  }
  get seq(): number {
    return read32(this.bytes, FIELD.SEQ);
  }
  get ack(): number {
    return read32(this.bytes, FIELD.ACK);
  }
  get headerLength(): number {
    return (this.bytes[FIELD.DATA_OFFSET]! >>> 4) * 4;
  }
  get flags(): number {
    return this.bytes[FIELD.FLAGS]!;
  }
  get window(): number {
    return read16(this.bytes, FIELD.WINDOW);
  }
  get checksum(): number {
    return read16(this.bytes, FIELD.CHECKSUM);
  }
  get urgent(): number {
    return read16(this.bytes, FIELD.URGENT);
  }
  get options(): Uint8Array {
    return this.bytes.subarray(TCP_HEADER_LENGTH, this.headerLength);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLength);
  }
  /** Whether the segment sums to zero with the IPv4 pseudo-header (RFC 9293 §3.1). */
  verifyChecksum(source: number, destination: number): boolean {
    return fold(sum(this.bytes, 0, this.bytes.length, pseudoHeaderSum(source, destination, PROTOCOL_TCP, this.bytes.length))) === 0;
  }
}

/** Computes and writes the checksum of the segment at `buffer[offset..offset+length)`. */
export function fillChecksum(buffer: Uint8Array, offset: number, length: number, source: number, destination: number): void {
  buffer[offset + FIELD.CHECKSUM] = 0;
  buffer[offset + FIELD.CHECKSUM + 1] = 0;
  write16(buffer, offset + FIELD.CHECKSUM, fold(sum(buffer, offset, offset + length, pseudoHeaderSum(source, destination, PROTOCOL_TCP, length))));
}

/**
 * One TCP segment as plain fields. `mss`/`windowScale` are -1 when absent; `timestampValue` is -1
 * when the option is absent. `payload` is a view into the parsed buffer (valid while it is).
 */
export class TcpRepr {
  sourcePort = 0;
  destinationPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  urgent = 0;
  mss = -1;
  windowScale = -1;
  sackPermitted = false;
  timestampValue = -1;
  timestampEcho = 0;
  /** SACK blocks as left, right edge pairs (`sackCount` pairs are valid). */
  readonly sackBlocks: number[] = [];
  sackCount = 0;
  payload: Uint8Array = EMPTY;

  /** The sequence space the segment occupies: data, plus one for SYN and one for FIN. */
  get seqLength(): number {
    return this.payload.length + (this.flags & SYN ? 1 : 0) + (this.flags & FIN ? 1 : 0);
  }

  /**
   * Parses `packet` into this representation (fields not present are reset). With `checksum`
   * (source and destination addresses), verifies it first.
   */
  parse(packet: TcpPacket, checksum?: { source: number; destination: number }): TcpError | undefined {
    return this.parseValidated(packet.bytes, checksum);
  }

  /**
   * `parse` for bytes `TcpPacket.validate` accepted (the receive path, which makes no view).
   */
  parseValidated(bytes: Uint8Array, checksum?: { source: number; destination: number }): TcpError | undefined {
    if (checksum && fold(sum(bytes, 0, bytes.length, pseudoHeaderSum(checksum.source, checksum.destination, PROTOCOL_TCP, bytes.length))) !== 0) return "bad-checksum";
    const flags = bytes[FIELD.FLAGS]!;
    // RFC 9293 §3.10.7: SYN+FIN and SYN+RST have no meaning in any state; we drop them at the wire,
    // as Linux does (its tcp_rcv_state_process ignores such segments).
    if (flags & SYN && flags & (FIN | RST)) return "bad-flags";
    const sourcePort = read16(bytes, FIELD.SOURCE_PORT);
    const destinationPort = read16(bytes, FIELD.DESTINATION_PORT);
    // Port 0 is reserved (RFC 6335 §6): no connection can use it.
    if (sourcePort === 0 || destinationPort === 0) return "bad-port";
    this.mss = -1;
    this.windowScale = -1;
    this.sackPermitted = false;
    this.timestampValue = -1;
    this.timestampEcho = 0;
    this.sackCount = 0;
    const headerLength = (bytes[FIELD.DATA_OFFSET]! >>> 4) * 4;
    if (headerLength > TCP_HEADER_LENGTH && parseOptions(bytes, TCP_HEADER_LENGTH, headerLength, this, (flags & SYN) !== 0) !== undefined) return "bad-option";
    this.sourcePort = sourcePort;
    this.destinationPort = destinationPort;
    this.seq = read32(bytes, FIELD.SEQ);
    this.ack = read32(bytes, FIELD.ACK);
    this.flags = flags;
    this.window = read16(bytes, FIELD.WINDOW);
    this.urgent = read16(bytes, FIELD.URGENT);
    this.payload = headerLength === bytes.length ? EMPTY : bytes.subarray(headerLength);
    return undefined;
  }

  /** The header length this representation emits: 20 bytes plus its options, padded to words. */
  headerLength(): number {
    return headerLengthFor(this.mss >= 0, this.windowScale >= 0, this.sackPermitted, this.timestampValue >= 0, this.sackCount);
  }

  /** `headerLength()` plus the payload. */
  bufferLength(): number {
    return this.headerLength() + this.payload.length;
  }

  /**
   * Writes the header and payload at `buffer[offset..offset+bufferLength())`, checksum included.
   */
  emit(buffer: Uint8Array, offset: number, source: number, destination: number): void {
    const headerLength = emitHeader(buffer, offset, this);
    buffer.set(this.payload, offset + headerLength);
    fillChecksum(buffer, offset, headerLength + this.payload.length, source, destination);
  }
}

const EMPTY = new Uint8Array(0);

/** The fields `emitHeader` writes. */
export interface HeaderFields {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent?: number;
  mss: number;
  windowScale: number;
  sackPermitted?: boolean;
  /** SACK blocks (left, right pairs); the first `sackCount` pairs are sent. */
  sackBlocks?: readonly number[];
  sackCount?: number;
  timestampValue?: number;
  timestampEcho?: number;
}

/** RFC 2018 §3: at most four blocks fit beside no timestamps (40 bytes of options). */
export const MAX_SACK_BLOCKS = 4;

export function headerLengthFor(mss: boolean, windowScale: boolean, sackPermitted = false, timestamps = false, sackBlocks = 0): number {
  let options = 0;
  // NOP, NOP, kind, length, then 8 bytes a block: a whole number of words.
  if (sackBlocks > 0) options += 4 + 8 * sackBlocks;
  if (mss) options += 4;
  if (windowScale) options += 3;
  if (sackPermitted) options += 2;
  if (timestamps) options += 10;
  return TCP_HEADER_LENGTH + ((options + 3) & ~3);
}

/** Writes a header (checksum zero) at `buffer[offset..]`; returns its length. */
export function emitHeader(buffer: Uint8Array, offset: number, fields: HeaderFields): number {
  const timestamps = fields.timestampValue !== undefined && fields.timestampValue >= 0;
  const sackCount = fields.sackCount ?? 0;
  const headerLength = headerLengthFor(fields.mss >= 0, fields.windowScale >= 0, fields.sackPermitted === true, timestamps, sackCount);
  write16(buffer, offset + FIELD.SOURCE_PORT, fields.sourcePort);
  write16(buffer, offset + FIELD.DESTINATION_PORT, fields.destinationPort);
  write32(buffer, offset + FIELD.SEQ, fields.seq);
  write32(buffer, offset + FIELD.ACK, fields.ack);
  buffer[offset + FIELD.DATA_OFFSET] = (headerLength / 4) << 4;
  buffer[offset + FIELD.FLAGS] = fields.flags;
  write16(buffer, offset + FIELD.WINDOW, fields.window);
  write32(buffer, offset + FIELD.CHECKSUM, fields.urgent ?? 0); // checksum 0, then the urgent pointer
  let at = offset + TCP_HEADER_LENGTH;
  if (sackCount > 0) {
    const blocks = fields.sackBlocks!;
    buffer[at] = OPTION_NOP;
    buffer[at + 1] = OPTION_NOP;
    buffer[at + 2] = OPTION_SACK;
    buffer[at + 3] = 2 + 8 * sackCount;
    at += 4;
    for (let i = 0; i < 2 * sackCount; i++, at += 4) write32(buffer, at, blocks[i]!);
  }
  if (fields.mss >= 0) {
    buffer[at] = OPTION_MSS;
    buffer[at + 1] = 4;
    write16(buffer, at + 2, fields.mss);
    at += 4;
  }
  if (fields.windowScale >= 0) {
    buffer[at] = OPTION_WINDOW_SCALE;
    buffer[at + 1] = 3;
    buffer[at + 2] = fields.windowScale;
    at += 3;
  }
  if (fields.sackPermitted) {
    buffer[at] = OPTION_SACK_PERMITTED;
    buffer[at + 1] = 2;
    at += 2;
  }
  if (timestamps) {
    buffer[at] = OPTION_TIMESTAMPS;
    buffer[at + 1] = 10;
    write32(buffer, at + 2, fields.timestampValue!);
    write32(buffer, at + 6, fields.timestampEcho ?? 0);
    at += 10;
  }
  while (at < offset + headerLength) buffer[at++] = OPTION_EOL;
  return headerLength;
}

/** Parses options in `bytes[start..end)` into `into`; returns an error name or undefined. */
function parseOptions(bytes: Uint8Array, start: number, end: number, into: TcpRepr, syn: boolean): TcpError | undefined {
  let at = start;
  while (at < end) {
    const kind = bytes[at]!;
    if (kind === OPTION_EOL) break;
    if (kind === OPTION_NOP) {
      at++;
      continue;
    }
    if (at + 1 >= end) return "bad-option";
    const length = bytes[at + 1]!;
    if (length < 2 || at + length > end) return "bad-option";
    switch (kind) {
      case OPTION_MSS:
        if (length !== 4) return "bad-option";
        // RFC 9293 §3.7.1: MSS is only meaningful on a SYN; elsewhere it is ignored.
        if (syn) into.mss = read16(bytes, at + 2);
        break;
      case OPTION_WINDOW_SCALE:
        if (length !== 3) return "bad-option";
        // RFC 7323 §2.2: only in a SYN; RFC 7323 §2.3: a shift above 14 is taken as 14.
        if (syn) into.windowScale = Math.min(bytes[at + 2]!, MAX_WINDOW_SHIFT);
        break;
      case OPTION_SACK_PERMITTED:
        if (length !== 2) return "bad-option";
        if (syn) into.sackPermitted = true;
        break;
      case OPTION_TIMESTAMPS:
        if (length !== 10) return "bad-option";
        into.timestampValue = read32(bytes, at + 2);
        into.timestampEcho = read32(bytes, at + 6);
        break;
      case OPTION_SACK: {
        // RFC 2018 §3: 2 + 8n bytes.
        if ((length - 2) % 8 !== 0) return "bad-option";
        const blocks = into.sackBlocks;
        let count = 0;
        for (let b = at + 2; b + 8 <= at + length; b += 8, count++) {
          blocks[2 * count] = read32(bytes, b);
          blocks[2 * count + 1] = read32(bytes, b + 4);
        }
        into.sackCount = count;
        break;
      }
      default:
        // Unknown options: skipped by their length.
        break;
    }
    at += length;
  }
  return undefined;
}
