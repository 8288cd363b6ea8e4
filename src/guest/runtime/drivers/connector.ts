/**
 * @module guest/runtime/drivers/connector
 * The guest side of a `connector()` device: `connect()` opens a stream to the one endpoint the
 * operator bound (`stream.connect`), resolved by the host's `connected` event.
 */

import type { Connector as ConnectorApi } from "../../sdk/devices.ts";
import type { Connection } from "./connection.ts";

export class Connector implements ConnectorApi {
  readonly kind = "connector" as const;
  readonly name: string;
  #handle: number;
  #connect: (device: number) => Promise<Connection>;

  constructor(connect: (device: number) => Promise<Connection>, name: string, handle: number) {
    this.#connect = connect;
    this.name = name;
    this.#handle = handle;
  }

  connect(): Promise<Connection> {
    return this.#connect(this.#handle);
  }
}
