/**
 * @module guest/runtime/web/encoding
 *
 * `TextEncoder` and a UTF-8 `TextDecoder` (WHATWG Encoding Standard) for a bare V8 isolate, which
 * has neither. The guest runtime installs both as globals.
 *
 * Guarantees:
 * - `TextEncoder` writes UTF-8 and turns lone surrogates into U+FFFD; `encodeInto` writes only
 *   whole code points and reports `{ read, written }` in UTF-16 code units and bytes.
 * - `TextDecoder` is the WHATWG UTF-8 decoder exactly: one U+FFFD per maximal subpart of an invalid
 *   sequence, state carried across `{ stream: true }` calls, one leading BOM stripped unless
 *   `ignoreBOM`, and a TypeError (after which the decoder starts afresh) when `fatal`.
 * - Only UTF-8 is supported: its six WHATWG labels are accepted (ASCII case-insensitive, ASCII
 *   whitespace trimmed); any other label is a RangeError.
 * - Input may be an ArrayBuffer, a SharedArrayBuffer or any ArrayBufferView; it is read in place,
 *   never copied, and a detached buffer reads as empty.
 * - Strings are built from code-unit chunks with `String.fromCharCode.apply`, never per character.
 */

import { isArrayBuffer, isSharedArrayBuffer, typedArrayName } from "../core/brands.ts";

/** What `decode` accepts (WebIDL `AllowSharedBufferSource`). */
export type BufferSourceLike = ArrayBufferLike | ArrayBufferView;

export interface TextEncoderEncodeIntoResult {
  read: number;
  written: number;
}

export interface TextDecoderOptions {
  fatal?: boolean;
  ignoreBOM?: boolean;
}

export interface TextDecodeOptions {
  stream?: boolean;
}

const UTF8_LABELS = ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"];
/** Code units handed to one `String.fromCharCode.apply` call: far below any engine argument limit. */
const CHUNK = 8192;

/** Decodes `units[start, end)` (UTF-16 code units or Latin-1 bytes) into a string, chunk by chunk. */
export function fromCharCodes(units: Uint8Array | Uint16Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i += CHUNK) {
    const part = units.subarray(i, Math.min(i + CHUNK, end));
    out += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return out;
}

export class TextEncoder {
  get encoding(): "utf-8" {
    return "utf-8";
  }

  encode(input: unknown = ""): Uint8Array<ArrayBuffer> {
    const text = `${input}`;
    const n = text.length;
    let size = n;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) continue;
      if (c < 0x800) {
        size += 1;
      } else if (c <= 0xdbff && c >= 0xd800 && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        size += 2; // two code units, four bytes
        i++;
      } else {
        size += 2; // three bytes, lone surrogates included (they become U+FFFD)
      }
    }
    const bytes = new Uint8Array(size);
    if (size === n) {
      for (let i = 0; i < n; i++) bytes[i] = text.charCodeAt(i);
    } else {
      writeUtf8(text, bytes);
    }
    return bytes;
  }

  encodeInto(source: unknown, destination: Uint8Array): TextEncoderEncodeIntoResult {
    const text = `${source}`;
    if (typedArrayName(destination) !== "Uint8Array") {
      throw new TypeError('The "dest" argument must be an instance of Uint8Array');
    }
    return writeUtf8(text, destination);
  }
}

/** Writes the UTF-8 of `text` into `dest` until the next code point would not fit. */
function writeUtf8(text: string, dest: Uint8Array): TextEncoderEncodeIntoResult {
  const n = text.length;
  const cap = dest.length;
  let i = 0;
  let j = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      if (j >= cap) break;
      dest[j++] = c;
      i++;
      continue;
    }
    if (c < 0x800) {
      if (j + 2 > cap) break;
      dest[j++] = 0xc0 | (c >> 6);
      dest[j++] = 0x80 | (c & 0x3f);
      i++;
      continue;
    }
    if ((c & 0xf800) === 0xd800) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
        if (j + 4 > cap) break;
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        dest[j++] = 0xf0 | (cp >> 18);
        dest[j++] = 0x80 | ((cp >> 12) & 0x3f);
        dest[j++] = 0x80 | ((cp >> 6) & 0x3f);
        dest[j++] = 0x80 | (cp & 0x3f);
        i += 2;
        continue;
      }
      c = 0xfffd; // a lone surrogate is not a scalar value (USVString conversion)
    }
    if (j + 3 > cap) break;
    dest[j++] = 0xe0 | (c >> 12);
    dest[j++] = 0x80 | ((c >> 6) & 0x3f);
    dest[j++] = 0x80 | (c & 0x3f);
    i++;
  }
  return { read: i, written: j };
}

export class TextDecoder {
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  // The WHATWG UTF-8 decoder's state (Encoding §9.1.1) plus the TextDecoder's own flags.
  #codePoint = 0;
  #needed = 0;
  #seen = 0;
  #lower = 0x80;
  #upper = 0xbf;
  #bomSeen = false;
  #doNotFlush = false;

  constructor(label: unknown = "utf-8", options: TextDecoderOptions | null = {}) {
    const name = `${label}`.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "").replace(/[A-Z]+/g, (s) => s.toLowerCase());
    if (!UTF8_LABELS.includes(name)) {
      throw new RangeError(`The "${label}" encoding is not supported`);
    }
    const { fatal = false, ignoreBOM = false } = dictionary(options, "options");
    this.#fatal = Boolean(fatal);
    this.#ignoreBOM = Boolean(ignoreBOM);
  }

  get encoding(): "utf-8" {
    return "utf-8";
  }

  get fatal(): boolean {
    return this.#fatal;
  }

  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }

  decode(input?: BufferSourceLike, options: TextDecodeOptions | null = {}): string {
    const bytes = viewBytes(input);
    const stream = Boolean(dictionary(options, "options").stream);
    if (!this.#doNotFlush) {
      this.#reset();
      this.#bomSeen = false;
    }
    this.#doNotFlush = stream;
    let text: string;
    try {
      text = this.#run(bytes, !stream);
    } catch (error) {
      // Encoding §7.1 would keep the undecoded bytes queued; like Node, start afresh instead.
      this.#reset();
      this.#doNotFlush = false;
      throw error;
    }
    if (!this.#ignoreBOM && !this.#bomSeen && text.length > 0) {
      this.#bomSeen = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  }

  #reset(): void {
    this.#codePoint = this.#needed = this.#seen = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
  }

  /** Runs the UTF-8 decoder over `bytes`; with `flush`, also over end-of-queue. */
  #run(bytes: Uint8Array, flush: boolean): string {
    const n = bytes.length;
    let cp = this.#codePoint;
    let needed = this.#needed;
    let seen = this.#seen;
    let lower = this.#lower;
    let upper = this.#upper;
    let i = 0;
    if (needed === 0) {
      while (i < n && bytes[i]! < 0x80) i++;
    }
    let text = fromCharCodes(bytes, 0, i); // the leading ASCII run, straight from the input
    if (i === n && (needed === 0 || !flush)) return text;

    const units = new Uint16Array(Math.min(n - i + 4, CHUNK));
    const room = units.length - 2; // one byte yields at most two code units
    let k = 0;
    for (; i < n; i++) {
      if (k >= room) {
        text += fromCharCodes(units, 0, k);
        k = 0;
      }
      const byte = bytes[i]!;
      if (needed === 0) {
        if (byte < 0x80) {
          units[k++] = byte;
        } else if (byte >= 0xc2 && byte <= 0xdf) {
          needed = 1;
          cp = byte & 0x1f;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) lower = 0xa0;
          else if (byte === 0xed) upper = 0x9f; // no surrogates
          needed = 2;
          cp = byte & 0xf;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) lower = 0x90;
          else if (byte === 0xf4) upper = 0x8f; // nothing above U+10FFFF
          needed = 3;
          cp = byte & 0x7;
        } else {
          if (this.#fatal) throw invalidData();
          units[k++] = 0xfffd;
        }
        continue;
      }
      if (byte < lower || byte > upper) {
        // The bytes so far are a maximal subpart: one U+FFFD, then this byte starts afresh.
        cp = needed = seen = 0;
        lower = 0x80;
        upper = 0xbf;
        if (this.#fatal) throw invalidData();
        units[k++] = 0xfffd;
        i--;
        continue;
      }
      lower = 0x80;
      upper = 0xbf;
      cp = (cp << 6) | (byte & 0x3f);
      if (++seen !== needed) continue;
      if (cp > 0xffff) {
        cp -= 0x10000;
        units[k++] = 0xd800 | (cp >> 10);
        units[k++] = 0xdc00 | (cp & 0x3ff);
      } else {
        units[k++] = cp;
      }
      cp = needed = seen = 0;
    }
    if (flush && needed !== 0) {
      cp = needed = seen = 0;
      lower = 0x80;
      upper = 0xbf;
      if (this.#fatal) throw invalidData();
      units[k++] = 0xfffd;
    }
    this.#codePoint = cp;
    this.#needed = needed;
    this.#seen = seen;
    this.#lower = lower;
    this.#upper = upper;
    return text + fromCharCodes(units, 0, k);
  }
}

// WebIDL: an interface's prototype carries its name as Symbol.toStringTag.
for (const { prototype, name } of [TextEncoder, TextDecoder]) {
  Object.defineProperty(prototype, Symbol.toStringTag, { value: name, configurable: true });
}

function invalidData(): TypeError {
  return new TypeError("The encoded data was not valid for encoding utf-8");
}

/** WebIDL dictionary conversion: undefined and null mean `{}`; other primitives are a TypeError. */
function dictionary<T extends object>(value: T | null | undefined, what: string): T | Record<string, never> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" && typeof value !== "function") {
    throw new TypeError(`The "${what}" argument must be of type object`);
  }
  return value;
}

/** A Uint8Array over the bytes of a buffer source, without copying. */
function viewBytes(input: unknown): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (ArrayBuffer.isView(input)) {
    const { buffer, byteOffset, byteLength } = input;
    if ((buffer as ArrayBuffer).detached === true) return new Uint8Array(0);
    return new Uint8Array(buffer, byteOffset, byteLength);
  }
  if (isArrayBuffer(input)) {
    return input.detached ? new Uint8Array(0) : new Uint8Array(input);
  }
  if (isSharedArrayBuffer(input)) return new Uint8Array(input);
  throw new TypeError(
    'The "input" argument must be an instance of SharedArrayBuffer, ArrayBuffer or ArrayBufferView',
  );
}
