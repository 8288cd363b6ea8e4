/**
 * @module guest/runtime/datagrams
 * The guest side of `udp()` devices: `datagram` events in, `datagram.send` out. Received
 * datagrams wait in the device until read; past `QUEUE_LIMIT` unread ones the oldest are dropped,
 * as a full socket buffer would, so a guest that never reads cannot grow without bound.
 */

import type { DatagramEvent, PeerAddress } from "../../abi/index.ts";
import type { Datagram, Udp as UdpApi } from "../sdk/devices.ts";
import type { Call } from "./hypercall.ts";

const QUEUE_LIMIT = 4096;

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

  constructor(name: string, handle: number, address: PeerAddress, peer: PeerAddress | undefined, call: Call, encode: (text: string) => Uint8Array) {
    this.name = name;
    this.#handle = handle;
    this.address = address;
    this.peer = peer;
    this.#call = call;
    this.#encode = encode;
  }

  receive(): Promise<Datagram> {
    const datagram = this.#queue.shift();
    return datagram ? Promise.resolve(datagram) : new Promise((resolve) => this.#waiters.push(resolve));
  }

  send(data: Uint8Array | string, to?: { address: string; port: number }): void {
    const bytes = typeof data === "string" ? this.#encode(data) : data;
    this.#call("datagram.send", this.#handle, bytes, to?.address ?? "", to?.port ?? 0);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Datagram> {
    for (;;) yield await this.receive();
  }

  /** @internal */
  onDatagram(event: DatagramEvent): void {
    const datagram: Datagram = { data: event.bytes, from: event.from };
    const waiter = this.#waiters.shift();
    if (waiter) return waiter(datagram);
    if (this.#queue.length >= QUEUE_LIMIT) this.#queue.shift();
    this.#queue.push(datagram);
  }
}
