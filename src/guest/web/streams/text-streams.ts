/**
 * @module guest/web/streams/text-streams
 * `TextEncoderStream` and `TextDecoderStream` (Encoding Standard §7.3, §8.3) over the runtime's
 * `TextEncoder`/`TextDecoder` and a `TransformStream`. A surrogate pair split across two written
 * strings is encoded as one code point, and a lone high surrogate left at the end becomes U+FFFD;
 * the decoder keeps an incomplete UTF-8 sequence for the next chunk (`stream: true`), and with
 * `fatal` a malformed sequence errors both sides with a TypeError.
 */

import { TransformStream } from "web-streams-polyfill";
import { enumerable, toDictionary, toStringTag } from "../common/webidl.ts";
import type { BufferSource, ReadableStream, WritableStream } from "../common/types.ts";

export class TextEncoderStream {
  #transform: TransformStream<string, Uint8Array>;

  constructor() {
    const encoder = new TextEncoder();
    let pending = "";
    this.#transform = new TransformStream<string, Uint8Array>({
      transform(chunk, controller) {
        let text = pending + `${chunk}`;
        pending = "";
        const last = text.charCodeAt(text.length - 1);
        // A high surrogate at the end may be the first half of a pair the next chunk completes.
        if (last >= 0xd800 && last <= 0xdbff) {
          pending = text.slice(-1);
          text = text.slice(0, -1);
        }
        if (text.length > 0) controller.enqueue(encoder.encode(text));
      },
      flush(controller) {
        if (pending !== "") controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
      },
    });
  }

  get encoding(): string {
    this.#check();
    return "utf-8";
  }
  get readable(): ReadableStream<Uint8Array> {
    return this.#check().readable as unknown as ReadableStream<Uint8Array>;
  }
  get writable(): WritableStream<string> {
    return this.#check().writable as unknown as WritableStream<string>;
  }

  #check(): TransformStream<string, Uint8Array> {
    if (!(#transform in this)) throw new TypeError("Illegal invocation: not a TextEncoderStream");
    return this.#transform;
  }
}

enumerable(TextEncoderStream, ["encoding", "readable", "writable"]);
toStringTag(TextEncoderStream, "TextEncoderStream");

export class TextDecoderStream {
  #decoder: InstanceType<typeof TextDecoder>;
  #transform: TransformStream<BufferSource, string>;

  constructor(label = "utf-8", options?: { fatal?: boolean; ignoreBOM?: boolean }) {
    const init = toDictionary(options, "TextDecoderStream");
    const decoder = new TextDecoder(label, { fatal: !!init.fatal, ignoreBOM: !!init.ignoreBOM });
    this.#decoder = decoder;
    this.#transform = new TransformStream<BufferSource, string>({
      transform(chunk, controller) {
        if (!ArrayBuffer.isView(chunk) && !(chunk instanceof ArrayBuffer) && !isSharedArrayBuffer(chunk)) {
          throw new TypeError("TextDecoderStream: a chunk must be an ArrayBuffer or an ArrayBufferView");
        }
        const text = decoder.decode(chunk as never, { stream: true });
        if (text !== "") controller.enqueue(text);
      },
      flush(controller) {
        const text = decoder.decode();
        if (text !== "") controller.enqueue(text);
      },
    });
  }

  get encoding(): string {
    this.#check();
    return this.#decoder.encoding;
  }
  get fatal(): boolean {
    this.#check();
    return this.#decoder.fatal;
  }
  get ignoreBOM(): boolean {
    this.#check();
    return this.#decoder.ignoreBOM;
  }
  get readable(): ReadableStream<string> {
    return this.#check().readable as unknown as ReadableStream<string>;
  }
  get writable(): WritableStream<BufferSource> {
    return this.#check().writable as unknown as WritableStream<BufferSource>;
  }

  #check(): TransformStream<BufferSource, string> {
    if (!(#transform in this)) throw new TypeError("Illegal invocation: not a TextDecoderStream");
    return this.#transform;
  }
}

enumerable(TextDecoderStream, ["encoding", "fatal", "ignoreBOM", "readable", "writable"]);
toStringTag(TextDecoderStream, "TextDecoderStream");

function isSharedArrayBuffer(value: unknown): boolean {
  return typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer;
}
