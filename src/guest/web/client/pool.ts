/**
 * @module guest/web/client/pool
 * The kept-alive connections of one connector: `fetch` takes one that is idle, or opens one while
 * fewer than the binding's `?max=` are open, or waits for one to come back. A connection comes
 * back after its response's body has been read to its end, and waits idle up to `IDLE_MS` (as
 * undici keeps them) before it is closed; at most `IDLE_MAX` wait so. A connection the server
 * closes while idle is dropped as soon as the host says so.
 */

import type { Connection, Connector } from "../../sdk/devices.ts";

/** How long an idle connection is kept for the next request. */
export const IDLE_MS = 4000;
/** The most idle connections kept per connector. */
export const IDLE_MAX = 8;

interface Held {
  readonly connection: Connection;
  gone: boolean;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}

export class Pool {
  #connector: Connector;
  #max: number;
  #open = 0;
  #idle: Held[] = [];
  #held = new Map<Connection, Held>();
  #waiters: (() => void)[] = [];

  constructor(connector: Connector, max: number) {
    this.#connector = connector;
    this.#max = max;
  }

  /** A connection for one exchange, and whether it has carried one before (it may have gone stale). */
  async acquire(signal: AbortSignal | null): Promise<{ connection: Connection; reused: boolean }> {
    for (;;) {
      signal?.throwIfAborted();
      const idle = this.#idle.pop();
      if (idle !== undefined) {
        clearTimeout(idle.idleTimer);
        return { connection: idle.connection, reused: true };
      }
      if (this.#open < this.#max) return { connection: await this.#connect(), reused: false };
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener("abort", abort);
          resolve();
        };
        const abort = () => {
          this.#waiters = this.#waiters.filter((w) => w !== wake);
          reject(signal!.reason);
        };
        signal?.addEventListener("abort", abort, { once: true });
        this.#waiters.push(wake);
      });
    }
  }

  /** Gives back a connection after its exchange: kept idle when it can carry another, else closed. */
  release(connection: Connection, reusable: boolean): void {
    const held = this.#held.get(connection);
    if (held === undefined) return;
    if (!reusable || held.gone || this.#idle.length >= IDLE_MAX) {
      connection.close();
      return;
    }
    held.idleTimer = setTimeout(() => connection.close(), IDLE_MS);
    this.#idle.push(held);
    this.#wake();
  }

  async #connect(): Promise<Connection> {
    this.#open++;
    let connection: Connection;
    try {
      connection = await this.#connector.connect();
    } catch (error) {
      this.#open--;
      this.#wake();
      throw error;
    }
    const held: Held = { connection, gone: false, idleTimer: undefined };
    this.#held.set(connection, held);
    void connection.closed.then(() => {
      held.gone = true;
      clearTimeout(held.idleTimer);
      this.#held.delete(connection);
      this.#idle = this.#idle.filter((h) => h !== held);
      this.#open--;
      this.#wake();
    });
    return connection;
  }

  #wake(): void {
    this.#waiters.shift()?.();
  }
}
