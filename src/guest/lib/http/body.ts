/**
 * @module tsuki/http/body
 * The body of a `Request` or a `Response` (Fetch Standard §5.3, "Body mixin") without streams: a
 * body is bytes known in full, an async iterable of chunks (a streamed response), or null. It can
 * be read once (`text`, `json`, `arrayBuffer`, `bytes`); a second read is a TypeError, as on the
 * web.
 */

import { EMPTY, concat, fromUtf8, utf8 } from "./bytes.ts";
import { URLSearchParams } from "./search-params.ts";

/** A chunk of a streamed body: bytes, or text sent as UTF-8. */
export type BodyChunk = Uint8Array | string;
export type BodyInit = string | ArrayBuffer | ArrayBufferView | URLSearchParams | AsyncIterable<BodyChunk>;
/** What a body is once extracted: all its bytes, chunks still to come, or nothing. */
export type BodySource = Uint8Array | AsyncIterable<BodyChunk> | null;

/** Fetch's "extract a body": the source and the Content-Type it implies. A Uint8Array is kept, not copied. */
export function extractBody(init: BodyInit | null | undefined): { source: BodySource; type: string | null } {
  if (init === null || init === undefined) return { source: null, type: null };
  if (typeof init === "string") return { source: utf8(init), type: "text/plain;charset=UTF-8" };
  if (init instanceof Uint8Array) return { source: init, type: null };
  if (init instanceof ArrayBuffer) return { source: new Uint8Array(init.slice(0)), type: null };
  if (ArrayBuffer.isView(init)) return { source: new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)), type: null };
  if (init instanceof URLSearchParams) return { source: utf8(init.toString()), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  if (typeof (init as AsyncIterable<BodyChunk>)[Symbol.asyncIterator] === "function") return { source: init as AsyncIterable<BodyChunk>, type: null };
  return { source: utf8(String(init)), type: "text/plain;charset=UTF-8" };
}

/** Every chunk of a streamed body, joined. */
export async function collect(source: AsyncIterable<BodyChunk>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(typeof chunk === "string" ? utf8(chunk) : chunk);
  return parts.length === 0 ? EMPTY : concat(parts).slice();
}

let sourceOf: (body: Body) => BodySource;
let take: (body: Body) => BodySource;

/** What `Request` and `Response` share: one body, readable once. */
export class Body {
  #source: BodySource;
  #used = false;

  static {
    sourceOf = (body) => body.#source;
    take = (body) => {
      if (body.#used) throw new TypeError("Body is unusable: it has already been read");
      // A null body has no stream to disturb: reading it leaves bodyUsed false, as on the web.
      if (body.#source !== null) body.#used = true;
      return body.#source;
    };
  }

  constructor(source: BodySource) {
    this.#source = source;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    const source = take(this);
    if (source === null) return new Uint8Array(0);
    if (source instanceof Uint8Array) return source.slice() as Uint8Array<ArrayBuffer>;
    return (await collect(source)) as Uint8Array<ArrayBuffer>;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer;
  }

  async text(): Promise<string> {
    return fromUtf8(await this.bytes());
  }

  // `any`, as in the DOM typings: the caller knows the shape it expects.
  async json(): Promise<any> {
    return JSON.parse(await this.text());
  }
}

/** @internal The source, without marking the body used. */
export function peekBody(body: Body): BodySource {
  return sourceOf(body);
}

/** @internal The source, marking the body used (TypeError if it was). */
export function takeBody(body: Body): BodySource {
  return take(body);
}
