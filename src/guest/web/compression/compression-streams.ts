/**
 * @module guest/web/compression/compression-streams
 * `CompressionStream` and `DecompressionStream` (Compression Standard §5–§6) for "gzip",
 * "deflate" (zlib) and "deflate-raw". Each is a writable side and a readable side joined by hand
 * rather than a `TransformStream`, so that backpressure holds inside one written chunk: the
 * decompressor works a small step at a time (inflate.ts) and waits whenever its reader's queue is
 * full. A chunk that is not a BufferSource, and any malformed input, error both sides with a
 * TypeError; the reader sees it, the tender never does.
 */

import { ReadableStream, WritableStream } from "web-streams-polyfill";
import { enumerable, requireArgs, toDOMString, toStringTag } from "../common/webidl.ts";
import { Compressor } from "./deflate.ts";
import { type Format, Decompressor } from "./inflate.ts";
import type { BufferSource, ReadableStreamDefaultController } from "../common/types.ts";

const FORMATS: readonly string[] = ["deflate", "deflate-raw", "gzip"];

function format(value: unknown, where: string): Format {
  const text = toDOMString(value);
  if (!FORMATS.includes(text)) throw new TypeError(`${where}: the format must be "deflate", "deflate-raw" or "gzip", not ${JSON.stringify(text)}`);
  return text as Format;
}

function bytesOf(chunk: unknown, where: string): Uint8Array {
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && chunk instanceof SharedArrayBuffer)) return new Uint8Array(chunk);
  throw new TypeError(`${where}: a chunk must be an ArrayBuffer or an ArrayBufferView`);
}

interface Pair {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<BufferSource>;
}

/**
 * A writable side whose `write` runs `work` over each chunk and a readable side that receives what
 * it makes. `work` yields batches of output; between batches the writer waits until the reader
 * wants more (its queue below the high-water mark of one chunk).
 */
function codecPair(work: (chunk: Uint8Array) => Iterable<Uint8Array[]>, end: () => Uint8Array[]): Pair {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let wanted: (() => void) | null = null;
  /** Set when the reader cancels: the writer stops at its next batch with this reason. */
  let cancelled: { reason: unknown } | null = null;
  const readable = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c as unknown as ReadableStreamDefaultController<Uint8Array>),
      pull: () => {
        wanted?.();
        wanted = null;
      },
      cancel: (reason) => {
        cancelled = { reason };
        wanted?.();
        wanted = null;
      },
    },
    { highWaterMark: 1 },
  );
  const room = () => (cancelled !== null || (controller.desiredSize ?? 1) > 0 ? Promise.resolve() : new Promise<void>((resolve) => (wanted = resolve)));
  const fail = (error: unknown) => {
    try {
      controller.error(error);
    } catch {}
    throw error;
  };
  const writable = new WritableStream<BufferSource>({
    async write(chunk) {
      try {
        for (const batch of work(bytesOf(chunk, "CompressionStream/DecompressionStream"))) {
          if (cancelled !== null) throw cancelled.reason;
          for (const out of batch) controller.enqueue(out);
          await room();
        }
      } catch (error) {
        fail(error);
      }
    },
    close() {
      try {
        for (const out of end()) controller.enqueue(out);
        controller.close();
      } catch (error) {
        fail(error);
      }
    },
    abort(reason) {
      controller.error(reason);
    },
  });
  return { readable, writable };
}

export class CompressionStream {
  #pair: Pair;

  constructor(compressionFormat: "deflate" | "deflate-raw" | "gzip") {
    requireArgs(arguments.length, 1, "CompressionStream");
    const compressor = new Compressor(format(compressionFormat, "CompressionStream"));
    this.#pair = codecPair((chunk) => [compressor.push(chunk)], () => compressor.finish());
  }

  get readable(): ReadableStream<Uint8Array> {
    if (!(#pair in this)) throw new TypeError("Illegal invocation: not a CompressionStream");
    return this.#pair.readable;
  }

  get writable(): WritableStream<BufferSource> {
    if (!(#pair in this)) throw new TypeError("Illegal invocation: not a CompressionStream");
    return this.#pair.writable;
  }
}

enumerable(CompressionStream, ["readable", "writable"]);
toStringTag(CompressionStream, "CompressionStream");

export class DecompressionStream {
  #pair: Pair;

  constructor(compressionFormat: "deflate" | "deflate-raw" | "gzip") {
    requireArgs(arguments.length, 1, "DecompressionStream");
    const decompressor = new Decompressor(format(compressionFormat, "DecompressionStream"));
    this.#pair = codecPair(
      function* (chunk) {
        for (let at = 0; at < chunk.length; ) {
          const { taken, output } = decompressor.step(chunk, at);
          at += taken;
          yield output;
        }
      },
      () => {
        decompressor.finish();
        return [];
      },
    );
  }

  get readable(): ReadableStream<Uint8Array> {
    if (!(#pair in this)) throw new TypeError("Illegal invocation: not a DecompressionStream");
    return this.#pair.readable;
  }

  get writable(): WritableStream<BufferSource> {
    if (!(#pair in this)) throw new TypeError("Illegal invocation: not a DecompressionStream");
    return this.#pair.writable;
  }
}

enumerable(DecompressionStream, ["readable", "writable"]);
toStringTag(DecompressionStream, "DecompressionStream");
