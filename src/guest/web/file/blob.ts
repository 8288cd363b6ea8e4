/**
 * @module guest/web/file/blob
 * `Blob` and `File` (File API §3–§4), held in memory as a list of byte views. Parts are copied
 * once, when the blob is made (a later change to a part's buffer does not change the blob);
 * `slice()` shares the parent's bytes instead of copying them. A `type` with a character outside
 * U+0020–U+007E is "" and any other is lower-cased, as the standard says; `endings: "native"`
 * writes line breaks as LF, the native ending of the Linux hosts tsuki runs on.
 */

import { streams } from "../common/registry.ts";
import { enumerable, requireArgs, toDictionary, toDOMString, toStringTag, toUSVString } from "../common/webidl.ts";
import type { BufferSource, ReadableStream } from "../common/types.ts";

export type BlobPart = BufferSource | Blob | string;

let partsOf: (blob: Blob) => readonly Uint8Array[];
let make: (parts: readonly Uint8Array[], type: string) => Blob;

const encoder = new TextEncoder();

export class Blob {
  #parts: readonly Uint8Array[];
  #size: number;
  #type: string;

  static {
    partsOf = (blob) => {
      if (typeof blob !== "object" || blob === null || !(#parts in blob)) throw new TypeError("Illegal invocation: not a Blob");
      return blob.#parts;
    };
    make = (parts, type) => {
      const blob = new Blob();
      blob.#parts = parts;
      blob.#size = parts.reduce((sum, part) => sum + part.byteLength, 0);
      blob.#type = type;
      return blob;
    };
  }

  constructor(blobParts?: Iterable<BlobPart>, options?: { type?: string; endings?: "transparent" | "native" }) {
    const init = toDictionary(options, "Blob");
    const endings = init.endings === undefined ? "transparent" : toDOMString(init.endings);
    if (endings !== "transparent" && endings !== "native") throw new TypeError(`Blob: endings must be "transparent" or "native", not ${JSON.stringify(endings)}`);
    this.#parts = blobParts === undefined ? [] : processParts(blobParts, endings === "native");
    this.#size = this.#parts.reduce((sum, part) => sum + part.byteLength, 0);
    this.#type = normaliseType(init.type === undefined ? "" : toDOMString(init.type));
  }

  get size(): number {
    partsOf(this);
    return this.#size;
  }

  get type(): string {
    partsOf(this);
    return this.#type;
  }

  slice(start?: number, end?: number, contentType?: string): Blob {
    partsOf(this);
    const size = this.#size;
    const from = relative(start, size, 0);
    const to = relative(end, size, size);
    const parts: Uint8Array[] = [];
    let offset = 0;
    for (const part of this.#parts) {
      const partEnd = offset + part.byteLength;
      if (partEnd > from && offset < to) parts.push(part.subarray(Math.max(from - offset, 0), Math.min(to - offset, part.byteLength)));
      offset = partEnd;
    }
    return blobOfParts(parts, contentType === undefined ? "" : normaliseType(toDOMString(contentType)));
  }

  stream(): ReadableStream<Uint8Array> {
    const parts = partsOf(this).slice();
    const { ReadableStream } = streams();
    let next = 0;
    return new ReadableStream({
      type: "bytes",
      pull(controller) {
        const part = parts[next++];
        if (part === undefined) {
          controller.close();
          controller.byobRequest?.respond(0);
        } else if (part.byteLength > 0) controller.enqueue(part.slice());
      },
    }) as unknown as ReadableStream<Uint8Array>;
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(this.#join());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.#join().buffer;
  }

  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#join();
  }

  #join(): Uint8Array<ArrayBuffer> {
    const parts = partsOf(this);
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }
}

enumerable(Blob, ["size", "type", "slice", "stream", "text", "arrayBuffer", "bytes"]);
toStringTag(Blob, "Blob");

/** @internal The blob's bytes as the views it holds (never to be written). */
export function blobParts(blob: Blob): readonly Uint8Array[] {
  return partsOf(blob);
}

export function isBlob(value: unknown): value is Blob {
  try {
    partsOf(value as Blob);
    return true;
  } catch {
    return false;
  }
}

/** @internal A blob of views the caller gives up (not copied). */
export function blobOfParts(parts: readonly Uint8Array[], type: string): Blob {
  return make(parts, type);
}

function processParts(blobParts: Iterable<BlobPart>, native: boolean): Uint8Array[] {
  if (typeof blobParts !== "object" || blobParts === null || typeof (blobParts as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError("Blob: the parts must be an iterable (an array) of strings, buffers or blobs");
  }
  const out: Uint8Array[] = [];
  for (const part of blobParts as Iterable<unknown>) {
    if (isBlob(part)) out.push(...partsOf(part));
    else if (ArrayBuffer.isView(part)) out.push(new Uint8Array(part.buffer, part.byteOffset, part.byteLength).slice());
    else if (part instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && part instanceof SharedArrayBuffer)) out.push(new Uint8Array(part as ArrayBuffer).slice());
    else {
      let text = toUSVString(part);
      if (native) text = text.replace(/\r\n?/g, "\n");
      out.push(encoder.encode(text));
    }
  }
  return out;
}

function normaliseType(type: string): string {
  for (let i = 0; i < type.length; i++) {
    const c = type.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return "";
  }
  return type.toLowerCase();
}

/** File API's "relative" start and end of `slice`: negative counts from the end, clamped to the size. */
function relative(value: number | undefined, size: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Math.trunc(Number(value)) || 0;
  return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
}

export class File extends Blob {
  #name: string;
  #lastModified: number;

  constructor(fileBits: Iterable<BlobPart>, fileName: string, options?: { type?: string; endings?: "transparent" | "native"; lastModified?: number }) {
    requireArgs(arguments.length, 2, "File");
    super(fileBits, options);
    const init = toDictionary(options, "File");
    this.#name = toUSVString(fileName);
    this.#lastModified = init.lastModified === undefined ? Date.now() : toLongLong(init.lastModified);
  }

  get name(): string {
    if (!(#name in this)) throw new TypeError("Illegal invocation: not a File");
    return this.#name;
  }

  get lastModified(): number {
    if (!(#name in this)) throw new TypeError("Illegal invocation: not a File");
    return this.#lastModified;
  }

  get webkitRelativePath(): string {
    return "";
  }
}

enumerable(File, ["name", "lastModified", "webkitRelativePath"]);
toStringTag(File, "File");

/** WebIDL `long long`: truncated, wrapped modulo 2^64 into the signed range (NaN and infinities are 0). */
function toLongLong(value: unknown): number {
  const n = Math.trunc(Number(value));
  if (!Number.isFinite(n)) return 0;
  return Number(BigInt.asIntN(64, BigInt(n)));
}
