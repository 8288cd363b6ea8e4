/**
 * @module guest/runtime/drivers/streams
 * The guest side of listeners, connectors and their connections: `accept`/`connected`/`data`/
 * `end`/`writable`/`closed` events in, `stream.*` hypercalls out, behind the SDK's `Listener`,
 * `Connector` and `Connection`.
 *
 * Backpressure both ways: a write resolves once the host has taken the bytes (a write the host
 * cannot take waits for `writable`), and past `READ_HIGH_WATER` unread bytes the runtime asks the
 * host to stop reading (`stream.flow`), which closes TCP's window on the peer.
 */

import type { PeerAddress, StreamEvent } from "../../../abi/index.ts";
import { LIMITS } from "../../../abi/index.ts";
import type { Connection as ConnectionApi, Connector as ConnectorApi, Listener as ListenerApi } from "../../sdk/devices.ts";
import { systemError } from "../../sdk/errors.ts";
import type { Call } from "../core/hypercall.ts";

const READ_HIGH_WATER = 1024 * 1024;


const ASCII = /^[\x00-\x7f]*$/;
/** What a write taken at once returns: one settled promise shared by all. */
const WRITTEN: Promise<void> = Promise.resolve();

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

class Connection implements ConnectionApi {
  readonly handle: number;
  remote: PeerAddress;
  readonly closed: Promise<Error | undefined>;
  #streams: Streams;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #flowing = true;
  #ended = false;
  #gone = false;
  #error: Error | undefined;
  #readers: Waiter<Uint8Array | null>[] = [];
  #writes: Promise<void> = Promise.resolve();
  /** Writes waiting in `#writes`. */
  #queued = 0;
  #writable: (() => void) | undefined;
  #resolveClosed!: (error: Error | undefined) => void;

  constructor(streams: Streams, handle: number, remote: PeerAddress) {
    this.#streams = streams;
    this.handle = handle;
    this.remote = remote;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#buffered -= chunk.length;
      if (!this.#flowing && this.#buffered < READ_HIGH_WATER / 2) this.#flow(true);
      return Promise.resolve(chunk);
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended || this.#gone) return Promise.resolve(null);
    return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }));
  }

  write(data: Uint8Array | string): Promise<void> {
    // The common case, nothing queued and the host takes it all: done now, without a promise chain.
    // ASCII text crosses as the string itself (its UTF-8 bytes are its code units), sparing an
    // ArrayBuffer on each side of the isolate boundary.
    if (this.#queued === 0 && !this.#gone && data.length <= LIMITS.streamWrite && data.length > 0 && (typeof data !== "string" || ASCII.test(data))) {
      try {
        if (this.#streams.call("stream.write", this.handle, data) === data.length) return WRITTEN;
      } catch (error) {
        return Promise.reject(error);
      }
      // The host's queue is full: the bytes were not taken; wait for `writable` below.
    }
    const bytes = typeof data === "string" ? this.#streams.encode(data) : data;
    // Writes go out in call order: each waits for the one before.
    this.#queued++;
    const next = this.#writes.then(() => this.#send(bytes));
    const settled = () => void this.#queued--;
    this.#writes = next.then(settled, settled);
    return next;
  }

  async end(data?: Uint8Array | string): Promise<void> {
    if (data !== undefined) await this.write(data);
    await this.#writes;
    if (!this.#gone) this.#streams.call("stream.shutdown", this.handle);
  }

  close(): void {
    if (this.#gone) return;
    this.#streams.call("stream.close", this.handle);
    this.#finish(undefined);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) yield chunk;
  }

  async #send(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; ) {
      if (this.#gone) throw this.#error ?? systemError("EPIPE", "write");
      const piece = at === 0 && bytes.length <= LIMITS.streamWrite ? bytes : bytes.subarray(at, at + LIMITS.streamWrite);
      const taken = this.#streams.call("stream.write", this.handle, piece);
      if (taken === 0) await new Promise<void>((resolve) => (this.#writable = resolve));
      at += taken;
    }
  }

  #flow(flowing: boolean): void {
    this.#flowing = flowing;
    if (!this.#gone) this.#streams.call("stream.flow", this.handle, flowing);
  }

  /** @internal Events from the host. */
  onData(bytes: Uint8Array): void {
    const reader = this.#readers.shift();
    if (reader) return reader.resolve(bytes);
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
    if (this.#flowing && this.#buffered >= READ_HIGH_WATER) this.#flow(false);
  }

  onEnd(): void {
    this.#ended = true;
    for (const reader of this.#readers.splice(0)) reader.resolve(null);
  }

  onWritable(): void {
    const wake = this.#writable;
    this.#writable = undefined;
    wake?.();
  }

  onClosed(errno: string | undefined): void {
    this.#finish(errno ? systemError(errno, "read") : undefined);
  }

  #finish(error: Error | undefined): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#error = error;
    this.#streams.forget(this.handle);
    for (const reader of this.#readers.splice(0)) (error ? reader.reject(error) : reader.resolve(null));
    this.onWritable();
    this.#resolveClosed(error);
  }
}

class Listener implements ListenerApi {
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

class Connector implements ConnectorApi {
  readonly kind = "connector" as const;
  readonly name: string;
  #handle: number;
  #streams: Streams;

  constructor(streams: Streams, name: string, handle: number) {
    this.#streams = streams;
    this.name = name;
    this.#handle = handle;
  }

  connect(): Promise<Connection> {
    return this.#streams.connect(this.#handle);
  }
}

/** Every stream of one guest, by handle, and the routing of stream events to them. */
export class Streams {
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
    return new Connector(this, name, handle);
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
