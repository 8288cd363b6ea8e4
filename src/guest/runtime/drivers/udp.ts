/**
 * @module guest/runtime/drivers/udp
 * The guest side of `udp()` devices: `datagram` events in, `datagram.send` out. Received
 * datagrams wait in the device until read; past `QUEUE_LIMIT` unread ones the oldest are dropped,
 * as a full socket buffer would, so a guest that never reads cannot grow without bound.
 *
 * On the isolate target sends are deferred (`Outbox`): a send the host will take is copied into
 * one buffer, and the target collects the turn's sends in one crossing after the turn, handing
 * each to the host's hypercall function (the one validator). `send` still throws EACCES at once:
 * the device mirrors the host's rule (the fixed peer, or a sender among the last
 * `UDP_REPLY_MEMORY` datagrams received, a conservative form of the host's "last 4,096
 * senders"), and anything it cannot vouch for (another destination, a value of the wrong type, a
 * datagram too large) is sent at once as before, after what is queued, so the host answers it.
 */

import { type DatagramEvent, LIMITS, type PeerAddress, UDP_REPLY_MEMORY, udpSenderKey } from "../../../abi/index.ts";
import type { Datagram, Udp as UdpApi } from "../../sdk/devices.ts";
import type { Call } from "../core/hypercall.ts";

const QUEUE_LIMIT = 4096;

/** The most datagrams and bytes the outbox holds before it sends what it holds at once. */
const OUTBOX_DATAGRAMS = 4096;
const OUTBOX_BYTES = 4 * 1024 * 1024;
/** The outbox buffer's resting size; a larger one (after a burst) is dropped once taken. */
const OUTBOX_START = 16 * 1024;

/**
 * Intrinsics read before the image runs, so that a guest replacing them later cannot make the
 * outbox mistake a value for a Uint8Array (the host checks again in any case).
 */
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const callOf = Function.prototype.call;
const tagOf = callOf.bind(Object.getOwnPropertyDescriptor(typedArrayProto, Symbol.toStringTag)!.get!) as (value: unknown) => string | undefined;
const lengthOf = callOf.bind(Object.getOwnPropertyDescriptor(typedArrayProto, "length")!.get!) as (value: Uint8Array) => number;
const isInteger = Number.isInteger;
const stringify = JSON.stringify;

/** Datagrams sent during a turn, waiting for the isolate target to take them after it. */
export class Outbox {
  #call: Call;
  /** `handle, address, port, length` per datagram. */
  #meta: (number | string)[] = [];
  #bytes = new Uint8Array(OUTBOX_START);
  #used = 0;

  constructor(call: Call) {
    this.#call = call;
  }

  add(handle: number, bytes: Uint8Array, address: string, port: number): void {
    const length = lengthOf(bytes);
    if (this.#meta.length >= OUTBOX_DATAGRAMS * 4 || this.#used + length > OUTBOX_BYTES) this.flush();
    if (this.#used + length > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#used + length));
      grown.set(this.#bytes.subarray(0, this.#used));
      this.#bytes = grown;
    }
    this.#bytes.set(bytes, this.#used);
    this.#used += length;
    this.#meta.push(handle, address, port, length);
  }

  /**
   * What the target takes after a turn: the metadata as JSON (`[handle, address, port, length,
   * …]`) and the datagrams back to back; undefined when nothing was sent. The view is copied as
   * it crosses, so the buffer is reused.
   */
  take(): [string, Uint8Array] | undefined {
    if (this.#meta.length === 0) return undefined;
    const taken: [string, Uint8Array] = [stringify(this.#meta), this.#bytes.subarray(0, this.#used)];
    this.#reset();
    return taken;
  }

  /** Sends what is queued now, one hypercall each (before a send the outbox cannot take, exit, abort). */
  flush(): void {
    const meta = this.#meta;
    if (meta.length === 0) return;
    const bytes = this.#bytes;
    this.#reset();
    for (let i = 0, at = 0; i < meta.length; i += 4) {
      const length = meta[i + 3] as number;
      try {
        this.#call("datagram.send", meta[i] as number, bytes.slice(at, at + length), meta[i + 1] as string, meta[i + 2] as number);
      } catch {
        // Best effort, as if the host had taken it after the turn (it counts what it refuses).
      }
      at += length;
    }
  }

  #reset(): void {
    this.#meta = [];
    this.#used = 0;
    if (this.#bytes.length > OUTBOX_START) this.#bytes = new Uint8Array(OUTBOX_START);
  }
}

export class Udp implements UdpApi {
  readonly kind = "udp" as const;
  readonly name: string;
  readonly address: PeerAddress;
  readonly peer: PeerAddress | undefined;
  #handle: number;
  #call: Call;
  #encode: (text: string) => Uint8Array;
  #queue: Datagram[] = [];
  #waiters: ((datagram: Datagram) => void)[] = [];
  #outbox: Outbox | undefined;
  /** With an outbox and no fixed peer: the arrival number of each sender's latest datagram. */
  #senders = new Map<number | string, number>();
  #arrivals = 0;

  constructor(name: string, handle: number, address: PeerAddress, peer: PeerAddress | undefined, call: Call, encode: (text: string) => Uint8Array, outbox?: Outbox) {
    this.name = name;
    this.#handle = handle;
    this.address = address;
    this.peer = peer;
    this.#call = call;
    this.#encode = encode;
    this.#outbox = outbox;
  }

  receive(): Promise<Datagram> {
    const datagram = this.#queue.shift();
    return datagram ? Promise.resolve(datagram) : new Promise((resolve) => this.#waiters.push(resolve));
  }

  send(data: Uint8Array | string, to?: { address: string; port: number }): void {
    const bytes = typeof data === "string" ? this.#encode(data) : data;
    const address = to?.address ?? "";
    const port = to?.port ?? 0;
    const outbox = this.#outbox;
    if (outbox !== undefined) {
      if (this.#mayDefer(bytes, address, port)) return outbox.add(this.#handle, bytes, address, port);
      outbox.flush();
    }
    this.#call("datagram.send", this.#handle, bytes, address, port);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Datagram> {
    for (;;) yield await this.receive();
  }

  /** @internal */
  onDatagram(event: DatagramEvent): void {
    const datagram: Datagram = { data: event.bytes, from: event.from };
    if (this.#outbox !== undefined && this.peer === undefined) this.#remember(event.from);
    const waiter = this.#waiters.shift();
    if (waiter) return waiter(datagram);
    if (this.#queue.length >= QUEUE_LIMIT) this.#queue.shift();
    this.#queue.push(datagram);
  }

  /** Whether the host will take this send: the types and size it checks, and its destination rule. */
  #mayDefer(bytes: unknown, address: unknown, port: unknown): boolean {
    if (tagOf(bytes) !== "Uint8Array" || lengthOf(bytes as Uint8Array) > LIMITS.datagram) return false;
    if (typeof address !== "string" || !isInteger(port) || (port as number) < 0 || (port as number) > 65535) return false;
    const peer = this.peer;
    if (peer !== undefined) return address === "" || (address === peer.address && port === peer.port);
    const arrival = this.#senders.get(udpSenderKey(address, port as number));
    // Fewer than UDP_REPLY_MEMORY datagrams since this sender's: fewer distinct senders since, so the host still remembers it.
    return arrival !== undefined && this.#arrivals - arrival < UDP_REPLY_MEMORY;
  }

  #remember(from: PeerAddress): void {
    const senders = this.#senders;
    const arrival = ++this.#arrivals;
    senders.set(udpSenderKey(from.address, from.port), arrival);
    if (senders.size > 2 * UDP_REPLY_MEMORY) {
      for (const [key, at] of senders) if (arrival - at >= UDP_REPLY_MEMORY) senders.delete(key);
    }
  }
}
