/**
 * @module tsuki/dns/serve
 * DNS over a unikernel's devices. `serveUdp`: one answer datagram per query, sent back to its
 * sender. `serveTcp` (RFC 1035 §4.2.2, RFC 7766): messages framed by a two-octet length, many
 * per connection, answered in order and written together when the client pipelines them, a
 * connection closed after `idleTimeoutMs` without a complete query (default 10 s) or on a frame
 * that cannot be a query (shorter than a header). Both run until the unikernel ends.
 */

import { loopTime } from "../../sdk/clock.ts";
import type { Connection, Listener, Udp } from "../../sdk/devices.ts";
import type { Authority } from "./authority.ts";

export interface ServeTcpOptions {
  /** How long a connection may wait for its next complete query (default 10,000 ms; Infinity: forever). */
  idleTimeoutMs?: number;
}

/** Serves UDP queries on a udp() device until the unikernel ends. */
export async function serveUdp(udp: Udp, authority: Authority): Promise<never> {
  // Each query is copied into one buffer kept across queries, and answered from a view of it.
  // Parsing takes views (subarray) of the query; a small Uint8Array lives in the JS heap, and the
  // first view of it moves its bytes to memory of their own: an allocation per query, freed by
  // the garbage collector. `answer` keeps nothing of the query once it has returned.
  let scratch = new Uint8Array(512);
  for (;;) {
    const datagram = await udp.receive();
    const data = datagram.data;
    if (data.length > scratch.length) scratch = new Uint8Array(Math.max(data.length, 2 * scratch.length));
    scratch.set(data);
    const answers = authority.answer(scratch.subarray(0, data.length), { tcp: false, remote: datagram.from });
    for (const answer of answers) {
      try {
        udp.send(answer, datagram.from);
      } catch {
        // The host refused the send (gone peer, queue full): UDP is best effort.
      }
    }
  }
}

/** Serves DNS over TCP on a listener() device until the unikernel ends. */
export async function serveTcp(listener: Listener, authority: Authority, options: ServeTcpOptions = {}): Promise<never> {
  const idle = options.idleTimeoutMs ?? 10_000;
  if (typeof idle !== "number" || Number.isNaN(idle) || idle <= 0) throw new TypeError("serveTcp: idleTimeoutMs must be a positive number of milliseconds (or Infinity)");
  const sweeper = new IdleSweeper(idle);
  for await (const connection of listener) void serveConnection(connection, authority, sweeper);
  throw new Error("serveTcp: the listener stopped accepting connections");
}

/** Closes connections idle past their deadline, with one interval timer for all of them. */
class IdleSweeper {
  #deadlines = new Map<Connection, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly idle: number;

  constructor(idle: number) {
    this.idle = idle;
  }

  touch(connection: Connection): void {
    if (this.idle === Infinity) return;
    this.#deadlines.set(connection, loopTime() + this.idle);
    this.#timer ??= setInterval(() => this.#sweep(), Math.min(1000, Math.max(10, this.idle / 4)));
  }

  forget(connection: Connection): void {
    this.#deadlines.delete(connection);
    if (this.#deadlines.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #sweep(): void {
    const now = loopTime();
    for (const [connection, deadline] of this.#deadlines) {
      if (deadline > now) continue;
      this.forget(connection);
      connection.close();
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

async function serveConnection(connection: Connection, authority: Authority, sweeper: IdleSweeper): Promise<void> {
  let buffered: Uint8Array = new Uint8Array(0);
  const remote = connection.remote;
  sweeper.touch(connection);
  try {
    for (;;) {
      const chunk = await connection.read();
      if (chunk === null) break;
      buffered = concat(buffered, chunk);
      const out: Uint8Array[] = [];
      let size = 0;
      let at = 0;
      let bad = false;
      while (buffered.length - at >= 2) {
        const length = (buffered[at]! << 8) | buffered[at + 1]!;
        if (buffered.length - at - 2 < length) break;
        const message = buffered.subarray(at + 2, at + 2 + length);
        at += 2 + length;
        if (length < 12) {
          bad = true;
          break;
        }
        for (const answer of authority.answer(message, { tcp: true, remote })) {
          out.push(Uint8Array.of(answer.length >>> 8, answer.length & 0xff), answer);
          size += answer.length + 2;
        }
        sweeper.touch(connection);
      }
      buffered = at >= buffered.length ? new Uint8Array(0) : buffered.slice(at);
      if (size > 0) {
        const joined = new Uint8Array(size);
        let offset = 0;
        for (const part of out) {
          joined.set(part, offset);
          offset += part.length;
        }
        await connection.write(joined);
      }
      if (bad) break;
    }
    await connection.end();
  } catch {
    // Reset or broken pipe: nothing to answer.
  } finally {
    sweeper.forget(connection);
    connection.close();
  }
}
