/**
 * @module guest/runtime/drivers/connection
 * One stream connection of a listener or a connector: `data`/`end`/`writable`/`closed` events in,
 * `stream.write`/`shutdown`/`close`/`flow` hypercalls out, behind the SDK's `Connection`.
 *
 * Backpressure both ways: a write resolves once the host has taken the bytes (a write the host
 * cannot take waits for `writable`), and past `READ_HIGH_WATER` unread bytes the runtime asks the
 * host to stop reading (`stream.flow`), which closes TCP's window on the peer.
 */

import type { PeerAddress } from "../../../abi/index.ts";
import { LIMITS } from "../../../abi/index.ts";
import type { Connection as ConnectionApi } from "../../sdk/devices.ts";
import { systemError } from "../../sdk/errors.ts";
import type { Call } from "../core/hypercall.ts";

/** What a connection needs of the table that holds it (streams.ts). */
export interface ConnectionHost {
  readonly call: Call;
  readonly encode: (text: string) => Uint8Array;
  /** The connection is closed: its handle is free. */
  forget(handle: number): void;
}

const READ_HIGH_WATER = 1024 * 1024;


const ASCII = /^[\x00-\x7f]*$/;
/** What a write taken at once returns: one settled promise shared by all. */
const WRITTEN: Promise<void> = Promise.resolve();

export interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

export class Connection implements ConnectionApi {
  readonly handle: number;
  remote: PeerAddress;
  readonly closed: Promise<Error | undefined>;
  #streams: ConnectionHost;
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

  constructor(streams: ConnectionHost, handle: number, remote: PeerAddress) {
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
