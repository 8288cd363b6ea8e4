/**
 * @module tsuki/http/chunked
 * The chunked transfer coding (RFC 9112 §7.1), decoded incrementally: bytes go in as they arrive,
 * chunk data comes out as views into them, and the first malformed byte is an error value. Chunk
 * extensions are parsed by their grammar (§7.1.1) and ignored; trailer fields (§7.1.2) are
 * parsed like header fields and dropped. Limits: the sum of chunk sizes (`maxBodyBytes`, then
 * 413), one chunk-size line (4 KiB) and the trailer section (`maxTrailerBytes`, then 431).
 */

import { latin1 } from "./bytes.ts";
import { type ProtocolError, protocolError } from "./errors.ts";
import { parseFieldLine } from "./fields.ts";

const CR = 0x0d;
const LF = 0x0a;
const MAX_LINE = 4096;
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
/** chunk-size [ chunk-ext ], with BWS around ";" and "=" (§7.1, §7.1.1). */
const CHUNK_LINE = new RegExp(`^([0-9A-Fa-f]+)((?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)*)$`);

export interface ChunkedProgress {
  readonly kind: "progress";
  /** How many input bytes were consumed; the rest belongs to the next request. */
  readonly consumed: number;
  /** Chunk data found in this input, as views into it. */
  readonly data: Uint8Array[];
  /** The last chunk and the trailer section have been read. */
  readonly done: boolean;
}

type State = "size" | "data" | "data-cr" | "data-lf" | "trailer" | "done";

export class ChunkedDecoder {
  #state: State = "size";
  #line = "";
  #remaining = 0;
  #total = 0;
  #trailerBytes = 0;
  #maxBodyBytes: number;
  #maxTrailerBytes: number;

  constructor(maxBodyBytes: number, maxTrailerBytes: number) {
    this.#maxBodyBytes = maxBodyBytes;
    this.#maxTrailerBytes = maxTrailerBytes;
  }

  push(bytes: Uint8Array): ChunkedProgress | ProtocolError {
    const data: Uint8Array[] = [];
    let i = 0;
    while (i < bytes.length && this.#state !== "done") {
      switch (this.#state) {
        case "data": {
          const n = Math.min(this.#remaining, bytes.length - i);
          data.push(bytes.subarray(i, i + n));
          this.#remaining -= n;
          i += n;
          if (this.#remaining === 0) this.#state = "data-cr";
          break;
        }
        case "data-cr":
          if (bytes[i++] !== CR) return protocolError(400, "chunk data is not followed by CRLF");
          this.#state = "data-lf";
          break;
        case "data-lf":
          if (bytes[i++] !== LF) return protocolError(400, "chunk data is not followed by CRLF");
          this.#state = "size";
          break;
        case "size":
        case "trailer": {
          const lf = bytes.indexOf(LF, i);
          const end = lf < 0 ? bytes.length : lf + 1;
          this.#line += latin1(bytes, i, end);
          if (this.#state === "trailer") {
            this.#trailerBytes += end - i;
            if (this.#trailerBytes > this.#maxTrailerBytes) return protocolError(431, `the trailer section is larger than ${this.#maxTrailerBytes} bytes`);
          } else if (this.#line.length > MAX_LINE) {
            return protocolError(400, "a chunk-size line is too long");
          }
          i = end;
          if (lf < 0) break;
          const error = this.#state === "size" ? this.#sizeLine() : this.#trailerLine();
          if (error) return error;
          break;
        }
      }
    }
    return { kind: "progress", consumed: i, data, done: this.#state === "done" };
  }

  #takeLine(): string | null {
    const line = this.#line;
    this.#line = "";
    if (!line.endsWith("\r\n")) return null;
    const text = line.slice(0, -2);
    return text.includes("\r") ? null : text;
  }

  #sizeLine(): ProtocolError | undefined {
    const line = this.#takeLine();
    if (line === null) return protocolError(400, "a chunk-size line does not end in CRLF");
    const match = CHUNK_LINE.exec(line);
    if (match === null) return protocolError(400, "malformed chunk size or chunk extension");
    const digits = match[1]!.replace(/^0+(?=.)/, "");
    const size = digits.length > 12 ? Infinity : Number.parseInt(digits, 16);
    if (this.#total + size > this.#maxBodyBytes) return protocolError(413, `the body is larger than ${this.#maxBodyBytes} bytes`);
    // With no limit, a size past 2^53 still cannot be counted.
    if (!Number.isSafeInteger(this.#total + size)) return protocolError(413, "the body's chunk sizes add up past 2^53 bytes");
    this.#total += size;
    if (size === 0) {
      this.#state = "trailer";
    } else {
      this.#remaining = size;
      this.#state = "data";
    }
    return undefined;
  }

  #trailerLine(): ProtocolError | undefined {
    const line = this.#takeLine();
    if (line === null) return protocolError(400, "a trailer line does not end in CRLF");
    if (line === "") {
      this.#state = "done";
      return undefined;
    }
    const field = parseFieldLine(line);
    // §7.1.2: trailer fields are not merged into the header section; they are read and dropped.
    return Array.isArray(field) ? undefined : field;
  }
}
