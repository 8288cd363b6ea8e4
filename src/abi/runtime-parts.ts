/**
 * @module abi/runtime-parts
 * The optional parts of the guest runtime, and the globals that make an image need each one. The
 * build finds which of these names an image's bundle uses as globals and records the parts in
 * `manifest.runtime`; the tender runs a part's script in the guest's context only for images that
 * list it. A unikernel that never names a web global (hello) pays nothing for them: no source held
 * in its isolate, no code run at boot.
 *
 * Shared by both sides: the guest's web script installs exactly `WEB_GLOBALS` (a test holds it to
 * that), the build looks for exactly these names.
 */

/** The parts a manifest may list, in the order their scripts run. */
export const RUNTIME_PARTS = ["web"] as const;
export type RuntimePart = (typeof RUNTIME_PARTS)[number];

/**
 * The WinterTC Minimum Common API's globals that the `web` part defines (the rest of that list,
 * `console`, timers, `TextEncoder`, `crypto`, `structuredClone`, `DOMException`…, is in every
 * unikernel's runtime). Sorted.
 */
export const WEB_GLOBALS = [
  "AbortController",
  "AbortSignal",
  "Blob",
  "ByteLengthQueuingStrategy",
  "CompressionStream",
  "CountQueuingStrategy",
  "CustomEvent",
  "DecompressionStream",
  "Event",
  "EventTarget",
  "File",
  "FormData",
  "Headers",
  "ReadableByteStreamController",
  "ReadableStream",
  "ReadableStreamBYOBReader",
  "ReadableStreamBYOBRequest",
  "ReadableStreamDefaultController",
  "ReadableStreamDefaultReader",
  "Request",
  "Response",
  "TextDecoderStream",
  "TextEncoderStream",
  "TransformStream",
  "TransformStreamDefaultController",
  "URL",
  "URLPattern",
  "URLSearchParams",
  "WritableStream",
  "WritableStreamDefaultController",
  "WritableStreamDefaultWriter",
  "fetch",
  "navigator",
  "reportError",
  "self",
] as const;

export function isRuntimePart(value: unknown): value is RuntimePart {
  return (RUNTIME_PARTS as readonly unknown[]).includes(value);
}
