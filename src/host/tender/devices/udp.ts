/**
 * @module host/tender/devices/udp
 * The host side of a `udp()` device: one UDP socket bound to the address the operator gave
 * (`udp://ADDR:PORT`, optionally `?peer=HOST:PORT`). The unikernel may send only to a peer fixed
 * in the binding, or else only back to addresses it has received from (the most recent
 * `REPLY_MEMORY` of them): it cannot use the host to reach anyone else.
 *
 * Sends are made synchronously (no callback, an IP literal resolved at once): best effort, as UDP.
 *
 * Arrivals wait for the next turn in a queue of at most `QUEUE_DATAGRAMS` datagrams and
 * `QUEUE_BYTES` bytes; past that they are dropped and counted, as a kernel drops on a full
 * socket buffer.
 */

import { type Socket, createSocket } from "node:dgram";
import { lookup } from "node:dns";
import { isIP } from "node:net";
import { type Errno, type GuestEvent, type PeerAddress, UDP_REPLY_MEMORY, udpSenderKey } from "../../../abi/index.ts";
import { TsukiError } from "../../common/errors.ts";
import { type UdpBinding, formatDeviceUri } from "../../spec/device-uri.ts";
import type { EventSink, EventSource } from "./events.ts";
import type { UdpCounters } from "./stats.ts";

export const QUEUE_DATAGRAMS = 4096;
export const QUEUE_BYTES = 4 * 1024 * 1024;
export const REPLY_MEMORY = UDP_REPLY_MEMORY;

export class UdpDevice implements EventSource {
  readonly handle: number;
  readonly address: PeerAddress;
  readonly peer: PeerAddress | undefined;
  /** Datagrams dropped because the queue was full. */
  dropped = 0;
  /** Datagrams and bytes received (queued for the guest) and sent, for the operator. */
  readonly counters: UdpCounters = { bytesIn: 0, bytesOut: 0, datagramsIn: 0, datagramsOut: 0 };
  #socket: Socket;
  #queue: GuestEvent[] = [];
  #queuedBytes = 0;
  #queued = false;
  #senders = new Map<number | string, true>();
  #sink: EventSink | undefined;

  constructor(handle: number, socket: Socket, peer: PeerAddress | undefined) {
    this.handle = handle;
    this.#socket = socket;
    this.peer = peer;
    const a = socket.address();
    this.address = { address: a.address, port: a.port, family: a.family === "IPv6" ? "IPv6" : "IPv4" };
  }

  start(sink: EventSink): void {
    this.#sink = sink;
    this.#socket.on("message", (bytes, info) => {
      if (this.#queue.length >= QUEUE_DATAGRAMS || this.#queuedBytes + bytes.length > QUEUE_BYTES) {
        this.dropped++;
        return;
      }
      const from: PeerAddress = { address: info.address, port: info.port, family: info.family === "IPv6" ? "IPv6" : "IPv4" };
      this.#remember(from);
      this.#queue.push({ type: "datagram", device: this.handle, bytes, from });
      this.#queuedBytes += bytes.length;
      this.counters.datagramsIn++;
      this.counters.bytesIn += bytes.length;
      if (!this.#queued) {
        this.#queued = true;
        sink.ready(this);
      }
    });
  }

  /** `datagram.send`: an errno when the destination is not allowed, else undefined (best effort). */
  send(bytes: Uint8Array, address: string, port: number): { errno: Errno; why: string } | undefined {
    let to: { address: string; port: number };
    if (this.peer) {
      if (address !== "" && (address !== this.peer.address || port !== this.peer.port)) {
        return { errno: "EACCES", why: `this device sends only to its fixed peer ${this.peer.address}:${this.peer.port}` };
      }
      to = this.peer;
    } else {
      if (!this.#senders.has(udpSenderKey(address, port))) {
        return { errno: "EACCES", why: `${address}:${port} has not sent to this device; a udp device without a fixed peer may only reply` };
      }
      to = { address, port };
    }
    try {
      this.#socket.send(bytes, to.port, to.address);
    } catch (error) {
      // Node refuses some destinations outright (port 0): an error value, never an exception.
      return { errno: "EINVAL", why: `cannot send to ${to.address}:${to.port}: ${(error as Error).message}` };
    }
    this.counters.datagramsOut++;
    this.counters.bytesOut += bytes.length;
    return undefined;
  }

  drain(out: GuestEvent[]): void {
    this.#queued = false;
    out.push(...this.#queue);
    this.#queue = [];
    this.#queuedBytes = 0;
  }

  close(): void {
    this.#socket.close();
  }

  #remember(from: PeerAddress): void {
    const k = udpSenderKey(from.address, from.port);
    this.#senders.delete(k);
    this.#senders.set(k, true);
    if (this.#senders.size > REPLY_MEMORY) this.#senders.delete(this.#senders.keys().next().value!);
  }
}

/**
 * Every send goes to an IP address (a sender's, or the peer's): answered at once instead of on the
 * next tick, as `dns.lookup` does for a literal, so that `send` hands the datagram to the kernel
 * before it returns (no tick queued per datagram, and what a unikernel sent just before it ended
 * leaves before its socket closes). Names (a bind address) still go to `dns.lookup`.
 */
function literalLookup(hostname: string, options: unknown, callback: (error: Error | null, address: string, family: number) => void): void {
  const family = isIP(hostname);
  if (family === 0) return void lookup(hostname, options as never, callback as never);
  callback(null, hostname, family);
}

export async function openUdp(device: string, handle: number, binding: UdpBinding): Promise<UdpDevice> {
  const { host, port } = binding;
  const uri = formatDeviceUri(binding);
  const peer: PeerAddress | undefined = binding.peer && { address: binding.peer.host, port: binding.peer.port, family: isIP(binding.peer.host) === 6 ? "IPv6" : "IPv4" };
  const socket = createSocket({ type: isIP(host) === 6 ? "udp6" : "udp4", reuseAddr: false, lookup: literalLookup as never });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", (error: NodeJS.ErrnoException) => {
      socket.close();
      reject(new TsukiError("DEV_OPEN", `device "${device}": cannot bind ${uri}: ${error.code === "EADDRINUSE" ? "the address is already in use" : error.message} (${error.code}); bind another address or port`));
    });
    socket.bind({ address: host, port, exclusive: true }, () => resolve());
  });
  socket.on("error", () => undefined);
  return new UdpDevice(handle, socket, peer);
}
