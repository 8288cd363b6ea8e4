/**
 * An in-memory listener and connection with the SDK's shapes, for running `serve` inside Node's
 * test process: the test pushes bytes in, reads what the server wrote, and can hold writes back to
 * play a client that does not read.
 */

import type { Connection, Listener } from "../../../../src/guest/sdk/devices.ts";

export interface FakeConnection extends Connection {
  /** Delivers bytes (Latin-1 text) to the server, or end-of-stream with null. */
  push(data: string | null): void;
  /** Everything the server wrote, as Latin-1 text. */
  output(): string;
  /** When false, writes stay pending until it is set back to true. */
  accepting: boolean;
  readonly ended: boolean;
  readonly isClosed: boolean;
  /** Resolves once the server has written at least `n` bytes in all. */
  written(n: number): Promise<void>;
}

export function fakeConnection(handle = 1): FakeConnection {
  const inbox: (Uint8Array | null)[] = [];
  const readers: ((value: Uint8Array | null) => void)[] = [];
  const out: Uint8Array[] = [];
  let size = 0;
  const stalled: (() => void)[] = [];
  let watchers: { n: number; resolve: () => void }[] = [];
  let resolveClosed!: (error: Error | undefined) => void;
  let accepting = true;
  let ended = false;
  let peerEnded = false;
  let isClosed = false;
  // As a TCP socket does, the connection closes once both sides have ended.
  const closeIfBothEnded = () => ended && peerEnded && connection.close();
  const take = (data: Uint8Array) => {
    out.push(data.slice());
    size += data.length;
    watchers = watchers.filter((w) => (size >= w.n ? (w.resolve(), false) : true));
  };
  const connection: FakeConnection = {
    handle,
    remote: { address: "192.0.2.1", port: 4242, family: "IPv4" },
    read() {
      const next = inbox.shift();
      if (next !== undefined) return Promise.resolve(next);
      if (isClosed) return Promise.resolve(null);
      return new Promise((resolve) => readers.push(resolve));
    },
    async write(data) {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      if (isClosed) throw Object.assign(new Error("write EPIPE"), { code: "EPIPE", syscall: "write" });
      if (!accepting) await new Promise<void>((resolve) => stalled.push(resolve));
      take(bytes);
    },
    async end(data) {
      if (data !== undefined) await connection.write(data);
      ended = true;
      closeIfBothEnded();
    },
    close() {
      if (isClosed) return;
      isClosed = true;
      for (const reader of readers.splice(0)) reader(null);
      resolveClosed(undefined);
    },
    closed: new Promise((resolve) => (resolveClosed = resolve)),
    async *[Symbol.asyncIterator]() {
      for (let chunk = await connection.read(); chunk !== null; chunk = await connection.read()) yield chunk;
    },
    push(data) {
      const value = data === null ? null : Uint8Array.from(data, (c) => c.charCodeAt(0));
      const reader = readers.shift();
      if (reader) reader(value);
      else inbox.push(value);
      if (data === null) {
        peerEnded = true;
        closeIfBothEnded();
      }
    },
    output: () => out.map((b) => String.fromCharCode(...b)).join(""),
    get accepting() {
      return accepting;
    },
    set accepting(value: boolean) {
      accepting = value;
      if (value) for (const wake of stalled.splice(0)) wake();
    },
    get ended() {
      return ended;
    },
    get isClosed() {
      return isClosed;
    },
    written(n) {
      return size >= n ? Promise.resolve() : new Promise((resolve) => watchers.push({ n, resolve }));
    },
  };
  return connection;
}

/** A listener that hands out the given connections, then waits forever. */
export function fakeListener(connections: Connection[]): Listener {
  const queue = connections.slice();
  return {
    name: "web",
    kind: "listener",
    address: { address: "127.0.0.1", port: 8080, family: "IPv4" },
    accept: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise(() => undefined)),
    async *[Symbol.asyncIterator]() {
      while (queue.length > 0) yield queue.shift()!;
      await new Promise(() => undefined);
    },
  };
}
