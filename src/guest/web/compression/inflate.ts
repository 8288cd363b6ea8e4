/**
 * @module guest/web/compression/inflate
 * Decompression for `DecompressionStream`: gzip (RFC 1952) and zlib (RFC 1950) wrappers read
 * here, with their checksums checked, around raw DEFLATE (RFC 1951) from fflate's streaming
 * `Inflate`. Input is fed to fflate at most `STEP` bytes at a time, so one step makes at most
 * about a megabyte (DEFLATE expands at most 1,032:1) and the stream can wait for its reader
 * between steps: a decompression bomb is paced by whoever reads it, and one that is read in full
 * fails with the RangeError of an allocation past the heap limit, never a crash.
 *
 * Errors are TypeErrors, as the Compression Standard says: a bad header, a bad checksum,
 * truncated input (at `finish`), data after the end of the stream, and corrupt DEFLATE data.
 */

import { Inflate } from "fflate";
import { adler32, crc32 } from "./checksums.ts";

export type Format = "deflate" | "deflate-raw" | "gzip";
/** Input bytes per step: bounds what one step can write. */
export const STEP = 1024;
/** The longest gzip header read (its FNAME and FCOMMENT are text without a length). */
const MAX_HEADER = 65_536;

const malformed = (format: Format, why: string) => new TypeError(`DecompressionStream (${format}): ${why}`);

interface FflateState {
  /** The final block has been seen; `l` is set while a block is under way. */
  s: { f?: number; l?: unknown; p: number };
  /** Input not yet consumed, from the byte holding the next bit. */
  p: Uint8Array;
}

export class Decompressor {
  readonly #format: Format;
  #phase: "header" | "body" | "trailer" | "done" = "header";
  #pending = new Uint8Array(0);
  #inflate: Inflate;
  #check: number;
  #size = 0;
  #out: Uint8Array[] = [];

  constructor(format: Format) {
    this.#format = format;
    this.#check = format === "deflate" ? 1 : 0;
    this.#inflate = new Inflate((data) => {
      if (data.length === 0) return;
      this.#out.push(data);
      this.#size = (this.#size + data.length) >>> 0;
      this.#check = format === "gzip" ? crc32(this.#check, data) : format === "deflate" ? adler32(this.#check, data) : 0;
    });
    if (format === "deflate-raw") this.#phase = "body";
  }

  /** Feeds up to STEP bytes of `input` from `at`; returns how many it took and what came out. */
  step(input: Uint8Array, at: number): { taken: number; output: Uint8Array[] } {
    const piece = input.subarray(at, Math.min(at + STEP, input.length));
    this.#feed(piece);
    const output = this.#out;
    this.#out = [];
    return { taken: piece.length, output };
  }

  /** The input has ended: a TypeError unless the stream (and its trailer) is complete. */
  finish(): void {
    if (this.#phase === "header" && this.#pending.length === 0 && this.#format !== "deflate-raw") throw malformed(this.#format, "the input is empty");
    if (this.#phase !== "done") throw malformed(this.#format, "the input ended before the end of the compressed stream");
  }

  #feed(piece: Uint8Array): void {
    let data = this.#pending.length === 0 ? piece : concat(this.#pending, piece);
    this.#pending = new Uint8Array(0);
    if (this.#phase === "header") {
      const length = this.#format === "gzip" ? gzipHeaderLength(data) : zlibHeaderLength(data);
      if (length === "error") throw malformed(this.#format, "the header is not valid");
      if (length === null) {
        // A name or comment that never ends would make the header grow without bound.
        if (data.length > MAX_HEADER) throw malformed(this.#format, `the header is longer than ${MAX_HEADER} bytes`);
        this.#pending = data.slice();
        return;
      }
      data = data.subarray(length);
      this.#phase = "body";
    }
    if (this.#phase === "body") {
      if (data.length === 0) return;
      try {
        this.#inflate.push(data, false);
      } catch (error) {
        // fflate's own errors carry a numeric code; anything else (a RangeError when an allocation
        // passes the heap limit) is not about the data and goes on as it is.
        if (typeof (error as { code?: unknown })?.code !== "number") throw error;
        throw malformed(this.#format, `the DEFLATE data is corrupt (${(error as Error).message})`);
      }
      const state = this.#inflate as unknown as FflateState;
      if (!(state.s.f && !state.s.l)) return;
      // The DEFLATE stream has ended: what follows, from the next byte, is the trailer.
      data = state.p.subarray(state.s.p & 7 ? 1 : 0);
      state.p = new Uint8Array(0);
      this.#phase = this.#format === "deflate-raw" ? "done" : "trailer";
    }
    if (this.#phase === "trailer") {
      const need = this.#format === "gzip" ? 8 : 4;
      if (data.length < need) {
        this.#pending = data.slice();
        return;
      }
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      if (this.#format === "gzip" ? view.getUint32(0, true) !== this.#check || view.getUint32(4, true) !== this.#size : view.getUint32(0, false) !== this.#check) {
        throw malformed(this.#format, "the checksum does not match the data");
      }
      data = data.subarray(need);
      this.#phase = "done";
    }
    if (data.length > 0) throw malformed(this.#format, "there is data after the end of the compressed stream");
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** RFC 1950 §2.2: CMF, FLG; CM 8, CINFO ≤ 7, the check bits, no preset dictionary. Null: need more. */
function zlibHeaderLength(data: Uint8Array): number | null | "error" {
  if (data.length < 2) return null;
  const cmf = data[0]!;
  const flg = data[1]!;
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || flg & 0x20) return "error";
  return 2;
}

/** RFC 1952 §2.3: the fixed ten bytes, then FEXTRA, FNAME, FCOMMENT and FHCRC as FLG says. Null: need more. */
function gzipHeaderLength(data: Uint8Array): number | null | "error" {
  if (data.length >= 1 && data[0] !== 0x1f) return "error";
  if (data.length >= 2 && data[1] !== 0x8b) return "error";
  if (data.length >= 3 && data[2] !== 8) return "error";
  if (data.length < 10) return null;
  const flags = data[3]!;
  if (flags & 0xe0) return "error";
  let at = 10;
  if (flags & 4) {
    if (data.length < at + 2) return null;
    at += 2 + (data[at]! | (data[at + 1]! << 8));
  }
  for (const bit of [8, 16]) {
    if (!(flags & bit)) continue;
    while (at < data.length && data[at] !== 0) at++;
    if (at >= data.length) return null;
    at++;
  }
  if (flags & 2) at += 2;
  return at <= data.length ? at : null;
}
