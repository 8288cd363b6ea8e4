/**
 * @module guest/runtime/drivers/listener
 * The guest side of a `listener()` device: connections the host accepted (`accept` events) wait
 * here until the program takes them, with `accept()` or `for await`.
 */

import type { PeerAddress } from "../../../abi/index.ts";
import type { Listener as ListenerApi } from "../../sdk/devices.ts";
import type { Connection } from "./connection.ts";

export class Listener implements ListenerApi {
  readonly kind = "listener" as const;
  readonly name: string;
  readonly address: PeerAddress;
  #ready: Connection[] = [];
  #waiters: ((connection: Connection) => void)[] = [];

  constructor(name: string, address: PeerAddress) {
    this.name = name;
    this.address = address;
  }

  accept(): Promise<Connection> {
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Connection> {
    for (;;) yield await this.accept();
  }

  /** @internal */
  onAccept(connection: Connection): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(connection);
    else this.#ready.push(connection);
  }
}
