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

/** Every chunk of `stream`, joined; each must be a Uint8Array (Fetch §5.3 "fully read"), else a TypeError. */
export async function readAllBytes(stream: ReadableStream): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) {
      const error = new TypeError("a body stream's chunks must be Uint8Arrays");
      await reader.cancel(error);
      throw error;
    }
    parts.push(value);
    length += value.byteLength;
  }
  if (parts.length === 1) return parts[0]!.slice() as Uint8Array<ArrayBuffer>;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
