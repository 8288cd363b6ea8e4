/**
 * @module host/tender/targets/process-frames
 * The frames that cross the channel between the tender and a process-target unikernel: a 4-byte
 * big-endian length, then one message as V8's serialization (the structured-clone format, which
 * carries the ABI's plain values: numbers including Infinity, strings, byte arrays, plain objects
 * and arrays, and nothing that runs code when read). Both sides use this module; the tender treats
 * every frame from the child as untrusted: a frame over the cap or one that does not decode ends
 * the unikernel.
 */

import { deserialize, serialize } from "node:v8";

/**
 * The largest frame a child may send: a hypercall's arguments up to 4 MiB (four times the
 * largest the ABI accepts, so that the tender's validator, not the channel, answers E2BIG) plus
 * room for the message around them.
 */
export const FRAME_CAP = 4 * 1024 * 1024 + 64 * 1024;

export function encodeFrame(message: unknown): Buffer {
  const body = serialize(message);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/**
 * A frame as two pieces, its length and its body, for a writer that can send both without joining
 * them (a socket's corked writes): a turn's frame can carry megabytes of data, and one copy less
 * of it is that much less for the tender to allocate and collect.
 */
export function framePieces(message: unknown): [Buffer, Buffer] {
  const body = serialize(message);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return [head, body];
}

/** What went wrong with the bytes a child sent. */
export class FrameError extends Error {}

/**
 * Splits a byte stream into messages. `push` returns the messages completed by a chunk; it throws
 * a `FrameError` for a frame over `cap` (as soon as its length is read, before it is buffered) or
 * one that does not decode. Holds at most one frame's bytes.
 */
export class FrameReader {
  #cap: number;
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(cap = FRAME_CAP) {
    this.#cap = cap;
  }

  push(chunk: Buffer): unknown[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const messages: unknown[] = [];
    for (;;) {
      if (this.#buffered < 4) break;
      const head = this.#chunks[0]!.length >= 4 ? this.#chunks[0]! : this.#join();
      const length = head.readUInt32BE(0);
      if (length > this.#cap) throw new FrameError(`a frame of ${length} bytes, over the channel's cap of ${this.#cap}`);
      if (this.#buffered < 4 + length) break;
      const all = this.#join();
      let message: unknown;
      try {
        // A copy of its own: byte arrays in the message are views of it, and must not pin or share the read buffer.
        message = deserialize(Buffer.from(all.subarray(4, 4 + length)));
      } catch (error) {
        throw new FrameError(`a frame that does not decode (${(error as Error).message})`);
      }
      messages.push(message);
      const rest = all.subarray(4 + length);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
    }
    return messages;
  }

  #join(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }
}
