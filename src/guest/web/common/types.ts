/**
 * @module guest/web/common/types
 * Types the web globals' modules share, written out here rather than taken from the global scope,
 * so that the modules type-check the same inside the guest's global types and in the host's tests
 * (where the global names are Node's).
 */

export type BufferSource = ArrayBufferView | ArrayBuffer;
export type {
  ReadableStream,
  ReadableStreamDefaultController,
  ReadableStreamDefaultReader,
  WritableStream,
} from "web-streams-polyfill";
