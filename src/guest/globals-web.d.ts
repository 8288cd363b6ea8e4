/**
 * @module guest/globals-web
 * The web platform's globals of a unikernel (WEB_GLOBALS in src/abi/runtime-parts.ts), typed from
 * the classes that implement them (src/guest/web), so the types cannot drift from the code.
 * Referenced by globals.d.ts.
 */

type BufferSource = ArrayBufferView | ArrayBuffer;

declare var URL: typeof import("./web/url/url.ts").URL;
type URL = import("./web/url/url.ts").URL;
declare var URLSearchParams: typeof import("./web/url/search-params.ts").URLSearchParams;
type URLSearchParams = import("./web/url/search-params.ts").URLSearchParams;
// URLPattern: urlpattern-polyfill's types declare the global class (and URLPatternInit, URLPatternResult)
// themselves once loaded, which this reference does.
type TsukiURLPatternModule = typeof import("urlpattern-polyfill/urlpattern");

declare var Headers: typeof import("./web/fetch/headers.ts").Headers;
type Headers = import("./web/fetch/headers.ts").Headers;
type HeadersInit = import("./web/fetch/headers.ts").HeadersInit;
declare var Request: typeof import("./web/fetch/request.ts").Request;
type Request = import("./web/fetch/request.ts").Request;
type RequestInit = import("./web/fetch/request.ts").RequestInit;
declare var Response: typeof import("./web/fetch/response.ts").Response;
type Response = import("./web/fetch/response.ts").Response;
type ResponseInit = import("./web/fetch/response.ts").ResponseInit;
type BodyInit = import("./web/fetch/body.ts").BodyInit;

declare var Blob: typeof import("./web/file/blob.ts").Blob;
type Blob = import("./web/file/blob.ts").Blob;
declare var File: typeof import("./web/file/blob.ts").File;
type File = import("./web/file/blob.ts").File;
declare var FormData: typeof import("./web/file/form-data.ts").FormData;
type FormData = import("./web/file/form-data.ts").FormData;
type FormDataEntryValue = import("./web/file/form-data.ts").FormDataEntryValue;

declare var Event: typeof import("./web/events/event.ts").Event;
type Event = import("./web/events/event.ts").Event;
declare var CustomEvent: typeof import("./web/events/event.ts").CustomEvent;
type CustomEvent<T = unknown> = import("./web/events/event.ts").CustomEvent<T>;
declare var EventTarget: typeof import("./web/events/event-target.ts").EventTarget;
type EventTarget = import("./web/events/event-target.ts").EventTarget;
declare var AbortController: typeof import("./web/abort/abort-signal.ts").AbortController;
type AbortController = import("./web/abort/abort-signal.ts").AbortController;
declare var AbortSignal: typeof import("./web/abort/abort-signal.ts").AbortSignal;
type AbortSignal = import("./web/abort/abort-signal.ts").AbortSignal;

declare var ReadableStream: typeof import("web-streams-polyfill").ReadableStream;
type ReadableStream<R = any> = import("web-streams-polyfill").ReadableStream<R>;
declare var ReadableStreamDefaultReader: typeof import("web-streams-polyfill").ReadableStreamDefaultReader;
type ReadableStreamDefaultReader<R = any> = import("web-streams-polyfill").ReadableStreamDefaultReader<R>;
declare var ReadableStreamBYOBReader: typeof import("web-streams-polyfill").ReadableStreamBYOBReader;
type ReadableStreamBYOBReader = import("web-streams-polyfill").ReadableStreamBYOBReader;
declare var ReadableStreamBYOBRequest: typeof import("web-streams-polyfill").ReadableStreamBYOBRequest;
type ReadableStreamBYOBRequest = import("web-streams-polyfill").ReadableStreamBYOBRequest;
declare var ReadableStreamDefaultController: typeof import("web-streams-polyfill").ReadableStreamDefaultController;
type ReadableStreamDefaultController<R = any> = import("web-streams-polyfill").ReadableStreamDefaultController<R>;
declare var ReadableByteStreamController: typeof import("web-streams-polyfill").ReadableByteStreamController;
type ReadableByteStreamController = import("web-streams-polyfill").ReadableByteStreamController;
declare var WritableStream: typeof import("web-streams-polyfill").WritableStream;
type WritableStream<W = any> = import("web-streams-polyfill").WritableStream<W>;
declare var WritableStreamDefaultWriter: typeof import("web-streams-polyfill").WritableStreamDefaultWriter;
type WritableStreamDefaultWriter<W = any> = import("web-streams-polyfill").WritableStreamDefaultWriter<W>;
declare var WritableStreamDefaultController: typeof import("web-streams-polyfill").WritableStreamDefaultController;
type WritableStreamDefaultController = import("web-streams-polyfill").WritableStreamDefaultController;
declare var TransformStream: typeof import("web-streams-polyfill").TransformStream;
type TransformStream<I = any, O = any> = import("web-streams-polyfill").TransformStream<I, O>;
declare var TransformStreamDefaultController: typeof import("web-streams-polyfill").TransformStreamDefaultController;
type TransformStreamDefaultController<O = any> = import("web-streams-polyfill").TransformStreamDefaultController<O>;
declare var ByteLengthQueuingStrategy: typeof import("web-streams-polyfill").ByteLengthQueuingStrategy;
type ByteLengthQueuingStrategy = import("web-streams-polyfill").ByteLengthQueuingStrategy;
declare var CountQueuingStrategy: typeof import("web-streams-polyfill").CountQueuingStrategy;
type CountQueuingStrategy = import("web-streams-polyfill").CountQueuingStrategy;
declare var TextEncoderStream: typeof import("./web/streams/text-streams.ts").TextEncoderStream;
type TextEncoderStream = import("./web/streams/text-streams.ts").TextEncoderStream;
declare var TextDecoderStream: typeof import("./web/streams/text-streams.ts").TextDecoderStream;
type TextDecoderStream = import("./web/streams/text-streams.ts").TextDecoderStream;
declare var CompressionStream: typeof import("./web/compression/compression-streams.ts").CompressionStream;
type CompressionStream = import("./web/compression/compression-streams.ts").CompressionStream;
declare var DecompressionStream: typeof import("./web/compression/compression-streams.ts").DecompressionStream;
type DecompressionStream = import("./web/compression/compression-streams.ts").DecompressionStream;

/**
 * Reaches only the origins the image's connectors declare (`connector({ origin })`) and the
 * operator bound; any other is a TypeError that says what would serve it.
 */
declare function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;

declare var navigator: { readonly userAgent: string; readonly hardwareConcurrency: number };
/** Handles `error` as an uncaught exception: the unikernel prints it and aborts, as Node and Deno end. */
declare function reportError(error: unknown): void;
declare var self: typeof globalThis;
