/**
 * @module tcpip/tcp/listener
 * The SDK's `Listener` on one local port (RFC 9293 LISTEN). Its backlog bounds the connections it
 * holds for the application: half-open ones (SYN-RECEIVED) plus established ones not yet accepted.
 * A SYN beyond it is dropped and counted (no state is kept for it), so a SYN flood costs bounded
 * memory; the legitimate client's SYN is retransmitted and gets in once room frees up.
 */

import type { Address, Connection, Listener } from "../../../sdk/devices.ts";
import * as control from "./control.ts";
import { systemError } from "../../../sdk/errors.ts";
import type { TcpConnection } from "./socket.ts";
import type { Tcb, TcbListener } from "./tcb.ts";

/** What a listener needs from the transport. */
export interface ListenerHost {
  /** The socket for a connection that completed its handshake. */
  socketFor(tcb: Tcb): TcpConnection;
  unlisten(listener: TcpListener): void;
}

export class TcpListener implements Listener, TcbListener {
  readonly kind = "listener" as const;
  readonly name: string;
  readonly port: number;
  readonly #localAddress: () => string;
  readonly backlog: number;
  /** Connections in SYN-RECEIVED. */
  halfOpen = 0;
  readonly #host: ListenerHost;
  #ready: TcpConnection[] = [];
  #waiters: { resolve(connection: Connection): void; reject(error: Error): void }[] = [];
  #closed = false;

  constructor(host: ListenerHost, localAddress: () => string, port: number, backlog: number) {
    this.#host = host;
    this.#localAddress = localAddress;
    this.port = port;
    this.name = `tcp:${port}`;
    this.backlog = backlog;
  }

  /** Where it listens: our address now (0.0.0.0 while none is configured) and the port. */
  get address(): Address {
    return { address: this.#localAddress(), port: this.port, family: "IPv4" };
  }

  /** Whether another SYN may be taken. */
  get hasRoom(): boolean {
    return !this.#closed && this.halfOpen + this.#ready.length < this.backlog;
  }

  accept(): Promise<Connection> {
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#closed) return Promise.reject(systemError("EINVAL", "accept"));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Yields each accepted connection; ends (rather than throwing EINVAL) once the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Connection> {
    for (;;) {
      if (this.#closed && this.#ready.length === 0) return;
      let connection: Connection;
      try {
        connection = await this.accept();
      } catch (error) {
        if (this.#closed) return;
        throw error;
      }
      yield connection;
    }
  }

  /** Stops listening: connections not yet accepted are reset, pending accepts fail with EINVAL. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.unlisten(this);
    for (const connection of this.#ready.splice(0)) connection.close();
    const error = systemError("EINVAL", "accept");
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  onEstablished(tcb: Tcb): void {
    this.halfOpen--;
    tcb.listener = undefined;
    if (this.#closed) {
      control.abort(tcb, 0, undefined);
      return;
    }
    const connection = this.#host.socketFor(tcb);
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(connection);
    else this.#ready.push(connection);
  }

  onAbandoned(_tcb: Tcb): void {
    this.halfOpen--;
  }
}
