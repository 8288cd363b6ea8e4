/**
 * @module tsuki/http/client-watch
 * Whether the client of the exchange in flight has gone away: its connection closed or failed, or
 * it half-closed while its request was being answered (taken as gone, as Node's server and hyper
 * take it: browsers and HTTP clients never half-close to wait for an answer). Going away aborts
 * the request's `signal` and cancels a streamed response; a response of bytes is still written.
 */

export class ClientWatch {
  #reason: unknown;
  #gone = false;
  #settled = false;
  #listeners: ((reason: unknown) => void)[] = [];

  /** The client left before the response was complete. */
  get gone(): boolean {
    return this.#gone;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** Calls `listener` once if the client goes away before `settle`; at once if it already has. */
  on(listener: (reason: unknown) => void): void {
    if (this.#gone) listener(this.#reason);
    else if (!this.#settled) this.#listeners.push(listener);
  }

  fire(why: string): void {
    if (this.#gone || this.#settled) return;
    this.#gone = true;
    this.#reason = new DOMException(`the client went away: ${why}`, "AbortError");
    for (const listener of this.#listeners.splice(0)) listener(this.#reason);
  }

  /** The response is complete: the client leaving now changes nothing. */
  settle(): void {
    this.#settled = true;
    this.#listeners = [];
  }
}
