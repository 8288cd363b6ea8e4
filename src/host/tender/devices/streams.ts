/**
 * @module host/tender/devices/streams
 * The stream side of one unikernel: its listeners, connectors and open connections, each behind a
 * handle that only this unikernel can name, and the `stream.*` hypercalls acting on them. Handles
 * are never reused within a unikernel's life, so a stale handle is EBADF, never another stream.
 */

import { Errno, type HypercallError } from "../../../abi/index.ts";
import { notMine } from "./calls.ts";
import { Connection, peerOf } from "./connection.ts";
import type { ConnectorBackend } from "./connector.ts";
import type { EventSink } from "./events.ts";
import type { ListenerBackend } from "./listener.ts";
import { ReadBudget } from "./read-budget.ts";
import { StreamCounters } from "./stats.ts";

const fail = (errno: Errno, message: string): HypercallError => ({ errno, message });

export class Streams {
  #listeners = new Map<number, ListenerBackend>();
  #connectors = new Map<number, ConnectorBackend>();
  #connections = new Map<number, Connection>();
  /** Each listener's and connector's counters, by device handle; kept after the unikernel ends. */
  #counters = new Map<number, StreamCounters>();
  #next: number;
  #sink: EventSink;
  /** What all its connections may hold read and not delivered. */
  #budget = new ReadBudget();

  /** `firstHandle`: the first handle free after the devices' own. */
  constructor(sink: EventSink, firstHandle: number) {
    this.#sink = sink;
    this.#next = firstHandle;
  }

  /** Whether anything can still produce events: a listener or an open connection. */
  get busy(): boolean {
    return this.#listeners.size > 0 || this.#connections.size > 0;
  }

  get connections(): number {
    return this.#connections.size;
  }

  /** A listener's or connector's counters. */
  counters(device: number): StreamCounters | undefined {
    return this.#counters.get(device);
  }

  addListener(device: number, backend: ListenerBackend): void {
    this.#listeners.set(device, backend);
    this.#counters.set(device, new StreamCounters());
    backend.start((socket) => {
      const connection = this.#open(socket, device);
      this.#sink.post({ type: "accept", device, handle: connection.handle, remote: peerOf(socket) });
    });
  }

  addConnector(device: number, backend: ConnectorBackend): void {
    this.#connectors.set(device, backend);
    this.#counters.set(device, new StreamCounters());
  }

  connect(device: number): number | HypercallError {
    const backend = this.#connectors.get(device);
    if (backend === undefined) return notMine("stream.connect", device);
    const open = this.#counters.get(device)?.open ?? 0;
    if (open >= backend.maxConnections) {
      return fail(Errno.EAGAIN, `stream.connect: this connector has ${open} connections open, as many as its binding allows (?max=${backend.maxConnections}); close one first`);
    }
    const socket = backend.connect();
    if (socket === undefined) return fail(Errno.EAGAIN, "stream.connect: the host has no file descriptors to spare now; try again later");
    const connection = this.#open(socket, device);
    socket.once(backend.readyEvent, () => this.#sink.post({ type: "connected", handle: connection.handle, remote: peerOf(socket) }));
    return connection.handle;
  }

  write(handle: number, data: Uint8Array | string): number | HypercallError {
    const result = this.#get(handle, "stream.write");
    if (!(result instanceof Connection)) return result;
    const taken = result.write(data);
    return typeof taken === "number" ? taken : fail(taken, `stream.write: connection ${handle} is closed for writing`);
  }

  shutdown(handle: number): undefined | HypercallError {
    const result = this.#get(handle, "stream.shutdown");
    if (!(result instanceof Connection)) return result;
    result.shutdown();
    return undefined;
  }

  close(handle: number): undefined | HypercallError {
    const result = this.#get(handle, "stream.close");
    if (!(result instanceof Connection)) return result;
    result.close();
    return undefined;
  }

  flow(handle: number, flowing: boolean): undefined | HypercallError {
    const result = this.#get(handle, "stream.flow");
    if (!(result instanceof Connection)) return result;
    result.flow(flowing);
    return undefined;
  }

  /** Closes every listener and connection (the unikernel has ended). */
  closeAll(): void {
    for (const listener of this.#listeners.values()) listener.close();
    for (const connection of this.#connections.values()) connection.close();
    this.#listeners.clear();
    this.#connections.clear();
    for (const counters of this.#counters.values()) counters.open = 0;
  }

  #open(socket: import("node:net").Socket, device: number): Connection {
    const counters = this.#counters.get(device);
    if (counters) {
      counters.open++;
      counters.total++;
    }
    const connection = new Connection(this.#next++, socket, this.#sink, (c) => {
      if (this.#connections.delete(c.handle) && counters) counters.open--;
    }, counters, this.#budget);
    this.#connections.set(connection.handle, connection);
    return connection;
  }

  #get(handle: number, call: string): Connection | HypercallError {
    return this.#connections.get(handle) ?? notMine(call, handle);
  }
}
