/**
 * @module guest/web/fetch/body
 * The body of a `Request` or `Response` (Fetch Standard §5.2 "extract a body", §5.3 "Body mixin").
 * A body is a `ReadableStream` (`body`), and "used" once that stream is disturbed.
 *
 * The fast path: a body made from bytes or text (the usual handler's response, every request the
 * server parsed) stays the bytes until someone asks for `body`, so that the server sends them and
 * `text()` decodes them with no stream made at all; asking for `body` turns them into a byte
 * stream for good. Either way the web sees one model: `bodyUsed`, a body read once, a TypeError
 * for a second read or a locked stream.
 *
 * An async iterable of `Uint8Array` or string chunks is accepted as a streamed body too
 * (tsuki/http's streamed responses, as undici accepts them): it becomes a byte stream.
 */

import { isLoaded, file as fileGroup, streams as streamsGroup, url as urlGroup } from "../common/registry.ts";
import { parseMimeType, essence, serializeMimeType } from "./mime.ts";
import { makeBoundary, parseMultipart, serializeFormData } from "./multipart.ts";
import type { Blob, FormData } from "../file/index.ts";
import type { BufferSource, ReadableStream } from "../common/types.ts";
import type { URLSearchParams } from "../url/index.ts";

export type BodyInit = ReadableStream | Blob | BufferSource | FormData | URLSearchParams | string | AsyncIterable<Uint8Array | string>;

/** What a body holds: all its bytes (the fast path), or a stream. */
export type BodySource = { bytes: Uint8Array; used: boolean } | { stream: ReadableStream };

const encoder = new TextEncoder();

/** Fetch §5.2 "extract a body": the source and the Content-Type it implies. Bytes are copied. */
export function extractBody(init: unknown): { source: BodySource; type: string | null } {
  if (typeof init === "string") return { source: bytes(encoder.encode(init)), type: "text/plain;charset=UTF-8" };
  if (typeof init === "object" && init !== null) {
    if (ArrayBuffer.isView(init)) return { source: bytes(new Uint8Array(init.buffer, init.byteOffset, init.byteLength).slice()), type: null };
    if (init instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && init instanceof SharedArrayBuffer)) return { source: bytes(new Uint8Array(init).slice()), type: null };
    if (isLoaded("url") && urlGroup().isURLSearchParams(init)) {
      return { source: bytes(encoder.encode(urlGroup().serializeUrlencoded(urlGroup().searchParamsList(init)))), type: "application/x-www-form-urlencoded;charset=UTF-8" };
    }
    if (isLoaded("file")) {
      const file = fileGroup();
      if (file.isFormData(init)) {
        const boundary = makeBoundary();
        return { source: bytes(serializeFormData(init, boundary)), type: `multipart/form-data; boundary=${boundary}` };
      }
      if (file.isBlob(init)) return { source: bytes(join(file.blobParts(init))), type: init.type === "" ? null : init.type };
    }
    if (isLoaded("streams") && streamsGroup().isReadableStream(init)) {
      if (init.locked || streamsGroup().isDisturbed(init)) throw new TypeError("the body stream is locked or has already been read");
      return { source: { stream: init }, type: null };
    }
    if (typeof (init as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
      return { source: { stream: streamsGroup().streamOfIterable(init as AsyncIterable<Uint8Array | string>) as unknown as ReadableStream }, type: null };
    }
  }
  return { source: bytes(encoder.encode(`${init as string}`.toWellFormed())), type: "text/plain;charset=UTF-8" };
}

function bytes(data: Uint8Array): BodySource {
  return { bytes: data, used: false };
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!.slice();
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** The stream of a body, made from its bytes on first need (the bytes then belong to the stream). */
export function streamOf(holder: { source: BodySource | null }): ReadableStream | null {
  const source = holder.source;
  if (source === null) return null;
  if ("stream" in source) return source.stream;
  // Bytes already read leave a stream that is empty, read and locked, as a read stream would be.
  const stream = streamsGroup().streamOfBytes(source.used ? new Uint8Array(0) : source.bytes.slice()) as unknown as ReadableStream;
  if (source.used) void stream.getReader().read();
  holder.source = { stream };
  return stream;
}

export function isUsed(source: BodySource | null): boolean {
  if (source === null) return false;
  return "stream" in source ? streamsGroup().isDisturbed(source.stream as never) : source.used;
}

/** Disturbed or locked: the body cannot be read again (Fetch §5.3 "unusable"). */
export function isUnusable(source: BodySource | null): boolean {
  if (source === null) return false;
  return "stream" in source ? source.stream.locked || streamsGroup().isDisturbed(source.stream as never) : source.used;
}

/** Fetch §5.3 "consume body": all the bytes, once; a TypeError when the body is unusable. */
export async function consume(source: BodySource | null): Promise<Uint8Array<ArrayBuffer>> {
  if (source === null) return new Uint8Array(0);
  if (isUnusable(source)) throw new TypeError("Body is unusable: it has already been read, or its stream is locked");
  if ("bytes" in source) {
    source.used = true;
    return source.bytes.slice() as Uint8Array<ArrayBuffer>;
  }
  return streamsGroup().readAllBytes(source.stream as never);
}

/** What the Body mixin's readers make of the bytes, given the body's Content-Type. */
export const readAs = {
  text: (data: Uint8Array) => new TextDecoder().decode(data),
  json: (data: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(data)),
  blob(data: Uint8Array, contentType: string | null): Blob {
    const mime = contentType === null ? null : parseMimeType(contentType);
    return fileGroup().blobOfParts([data], mime === null ? "" : serializeMimeType(mime).toLowerCase()) as unknown as Blob;
  },
  formData(data: Uint8Array, contentType: string | null): FormData {
    const mime = contentType === null ? null : parseMimeType(contentType);
    const kind = mime === null ? "" : essence(mime);
    if (kind === "multipart/form-data") {
      const boundary = mime!.parameters.get("boundary");
      if (boundary === undefined) throw new TypeError("formData(): the multipart/form-data Content-Type has no boundary");
      return parseMultipart(data, boundary) as unknown as FormData;
    }
    if (kind === "application/x-www-form-urlencoded") {
      const form = new (fileGroup().FormData)();
      // URL §5.1 parses bytes and decodes each name and value "without BOM": a leading U+FEFF stays.
      for (const [name, value] of urlGroup().parseUrlencoded(new TextDecoder("utf-8", { ignoreBOM: true }).decode(data))) form.append(name, value);
      return form as unknown as FormData;
    }
    throw new TypeError(`formData(): the body's Content-Type (${contentType ?? "none"}) is neither multipart/form-data nor application/x-www-form-urlencoded`);
  },
};
