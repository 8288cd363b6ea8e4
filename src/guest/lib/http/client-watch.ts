/**
 * @module tsuki/http/client-watch
 * Whether the client of the exchange in flight has gone away: its connection closed or failed, or
 * it half-closed while its request was being answered (taken as gone, as Node's server and hyper
 * take it: browsers and HTTP clients never half-close to wait for an answer). Going away aborts
 * the request's `signal` and cancels a streamed response; a response of bytes is still written.
 *
 * Watching for the half-close costs a read started early, so it begins only when something would
 * act on it: the handler asked for the request's signal, or a streamed response began. A close or
 * reset is seen in any case (one listener per connection).
 */

import { type Request, web } from "./web.ts";
import type { Reader } from "./reader.ts";

export class ClientWatch {
  #reason: unknown;
  #gone = false;
  #settled = false;
  #watching = false;
  #listeners: ((reason: unknown) => void)[] | undefined;
  #reader: Reader;
  #body: { readonly done: boolean; onDone: (() => void) | undefined };

  constructor(reader: Reader, body: { readonly done: boolean; onDone: (() => void) | undefined }) {
    this.#reader = reader;
    this.#body = body;
  }

  /** The request's signal was asked for (the runtime's hook): abort it if the client leaves. */
  signalAsked(request: Request): void {
    this.on((reason) => web().abortRequest(request, reason));
  }

  /** The client left before the response was complete. */
  get gone(): boolean {
    return this.#gone;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** Calls `listener` once if the client goes away before `settle`; at once if it already has. Watches for a half-close from now on. */
  on(listener: (reason: unknown) => void): void {
    if (this.#gone) return listener(this.#reason);
    if (this.#settled) return;
    (this.#listeners ??= []).push(listener);
    this.watch();
  }

  /** Watches for a half-close from now on: at once if the body is in, else once it is. */
  watch(): void {
    if (this.#watching || this.#settled) return;
    this.#watching = true;
    const start = () => void (!this.#settled && this.#reader.buffered.length === 0 && this.#reader.watchEnd(() => this.fire("it closed its side of the connection")));
    if (this.#body.done) start();
    else this.#body.onDone = start;
  }

  fire(why: string): void {
    if (this.#gone || this.#settled) return;
    this.#gone = true;
    this.#reason = new DOMException(`the client went away: ${why}`, "AbortError");
    for (const listener of this.#listeners?.splice(0) ?? []) listener(this.#reason);
  }

  /** The response is complete: the client leaving now changes nothing. */
  settle(): void {
    this.#settled = true;
    this.#listeners = undefined;
  }
}
