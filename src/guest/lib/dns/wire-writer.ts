/**
 * @module tsuki/dns/wire-writer
 * Writing DNS wire format into one reusable buffer, with name compression (RFC 1035 §4.1.4):
 * every name written registers its suffixes (lower-cased, so matching is case-insensitive as in
 * NSD) with their offsets, and a later name whose suffix was seen points to it. A writer can be
 * rewound to a mark, forgetting the suffixes registered after it, which is how a record that
 * does not fit is taken back out.
 */

import { labelStarts, nameToWire } from "./names.ts";

/** A name ready to be written: its lower-cased text, wire octets, and every suffix with its offset. */
export interface NameInfo {
  readonly key: string;
  readonly wire: Uint8Array;
  readonly suffixKeys: readonly string[];
  readonly suffixOffsets: readonly number[];
}

/** Builds the NameInfo of a canonical (lower-cased) name; `wire` may carry another case. */
export function nameInfo(key: string, wire: Uint8Array = nameToWire(key)): NameInfo {
  const starts = labelStarts(key);
  const suffixKeys: string[] = [];
  const suffixOffsets: number[] = [];
  let offset = 0;
  for (const start of starts) {
    suffixKeys.push(key.slice(start));
    suffixOffsets.push(offset);
    offset += wire[offset]! + 1;
  }
  return { key, wire, suffixKeys, suffixOffsets };
}

/** Interns NameInfo by key, so that a zone's names are built once. */
export class NameTable {
  #names = new Map<string, NameInfo>();

  get(key: string): NameInfo {
    let info = this.#names.get(key);
    if (!info) {
      info = nameInfo(key);
      this.#names.set(key, info);
    }
    return info;
  }
}

/** Room for the largest message (64 KiB) plus one record of the largest size that overflows it. */
const CAPACITY = 65536 * 2 + 1024;

export class WireWriter {
  readonly buf: Uint8Array;
  pos = 0;
  #compression = new Map<string, number>();
  /** The keys registered, in order, with their offsets, so that a rewind can forget them. */
  #registered: string[] = [];
  #offsets: number[] = [];

  constructor(capacity = CAPACITY) {
    this.buf = new Uint8Array(capacity);
  }

  reset(): void {
    this.pos = 0;
    this.#compression.clear();
    this.#registered.length = 0;
    this.#offsets.length = 0;
  }

  /** Goes back to `mark`, forgetting the compression targets written after it. */
  rewind(mark: number): void {
    this.pos = mark;
    while (this.#offsets.length > 0 && this.#offsets[this.#offsets.length - 1]! >= mark) {
      this.#compression.delete(this.#registered.pop()!);
      this.#offsets.pop();
    }
  }

  u8(value: number): void {
    this.buf[this.pos++] = value;
  }

  u16(value: number): void {
    this.buf[this.pos++] = value >>> 8;
    this.buf[this.pos++] = value & 0xff;
  }

  u32(value: number): void {
    this.buf[this.pos++] = value >>> 24;
    this.buf[this.pos++] = (value >>> 16) & 0xff;
    this.buf[this.pos++] = (value >>> 8) & 0xff;
    this.buf[this.pos++] = value & 0xff;
  }

  bytes(data: Uint8Array): void {
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  setU16(at: number, value: number): void {
    this.buf[at] = value >>> 8;
    this.buf[at + 1] = value & 0xff;
  }

  /** Registers the suffixes of a name whose octets are at `at` (they must not be compressed). */
  register(info: NameInfo, at: number, upTo = info.suffixKeys.length): void {
    for (let i = 0; i < upTo; i++) {
      const offset = at + info.suffixOffsets[i]!;
      if (offset > 0x3fff) return;
      const key = info.suffixKeys[i]!;
      if (this.#compression.has(key)) continue;
      this.#compression.set(key, offset);
      this.#registered.push(key);
      this.#offsets.push(offset);
    }
  }

  /** Writes a name, compressed against the names already written when `compress` is set. */
  name(info: NameInfo, compress = true): void {
    const start = this.pos;
    if (compress) {
      const keys = info.suffixKeys;
      for (let i = 0; i < keys.length; i++) {
        const target = this.#compression.get(keys[i]!);
        if (target === undefined) continue;
        const cut = info.suffixOffsets[i]!;
        this.buf.set(info.wire.subarray(0, cut), this.pos);
        this.pos += cut;
        this.u16(0xc000 | target);
        this.register(info, start, i);
        return;
      }
    }
    this.bytes(info.wire);
    if (compress) this.register(info, start);
  }

  /** A copy of what was written. */
  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
