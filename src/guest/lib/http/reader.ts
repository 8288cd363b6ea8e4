/**
 * @module tsuki/http/reader
 * The bytes of one connection that the server has read and not yet used, and reading more with a
 * deadline. Only one read is ever outstanding: a read that loses to a deadline stays pending and is
 * reused by the next `fill`, so no bytes are lost. The server reads only when it needs more, so a
 * client that sends faster than it is served fills the runtime's bounded buffer and then TCP's
 * window, never this one.
 */

import type { Connection } from "../../sdk/devices.ts";
import { EMPTY, concat } from "./bytes.ts";
import { TIMEOUT, type Watchdog } from "./watchdog.ts";

export type FillResult = "data" | "eof" | "timeout";

export class Reader {
  #connection: Connection;
  #watchdog: Watchdog;
  #buffer: Uint8Array = EMPTY;
  #pending: Promise<Uint8Array | null> | null = null;
  #eof = false;

  constructor(connection: Connection, watchdog: Watchdog) {
    this.#connection = connection;
    this.#watchdog = watchdog;
  }

  /** Bytes read and not yet consumed. */
  get buffered(): Uint8Array {
    return this.#buffer;
  }

  /** The peer has half-closed: nothing more will arrive. */
  get eof(): boolean {
    return this.#eof;
  }

  /** The watchdog's clock, on which deadlines are given. */
  now(): number {
    return this.#watchdog.now();
  }

  consume(n: number): void {
    this.#buffer = n >= this.#buffer.length ? EMPTY : this.#buffer.subarray(n);
  }

  /** Reads the next bytes into the buffer, unless the peer is done or `deadline` passes first. A read error throws. */
  async fill(deadline: number): Promise<FillResult> {
    if (this.#eof) return "eof";
    this.#pending ??= this.#connection.read();
    const outcome = await this.#watchdog.wait(this.#pending, deadline);
    if (outcome === TIMEOUT) return "timeout";
    this.#pending = null;
    if (outcome === null) {
      this.#eof = true;
      return "eof";
    }
    this.#buffer = this.#buffer.length === 0 ? outcome : concat([this.#buffer, outcome]);
    return "data";
  }

  /**
   * Calls `onEnd` if the peer half-closes or the connection fails before the next `fill` takes what
   * arrives: the server watches a client while its handler runs. It starts the one read that
   * `fill` will reuse, so bytes that arrive meanwhile (a pipelined request) are kept, not lost.
   */
  watchEnd(onEnd: () => void): void {
    if (this.#eof) return onEnd();
    (this.#pending ??= this.#connection.read()).then((chunk) => chunk === null && onEnd(), onEnd);
  }

  /** Reads and drops whatever arrives until the peer closes or `deadline` passes (a lingering close). */
  async discard(deadline: number): Promise<void> {
    this.#buffer = EMPTY;
    try {
      while ((await this.fill(deadline)) === "data") this.#buffer = EMPTY;
    } catch {
      // The connection failed while lingering: nothing more to wait for.
    }
  }
}
