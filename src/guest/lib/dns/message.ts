/**
 * @module tsuki/dns/message
 * Whole messages: `decodeMessage(bytes)` (strict: a malformed message, trailing octets included,
 * is a `WireError`) and `encodeMessage(message)` (with name compression). EDNS(0) (RFC 6891) is
 * lifted out of the additional section into `edns`, and `rcode` is the full 12-bit code.
 */

import { RRType } from "./constants.ts";
import { WireError } from "./errors.ts";
import { lower, nameToWire } from "./names.ts";
import { decodeRdata, rdataParts } from "./rdata-wire.ts";
import type { RData, ResourceRecord } from "./records.ts";
import { WireReader } from "./wire-reader.ts";
import { NameTable, WireWriter, nameInfo } from "./wire-writer.ts";

export interface Question {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface Edns {
  /** The sender's UDP payload size (the OPT record's class). */
  readonly udpSize: number;
  readonly version: number;
  /** The DO bit (RFC 3225). */
  readonly dnssecOk: boolean;
  /** The other 15 flag bits, as sent. */
  readonly flags?: number;
  readonly options: readonly EdnsOption[];
}

export interface Message {
  readonly id: number;
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  readonly z?: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
  /** The full response code: the header's 4 bits, plus the OPT record's 8 upper bits with EDNS. */
  readonly rcode: number;
  readonly question: readonly Question[];
  readonly answer: readonly ResourceRecord[];
  readonly authority: readonly ResourceRecord[];
  readonly additional: readonly ResourceRecord[];
  readonly edns?: Edns;
}

export function decodeMessage(bytes: Uint8Array): Message {
  const reader = new WireReader(bytes);
  if (bytes.length < 12) throw new WireError(`a message of ${bytes.length} octets is shorter than its 12-octet header`, 0);
  const id = reader.u16();
  const flags = reader.u16();
  const counts = [reader.u16(), reader.u16(), reader.u16(), reader.u16()] as const;
  const question: Question[] = [];
  for (let i = 0; i < counts[0]; i++) question.push({ name: reader.name(), type: reader.u16("a question's type"), class: reader.u16("a question's class") });
  const sections: ResourceRecord[][] = [[], [], []];
  let edns: Edns | undefined;
  let extended = 0;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const start = reader.pos;
      const name = reader.name();
      const type = reader.u16("a record's type");
      const klass = reader.u16("a record's class");
      const ttl = reader.u32("a record's TTL");
      const length = reader.u16("a record's RDLENGTH");
      if (type === RRType.OPT) {
        if (s !== 2) throw new WireError("an OPT record outside the additional section", start);
        if (edns) throw new WireError("a second OPT record", start);
        if (name !== ".") throw new WireError("an OPT record not owned by the root", start);
        reader.need(length, "the OPT record's RDATA");
        const end = reader.pos + length;
        const options: EdnsOption[] = [];
        while (reader.pos < end) {
          const code = reader.u16();
          const size = reader.u16();
          if (reader.pos + size > end) throw new WireError("an EDNS option runs past the OPT record", reader.pos);
          options.push({ code, data: reader.take(size) });
        }
        if (reader.pos !== end) throw new WireError("the OPT record's RDATA ends inside an option header", reader.pos);
        extended = ttl >>> 24;
        edns = { udpSize: klass, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0, flags: ttl & 0x7fff, options };
        continue;
      }
      const data = decodeRdata(reader, type, length);
      sections[s]!.push({ name, type, class: klass, ttl, data });
    }
  }
  if (reader.remaining > 0) throw new WireError(`${reader.remaining} octets after the last record`, reader.pos);
  const message: Message = {
    id,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: (extended << 4) | (flags & 0xf),
    question,
    answer: sections[0]!,
    authority: sections[1]!,
    additional: sections[2]!,
  };
  return edns ? { ...message, edns } : message;
}

export interface EncodeOptions {
  /** Compress names (RFC 1035 §4.1.4). Default true. */
  readonly compress?: boolean;
}

/** Encodes a message. Names in records are written lower-cased; question names as given. */
export function encodeMessage(message: Message, options: EncodeOptions = {}): Uint8Array {
  const compress = options.compress ?? true;
  const names = new NameTable();
  const writer = new WireWriter();
  const edns = message.edns;
  if (message.rcode > 0xf && !edns) throw new TypeError(`rcode ${message.rcode} needs EDNS (an OPT record carries its upper bits)`);
  writer.u16(message.id);
  writer.u16(
    (message.qr ? 0x8000 : 0) | ((message.opcode & 0xf) << 11) | (message.aa ? 0x400 : 0) | (message.tc ? 0x200 : 0) | (message.rd ? 0x100 : 0) |
      (message.ra ? 0x80 : 0) | (message.z ? 0x40 : 0) | (message.ad ? 0x20 : 0) | (message.cd ? 0x10 : 0) | (message.rcode & 0xf),
  );
  writer.u16(message.question.length);
  writer.u16(message.answer.length);
  writer.u16(message.authority.length);
  writer.u16(message.additional.length + (edns ? 1 : 0));
  for (const q of message.question) {
    const info = nameInfo(lower(q.name), nameToWire(q.name));
    const at = writer.pos;
    writer.bytes(info.wire);
    if (compress) writer.register(info, at);
    writer.u16(q.type);
    writer.u16(q.class);
  }
  const record = (rr: ResourceRecord<RData>) => {
    writer.name(names.get(lower(rr.name)), compress);
    writer.u16(rr.type);
    writer.u16(rr.class);
    writer.u32(rr.ttl >>> 0);
    const lengthAt = writer.pos;
    writer.pos += 2;
    for (const part of rdataParts(rr.type, rr.data, (key) => names.get(key))) {
      if (part instanceof Uint8Array) writer.bytes(part);
      else writer.name(part.name, compress && part.compress);
    }
    writer.setU16(lengthAt, writer.pos - lengthAt - 2);
  };
  for (const rr of message.answer) record(rr);
  for (const rr of message.authority) record(rr);
  for (const rr of message.additional) record(rr);
  if (edns) {
    writer.u8(0);
    writer.u16(RRType.OPT);
    writer.u16(edns.udpSize);
    writer.u32((((message.rcode >>> 4) & 0xff) << 24) | ((edns.version & 0xff) << 16) | (edns.dnssecOk ? 0x8000 : 0) | ((edns.flags ?? 0) & 0x7fff));
    const lengthAt = writer.pos;
    writer.pos += 2;
    for (const option of edns.options) {
      writer.u16(option.code);
      writer.u16(option.data.length);
      writer.bytes(option.data);
    }
    writer.setU16(lengthAt, writer.pos - lengthAt - 2);
  }
  if (writer.pos > 65535) throw new RangeError(`the message is ${writer.pos} octets: at most 65,535`);
  return writer.result();
}
