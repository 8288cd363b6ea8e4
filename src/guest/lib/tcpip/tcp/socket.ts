/**
 * @module tcpip/tcp/socket
 * The SDK's `Connection` over one TCP connection. Reads hand over whatever arrived since the last
 * read as one Uint8Array (the receive buffer coalesces), and reading opens the window. A write
 * copies its bytes and resolves once they are in the send buffer, so awaiting it is backpressure;
 * a write larger than the room left is taken piece by piece as acknowledgments free space. `end`
 * sends a FIN after everything written; `close` lets queued bytes and a FIN go out, or resets when
 * unread data would be lost (RFC 2525 §2.17). Errors are Node-shaped (`ECONNRESET`, `EPIPE`,
 * `ECONNREFUSED`, `ETIMEDOUT`).
 */

import type { Address, Connection } from "../../../sdk/devices.ts";
import * as control from "./control.ts";
import { type SystemError, systemError } from "../../../sdk/errors.ts";
import type { KeepAliveOptions } from "./options.ts";
import { resolveKeepAlive } from "./options.ts";
import type { Tcb, TcbUser } from "./tcb.ts";

/** What a socket needs from the transport. */
export interface SocketHost {
  now(): number;
  /** A socket call queued something: poll `tcb` at the end of this turn. */
  touch(tcb: Tcb): void;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

interface PendingWrite {
  bytes: Uint8Array;
  at: number;
  resolve(): void;
  reject(error: Error): void;
}

const DONE: Promise<void> = Promise.resolve();
const encoder = new TextEncoder();

export class TcpConnection implements Connection, TcbUser {
  readonly handle: number;
  readonly remote: Address;
  /** Our end of the connection. */
  readonly local: Address;
  readonly closed: Promise<Error | undefined>;
  readonly #tcb: Tcb;
  readonly #host: SocketHost;
  #readers: Waiter<Uint8Array | null>[] = [];
  #writes: PendingWrite[] = [];
  #ending = false;
  #endWaiters: Waiter<void>[] = [];
  #gone = false;
  #error: Error | undefined;
  #resolveClosed!: (error: Error | undefined) => void;
  #connecting: Waiter<TcpConnection> | undefined;

  constructor(host: SocketHost, tcb: Tcb, handle: number, remote: Address, local: Address) {
    this.#host = host;
    this.#tcb = tcb;
    this.handle = handle;
    this.remote = remote;
    this.local = local;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    tcb.user = this;
  }

  /** @internal For `connect`: resolves once established. */
  connecting(): Promise<TcpConnection> {
    return new Promise((resolve, reject) => (this.#connecting = { resolve, reject }));
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#take();
    if (chunk !== undefined) return Promise.resolve(chunk);
    if (this.#error) return Promise.reject(this.#error);
    if (this.#tcb.eof || this.#gone) return Promise.resolve(null);
    return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }));
  }

  #take(): Uint8Array | undefined {
    const chunk = this.#tcb.receiveBuffer.take();
    if (chunk !== undefined && !this.#gone && control.onRead(this.#tcb)) this.#host.touch(this.#tcb);
    return chunk;
  }

  /** What a write fails with once the connection is gone: the error that ended it, as a write's, or EPIPE. */
  #writeError(): Error {
    const code = (this.#error as SystemError | undefined)?.code;
    return systemError(code ?? "EPIPE", "write");
  }

  write(data: Uint8Array | string): Promise<void> {
    if (this.#gone) return Promise.reject(this.#writeError());
    if (this.#ending) return Promise.reject(systemError("EPIPE", "write"));
    const bytes = typeof data === "string" ? encoder.encode(data) : data.slice();
    if (bytes.length === 0) return DONE;
    const tcb = this.#tcb;
    if (this.#writes.length === 0 && tcb.sendSpace >= bytes.length) {
      tcb.send(bytes);
      this.#host.touch(tcb);
      return DONE;
    }
    return new Promise((resolve, reject) => {
      this.#writes.push({ bytes, at: 0, resolve, reject });
      this.#pump();
    });
  }

  /** Moves queued writes into the send buffer as far as it has room. */
  #pump(): void {
    const tcb = this.#tcb;
    let moved = false;
    while (this.#writes.length > 0) {
      const space = tcb.sendSpace;
      if (space <= 0) break;
      const write = this.#writes[0]!;
      const left = write.bytes.length - write.at;
      const n = Math.min(space, left);
      tcb.send(write.at === 0 && n === write.bytes.length ? write.bytes : write.bytes.subarray(write.at, write.at + n));
      write.at += n;
      moved = true;
      if (write.at < write.bytes.length) break;
      this.#writes.shift();
      write.resolve();
    }
    if (this.#writes.length === 0 && this.#ending && this.#endWaiters.length > 0) {
      control.shutdown(tcb);
      moved = true;
      for (const waiter of this.#endWaiters.splice(0)) waiter.resolve();
    }
    if (moved) this.#host.touch(tcb);
  }

  async end(data?: Uint8Array | string): Promise<void> {
    if (data !== undefined && !this.#ending) await this.write(data);
    if (this.#gone || this.#ending) return;
    this.#ending = true;
    if (this.#writes.length === 0) {
      control.shutdown(this.#tcb);
      this.#host.touch(this.#tcb);
      return;
    }
    // The FIN follows the writes still waiting for room: `#pump` sends it once they are taken.
    await new Promise<void>((resolve, reject) => this.#endWaiters.push({ resolve, reject }));
  }

  close(): void {
    if (this.#gone) return;
    this.#gone = true;
    const error = systemError("EPIPE", "write");
    for (const write of this.#writes.splice(0)) write.reject(error);
    for (const waiter of this.#endWaiters.splice(0)) waiter.resolve();
    for (const reader of this.#readers.splice(0)) reader.resolve(null);
    this.#connecting?.reject(systemError("ECONNABORTED", "connect", { address: this.remote.address, port: this.remote.port }));
    this.#connecting = undefined;
    control.close(this.#tcb, this.#host.now());
    this.#host.touch(this.#tcb);
    this.#resolveClosed(undefined);
  }

  /** Nagle's algorithm off (true) or on (RFC 1122 §4.2.3.4), as Node's `setNoDelay`. */
  setNoDelay(noDelay = true): void {
    this.#tcb.noDelay = noDelay;
    if (noDelay) this.#host.touch(this.#tcb);
  }

  /** Keep-alive probes on this connection (RFC 1122 §4.2.3.6), as Node's `setKeepAlive`. */
  setKeepAlive(enable: boolean, options: KeepAliveOptions = {}): void {
    control.setKeepAlive(this.#tcb, this.#host.now(), enable ? resolveKeepAlive(options) : undefined);
    this.#host.touch(this.#tcb);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) yield chunk;
  }

  // ——— From the connection ———

  onEstablished(): void {
    const connecting = this.#connecting;
    this.#connecting = undefined;
    connecting?.resolve(this);
  }

  onReadable(): void {
    while (this.#readers.length > 0) {
      const chunk = this.#take();
      if (chunk === undefined) break;
      this.#readers.shift()!.resolve(chunk);
    }
    if (this.#readers.length > 0 && (this.#tcb.eof || this.#gone)) {
      for (const reader of this.#readers.splice(0)) this.#error ? reader.reject(this.#error) : reader.resolve(null);
    }
  }

  onWritable(): void {
    if (this.#writes.length > 0 || this.#endWaiters.length > 0) this.#pump();
  }

  onClosed(error: Error | undefined): void {
    if (this.#gone) return;
    if (error && (error as SystemError).syscall === "connect") error = systemError((error as SystemError).code, "connect", { address: this.remote.address, port: this.remote.port });
    this.#gone = true;
    this.#error = error;
    const connecting = this.#connecting;
    this.#connecting = undefined;
    connecting?.reject(error ?? systemError("ECONNRESET", "connect", { address: this.remote.address, port: this.remote.port }));
    const failure = this.#writeError();
    for (const write of this.#writes.splice(0)) write.reject(failure);
    for (const waiter of this.#endWaiters.splice(0)) (error ? waiter.reject(error) : waiter.resolve());
    this.onReadable();
    for (const reader of this.#readers.splice(0)) error ? reader.reject(error) : reader.resolve(null);
    this.#resolveClosed(error);
  }
}
