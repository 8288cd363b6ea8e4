/**
 * @module guest/runtime/drivers/streams
 * Every stream of one guest: the listeners (listener.ts), the connectors (connector.ts) and their
 * connections (connection.ts) by handle, and the routing of the host's stream events
 * (`accept`/`connected`/`data`/`end`/`writable`/`closed`) to them.
 */

import type { PeerAddress, StreamEvent } from "../../../abi/index.ts";
import { systemError } from "../../sdk/errors.ts";
import type { Call } from "../core/hypercall.ts";
import { Connection, type ConnectionHost, type Waiter } from "./connection.ts";
import { Connector } from "./connector.ts";
import { Listener } from "./listener.ts";

/** Every stream of one guest, by handle, and the routing of stream events to them. */
export class Streams implements ConnectionHost {
  readonly call: Call;
  readonly encode: (text: string) => Uint8Array;
  #listeners = new Map<number, Listener>();
  #connections = new Map<number, Connection>();
  #connecting = new Map<number, Waiter<Connection>>();

  constructor(call: Call, encode: (text: string) => Uint8Array) {
    this.call = call;
    this.encode = encode;
  }

  listener(name: string, handle: number, address: PeerAddress): Listener {
    const listener = new Listener(name, address);
    this.#listeners.set(handle, listener);
    return listener;
  }

  connector(name: string, handle: number): Connector {
    return new Connector((device) => this.connect(device), name, handle);
  }

  connect(device: number): Promise<Connection> {
    const handle = this.call("stream.connect", device);
    const connection = new Connection(this, handle, { address: "", port: 0, family: "IPv4" });
    this.#connections.set(handle, connection);
    return new Promise((resolve, reject) => this.#connecting.set(handle, { resolve, reject }));
  }

  forget(handle: number): void {
    this.#connections.delete(handle);
  }

  dispatch(event: StreamEvent): void {
    if (event.type === "accept") {
      const connection = new Connection(this, event.handle, event.remote);
      this.#connections.set(event.handle, connection);
      this.#listeners.get(event.device)?.onAccept(connection);
      return;
    }
    const connection = this.#connections.get(event.handle);
    if (connection === undefined) return;
    switch (event.type) {
      case "connected": {
        connection.remote = event.remote;
        const waiter = this.#connecting.get(event.handle);
        this.#connecting.delete(event.handle);
        waiter?.resolve(connection);
        break;
      }
      case "data":
        connection.onData(event.bytes);
        break;
      case "end":
        connection.onEnd();
        break;
      case "writable":
        connection.onWritable();
        break;
      case "closed": {
        const waiter = this.#connecting.get(event.handle);
        this.#connecting.delete(event.handle);
        waiter?.reject(systemError(event.errno ?? "ECONNRESET", "connect"));
        connection.onClosed(event.errno);
        break;
      }
    }
  }
}
