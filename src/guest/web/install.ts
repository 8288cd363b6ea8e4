/**
 * @module guest/web/install
 * Installs the web platform's globals (`WEB_GLOBALS`: URL, fetch and its classes, streams, events,
 * abort, Blob/File/FormData, compression, URLPattern, navigator, reportError, self) as the web
 * script's whole top level. Each global is a getter until first read (or a plain value once
 * written), so the group of classes behind it is initialised only when the guest touches one of
 * them: a unikernel that builds a `Response` never pays for `CompressionStream`.
 *
 * Globals are like the web's: writable, configurable, not enumerable. The script is minified, so
 * classes get their public names back here. `Symbol.for("tsuki.web")` holds the hooks `tsuki/http`
 * uses (fetch/internals.ts); docs/abi.md describes it.
 */

import { WEB_GLOBALS } from "../../abi/runtime-parts.ts";
import { type Loader, setLoader } from "./common/registry.ts";
import { defineLazy } from "../runtime/core/define-lazy.ts";

type WebGlobal = (typeof WEB_GLOBALS)[number];

/** The group (folder) that defines each global; `self` is the global object itself. */
const GROUP: Record<Exclude<WebGlobal, "self">, string> = {
  AbortController: "abort",
  AbortSignal: "abort",
  Blob: "file",
  ByteLengthQueuingStrategy: "streams",
  CompressionStream: "compression",
  CountQueuingStrategy: "streams",
  CustomEvent: "events",
  DecompressionStream: "compression",
  Event: "events",
  EventTarget: "events",
  File: "file",
  FormData: "file",
  Headers: "fetch",
  ReadableByteStreamController: "streams",
  ReadableStream: "streams",
  ReadableStreamBYOBReader: "streams",
  ReadableStreamBYOBRequest: "streams",
  ReadableStreamDefaultController: "streams",
  ReadableStreamDefaultReader: "streams",
  Request: "fetch",
  Response: "fetch",
  TextDecoderStream: "streams",
  TextEncoderStream: "streams",
  TransformStream: "streams",
  TransformStreamDefaultController: "streams",
  URL: "url",
  URLPattern: "url-pattern",
  URLSearchParams: "url",
  WritableStream: "streams",
  WritableStreamDefaultController: "streams",
  WritableStreamDefaultWriter: "streams",
  fetch: "client",
  navigator: "navigator",
  reportError: "navigator",
};

export function install(global: typeof globalThis, load: Loader): void {
  setLoader(load);
  for (const name of WEB_GLOBALS) {
    if (name === "self") defineLazy(global, name, () => global);
    else defineLazy(global, name, () => named((load(GROUP[name]) as Record<string, unknown>)[name], name));
  }
  Object.defineProperty(global, Symbol.for("tsuki.web"), { configurable: false, enumerable: false, get: () => (load("fetch") as { internals: unknown }).internals });
}

/** A function gets its public name back (the script's own names are minified). */
function named(value: unknown, name: string): unknown {
  if (typeof value === "function" && value.name !== name) Object.defineProperty(value, "name", { value: name, configurable: true });
  return value;
}
