/**
 * @module guest/web/streams/internals
 * What the other web groups need of streams beyond their public API: whether a stream has been
 * read from ("disturbed", Streams Standard §4.2.5, which makes a body used), a byte stream of
 * bytes already in memory, and reading a whole stream of bytes.
 *
 * `disturbed` reads a field of web-streams-polyfill's own (`_disturbed`): the version is pinned in
 * package.json and a test fails if the field goes away.
 */

import { ReadableStream } from "web-streams-polyfill";

export function isReadableStream(value: unknown): value is ReadableStream {
  return value instanceof ReadableStream;
}

/** Whether a read or a cancel has ever reached `stream`. */
export function isDisturbed(stream: ReadableStream): boolean {
  return (stream as unknown as { _disturbed: boolean })._disturbed === true;
}

/** A readable byte stream of `bytes` (owned by the stream from now on), then closed. */
export function streamOfBytes(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: "bytes",
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** An async iterable of byte or text chunks (tsuki/http's streamed bodies) as a byte stream; text is sent as UTF-8. */
export function streamOfIterable(iterable: AsyncIterable<Uint8Array | string>): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Uint8Array | string> | undefined;
  const encoder = new TextEncoder();
  return new ReadableStream({
    type: "bytes",
    async pull(controller) {
      iterator ??= iterable[Symbol.asyncIterator]();
      // A pull that enqueues nothing is not called again: skip empty chunks (which a byte stream refuses) here.
      for (;;) {
        const { done, value } = await iterator.next();
        if (done) {
          controller.close();
          controller.byobRequest?.respond(0);
          return;
        }
        const chunk = typeof value === "string" ? encoder.encode(value) : value;
        if (!(chunk instanceof Uint8Array)) throw new TypeError("a streamed body must yield Uint8Array or string chunks");
        if (chunk.byteLength > 0) return controller.enqueue(chunk.slice());
      }
    },
    async cancel(reason) {
      await iterator?.return?.(reason);
    },
  });
}

/**
 * Every chunk of `stream`, joined; each must be a Uint8Array (Fetch §5.3 "fully read"), else a
 * TypeError. The chunks are copied into one buffer that doubles as it fills, so a body too large
 * for the unikernel's memory fails where that buffer grows, with the RangeError the guest can
 * catch ("Array buffer allocation failed"), rather than by holding every chunk until the isolate
 * is out of memory; the stream is cancelled then, which lets its source (a connection) go.
 */
export async function readAllBytes(stream: ReadableStream): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  let buffer = new Uint8Array(0);
  let length = 0;
  /** `buffer` is one we made (not a chunk someone else may hold). */
  let ours = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) throw new TypeError("a body stream's chunks must be Uint8Arrays");
      if (length === 0 && buffer.length === 0) {
        // The first chunk is held as it is: a body of one chunk is copied once, at the end.
        buffer = value as Uint8Array<ArrayBuffer>;
        length = value.length;
        continue;
      }
      if (!ours || length + value.length > buffer.length) {
        const grown = new Uint8Array(Math.max(length + value.length, buffer.length * 2, 16 * 1024));
        grown.set(buffer.subarray(0, length));
        buffer = grown;
        ours = true;
      }
      buffer.set(value, length);
      length += value.length;
    }
  } catch (error) {
    await reader.cancel(error).catch(() => undefined);
    throw error;
  }
  if (ours && length === buffer.buffer.byteLength) return buffer;
  // The bytes in a buffer of their own, of their size (arrayBuffer() hands out the buffer itself).
  return buffer.slice(0, length) as Uint8Array<ArrayBuffer>;
}
