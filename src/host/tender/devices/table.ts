/**
 * @module host/tender/devices/table
 * Every device and connection one unikernel holds, by handle, and the device hypercalls acting on
 * them. A handle names a resource of this unikernel only; any other number is EBADF.
 */

import { Errno, type HypercallError, LIMITS } from "../../../abi/index.ts";
import { type DeviceCalls, notMine } from "./calls.ts";
import type { BlockDevice } from "./block.ts";
import type { EventSink } from "./events.ts";
import type { OpenDevice } from "./index.ts";
import { type DeviceStats, statsOf } from "./stats.ts";
import type { NetDevice } from "./net.ts";
import { Streams } from "./streams.ts";
import type { UdpDevice } from "./udp.ts";

const fail = (errno: Errno, message: string): HypercallError => ({ errno, message });

export class DeviceTable implements DeviceCalls {
  #streams: Streams;
  #udp = new Map<number, UdpDevice>();
  #blocks = new Map<number, BlockDevice>();
  #nets = new Map<number, NetDevice>();
  #sink: EventSink;
  /** Flushes under way: their `flushed` events are still to come. */
  #flushing = 0;
  #opened: readonly OpenDevice[];

  /** Takes the open devices; stream connections get handles after theirs. */
  constructor(devices: readonly OpenDevice[], sink: EventSink) {
    this.#sink = sink;
    this.#opened = devices;
    this.#streams = new Streams(sink, devices.length + 1);
    for (const device of devices) {
      if (device.kind === "listener") this.#streams.addListener(device.handle, device.backend);
      else if (device.kind === "connector") this.#streams.addConnector(device.handle, device.backend);
      else if (device.kind === "udp") {
        this.#udp.set(device.handle, device.backend);
        device.backend.start(sink);
      } else if (device.kind === "net") {
        this.#nets.set(device.handle, device.backend);
        device.backend.start(sink);
      } else this.#blocks.set(device.handle, device.backend);
    }
  }

  /** Whether anything can still produce events for the guest. */
  get busy(): boolean {
    return this.#streams.busy || this.#udp.size > 0 || this.#nets.size > 0 || this.#flushing > 0;
  }

  get connections(): number {
    return this.#streams.connections;
  }

  /** What each device has carried, by device name (readable after the unikernel has ended). */
  stats(): Record<string, DeviceStats> {
    const out: Record<string, DeviceStats> = {};
    for (const device of this.#opened) out[device.name] = statsOf(device, (h) => this.#streams.counters(h));
    return out;
  }

  write = (h: number, data: Uint8Array | string) => this.#streams.write(h, data);
  shutdown = (h: number) => this.#streams.shutdown(h);
  close = (h: number) => this.#streams.close(h);
  flow = (h: number, flowing: boolean) => this.#streams.flow(h, flowing);
  connect = (h: number) => this.#streams.connect(h);

  send(handle: number, bytes: Uint8Array, address: string, port: number): undefined | HypercallError {
    const udp = this.#udp.get(handle);
    if (udp === undefined) return notMine("datagram.send", handle);
    const refused = udp.send(bytes, address, port);
    return refused && fail(refused.errno, `datagram.send: ${refused.why}`);
  }

  netSend(handle: number, packed: Uint8Array): undefined | HypercallError {
    const net = this.#nets.get(handle);
    if (net === undefined) return notMine("net.send", handle);
    const count = net.check(packed, LIMITS.netFrames);
    if (typeof count === "string") return fail(Errno.EINVAL, `net.send: ${count}`);
    net.send(packed, count);
    return undefined;
  }

  blockRead(handle: number, offset: number, length: number): Uint8Array | HypercallError {
    const block = this.#blocks.get(handle);
    if (block === undefined) return notMine("block.read", handle);
    const problem = block.problem(offset, length);
    return problem ? fail(Errno.EINVAL, `block.read: ${problem}`) : block.read(offset, length);
  }

  blockWrite(handle: number, offset: number, bytes: Uint8Array): undefined | HypercallError {
    const block = this.#blocks.get(handle);
    if (block === undefined) return notMine("block.write", handle);
    const problem = block.problem(offset, bytes.length);
    if (problem) return fail(Errno.EINVAL, `block.write: ${problem}`);
    block.write(offset, bytes);
    return undefined;
  }

  blockFlush(handle: number): undefined | HypercallError {
    const block = this.#blocks.get(handle);
    if (block === undefined) return notMine("block.flush", handle);
    this.#flushing++;
    block.flush((errno) => {
      this.#flushing--;
      this.#sink.post(errno ? { type: "flushed", device: handle, errno } : { type: "flushed", device: handle });
    });
    return undefined;
  }

  /** Releases everything (the unikernel has ended). */
  closeAll(): void {
    this.#streams.closeAll();
    for (const udp of this.#udp.values()) udp.close();
    for (const block of this.#blocks.values()) block.close();
    for (const net of this.#nets.values()) net.close();
    this.#udp.clear();
    this.#blocks.clear();
  }
}
