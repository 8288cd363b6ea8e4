/**
 * @module guest/web/compression/deflate
 * Compression for `CompressionStream`: raw DEFLATE (RFC 1951) from fflate's streaming `Deflate`
 * (level 6, zlib's default), in a zlib (RFC 1950) or gzip (RFC 1952) wrapper written here with its
 * checksum. The gzip header carries no name, no time (MTIME 0) and OS 255 (unknown), so the same
 * input compresses to the same bytes.
 */

import { Deflate } from "fflate";
import { adler32, crc32 } from "./checksums.ts";
import type { Format } from "./inflate.ts";

const GZIP_HEADER = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** CMF 0x78 (deflate, 32 KiB window), FLG 0x9c (default level, check bits). */
const ZLIB_HEADER = new Uint8Array([0x78, 0x9c]);

export class Compressor {
  readonly #format: Format;
  #deflate: Deflate;
  #out: Uint8Array[] = [];
  #check: number;
  #size = 0;
  #started = false;

  constructor(format: Format) {
    this.#format = format;
    this.#check = format === "deflate" ? 1 : 0;
    this.#deflate = new Deflate({ level: 6 }, (data) => {
      if (data.length > 0) this.#out.push(data);
    });
  }

  /** Compresses `chunk`; returns what is ready. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.#start();
    if (this.#format === "gzip") this.#check = crc32(this.#check, chunk);
    else if (this.#format === "deflate") this.#check = adler32(this.#check, chunk);
    this.#size = (this.#size + chunk.length) >>> 0;
    this.#deflate.push(chunk, false);
    return this.#take();
  }

  /** Ends the stream: what is left, then the trailer. */
  finish(): Uint8Array[] {
    this.#start();
    this.#deflate.push(new Uint8Array(0), true);
    const trailer = new Uint8Array(this.#format === "gzip" ? 8 : this.#format === "deflate" ? 4 : 0);
    const view = new DataView(trailer.buffer);
    if (this.#format === "gzip") {
      view.setUint32(0, this.#check, true);
      view.setUint32(4, this.#size, true);
    } else if (this.#format === "deflate") view.setUint32(0, this.#check, false);
    if (trailer.length > 0) this.#out.push(trailer);
    return this.#take();
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#format === "gzip") this.#out.push(GZIP_HEADER.slice());
    else if (this.#format === "deflate") this.#out.push(ZLIB_HEADER.slice());
  }

  #take(): Uint8Array[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }
}
