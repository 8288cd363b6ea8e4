/**
 * @module guest/web/abort
 * The abort group of the web globals: `AbortController` and `AbortSignal`, and the hooks other
 * groups use to follow a signal (`onAbort`, `isAbortSignal`, `signalAbort`).
 */

import { initialised } from "../common/registry.ts";

export { AbortController, AbortSignal, isAbortSignal, onAbort, signalAbort } from "./abort-signal.ts";

initialised("abort");
