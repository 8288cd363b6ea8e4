/**
 * @module host/tender/devices/connection
 * One stream connection of a unikernel: a TCP or TLS socket behind a handle. The host never
 * buffers without bound, in either direction:
 *
 * - Reading: bytes wait here until the next turn delivers them; past `READ_BUFFER` bytes, or past
 *   the unikernel's `ReadBudget` for all its connections together, the socket is paused (TCP's
 *   window closes on the peer), and it resumes once they are delivered and the guest still wants
 *   data (`stream.flow`).
 * - Writing: `stream.write` takes a whole chunk while the socket's queue is under `WRITE_BUFFER`
 *   bytes and takes nothing (0) when it is over; a `writable` event follows when it drains.
 *
 * Errors reach the guest as values with Node's codes (`ECONNRESET`, `EPIPE`, …) in `closed`.
 */

import type { Socket } from "node:net";
import { type DeviceErrno, type Errno, type GuestEvent, type PeerAddress, deviceErrno } from "../../../abi/index.ts";
import type { EventSink, EventSource } from "./events.ts";
import type { Paused, ReadBudget } from "./read-budget.ts";
import type { StreamCounters } from "./stats.ts";

export const READ_BUFFER = 256 * 1024;
export const WRITE_BUFFER = 256 * 1024;

export function peerOf(socket: Socket): PeerAddress {
  return {
    address: socket.remoteAddress ?? "",
    port: socket.remotePort ?? 0,
    family: socket.remoteFamily === "IPv6" ? "IPv6" : "IPv4",
  };
}

export class Connection implements EventSource, Paused {
  readonly handle: number;
  readonly socket: Socket;
  /** Bytes read and not yet delivered. */
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #flowing = true;
  #queued = false;
  #ended = false;
  #endDelivered = false;
  #wantsWritable = false;
  #pendingWritable = false;
  #closed: { errno: DeviceErrno | undefined } | undefined;
  #error: DeviceErrno | undefined;
  #sink: EventSink;
  #onClosed: (connection: Connection) => void;
  /** Its device's counters: bytes read from and written to the socket. */
  #counters: StreamCounters | undefined;
  /** What the unikernel's connections may hold together. */
  #budget: ReadBudget | undefined;

  constructor(handle: number, socket: Socket, sink: EventSink, onClosed: (connection: Connection) => void, counters?: StreamCounters, budget?: ReadBudget) {
    this.handle = handle;
    this.socket = socket;
    this.#sink = sink;
    this.#onClosed = onClosed;
    this.#counters = counters;
    this.#budget = budget;
    budget?.join(this);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      if (this.#counters) this.#counters.bytesIn += chunk.length;
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      const withinBudget = this.#budget === undefined || this.#budget.take(chunk.length);
      if (this.#buffered >= READ_BUFFER || !withinBudget) socket.pause();
      this.#ready();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#ready();
    });
    socket.on("drain", () => {
      if (!this.#wantsWritable) return;
      this.#wantsWritable = false;
      this.#pendingWritable = true;
      this.#ready();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      this.#error ??= deviceErrno(error.code);
    });
    socket.on("close", () => {
      this.#budget?.forget(this);
      this.#closed = { errno: this.#error };
      this.#ready();
    });
  }

  /** `stream.write`: all of `data` (bytes, or an ASCII string already checked) taken, or 0 when the socket's queue is full. */
  write(data: Uint8Array | string): number | Errno {
    if (this.#closed || this.socket.destroyed) return "EPIPE";
    if (!this.socket.writable) return "EPIPE";
    if (this.socket.writableLength >= WRITE_BUFFER) {
      this.#wantsWritable = true;
      return 0;
    }
    if (typeof data === "string") this.socket.write(data, "latin1");
    else this.socket.write(data);
    if (this.#counters) this.#counters.bytesOut += data.length;
    return data.length;
  }

  shutdown(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }

  flow(flowing: boolean): void {
    this.#flowing = flowing;
    if (flowing) this.resumeIfWanted();
    else this.socket.pause();
  }

  /** Reads again if the guest wants data and neither this connection's buffer nor the unikernel's budget is full. */
  resumeIfWanted(): void {
    if (!this.#flowing || this.#closed || this.#buffered >= READ_BUFFER || this.#budget?.open === false) return;
    this.socket.resume();
  }

  /** Stops reading for now (the unikernel's budget is full); `flow` and `resumeIfWanted` decide when it reads again. */
  pause(): void {
    this.socket.pause();
  }

  drain(out: GuestEvent[]): void {
    this.#queued = false;
    if (this.#chunks.length > 0) {
      const bytes = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
      out.push({ type: "data", handle: this.handle, bytes });
      this.#chunks = [];
      const delivered = this.#buffered;
      this.#buffered = 0;
      this.#budget?.give(delivered);
      this.resumeIfWanted();
    }
    if (this.#pendingWritable) {
      this.#pendingWritable = false;
      out.push({ type: "writable", handle: this.handle });
    }
    if (this.#ended && !this.#endDelivered) {
      this.#endDelivered = true;
      out.push({ type: "end", handle: this.handle });
    }
    if (this.#closed) {
      out.push(this.#closed.errno ? { type: "closed", handle: this.handle, errno: this.#closed.errno } : { type: "closed", handle: this.handle });
      this.#onClosed(this);
    }
  }

  #ready(): void {
    if (this.#queued) return;
    this.#queued = true;
    this.#sink.ready(this);
  }
}
