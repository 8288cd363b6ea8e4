/**
 * @module guest/web/streams
 * The streams group of the web globals: the Streams Standard's classes from web-streams-polyfill
 * (the reference implementation's algorithms, tested by its authors against the web-platform-tests
 * streams suite; 62 KB minified against some 3,000 lines to write and keep), and
 * `TextEncoderStream`/`TextDecoderStream` over them.
 */

import { initialised } from "../common/registry.ts";

export {
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
  ReadableByteStreamController,
  ReadableStream,
  ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest,
  ReadableStreamDefaultController,
  ReadableStreamDefaultReader,
  TransformStream,
  TransformStreamDefaultController,
  WritableStream,
  WritableStreamDefaultController,
  WritableStreamDefaultWriter,
} from "web-streams-polyfill";
export { TextDecoderStream, TextEncoderStream } from "./text-streams.ts";
export { isDisturbed, isReadableStream, readAllBytes, streamOfBytes, streamOfIterable } from "./internals.ts";

initialised("streams");
