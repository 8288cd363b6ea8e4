/**
 * @module guest/runtime/drivers/net
 * The guest side of `net()` devices: raw Ethernet frames for an in-guest TCP/IP stack. Frames go
 * out with `net.send` and come in as `frames` events, both in the packed form of abi/frames.ts
 * (each frame preceded by its 2-byte big-endian length), so a burst is one crossing, not one per
 * frame.
 *
 * Receiving: each `frames` event's bytes are a view of the turn's payload buffer; the receiver is
 * called once per frame with a subarray of it (no copy per frame), valid only during the call.
 * While no receiver is set, frames wait (views pinning their batch's buffer) up to `QUEUE_LIMIT`,
 * past which the oldest are dropped, as a full NIC ring drops.
 *
 * Sending: `send` copies the frame at once. On the isolate and process targets (`FrameOutbox`,
 * like the udp `Outbox` of udp.ts) the frames of a turn wait in one packed buffer per device
 * and the target takes them all in one crossing after the turn, handing each device's batch to
 * the host's validator as one `net.send` per `LIMITS.netFrames` frames or `LIMITS.netSend` bytes.
 * A frame the host would refuse (too short or too long for the link) is sent at once instead,
 * after what is queued, so that the host's EINVAL is thrown by `send` itself.
 */

import { ETHERNET_HEADER, FRAME_PREFIX, type FramesEvent, LIMITS, macBytes } from "../../../abi/index.ts";
import type { Net as NetApi } from "../../sdk/devices.ts";
import { systemError } from "../../sdk/errors.ts";
import type { Call } from "../core/hypercall.ts";

/** Frames held for a device with no receiver set, before the oldest are dropped. */
export const QUEUE_LIMIT = 1024;
/** Bytes of frames the outbox holds (all devices) before it sends them at once, to bound memory. */
const OUTBOX_BYTES = 16 * 1024 * 1024;
/** The resting size of a device's packed buffer; a larger one is dropped once taken. */
const PACKER_START = 16 * 1024;
/** The most bytes one packed buffer holds: one `net.send`. */
const PACKED_MAX = LIMITS.netSend;

/** Intrinsics read before the image runs, so that a guest replacing them cannot fool the checks (the host checks again). */
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const callOf = Function.prototype.call;
const tagOf = callOf.bind(Object.getOwnPropertyDescriptor(typedArrayProto, Symbol.toStringTag)!.get!) as (value: unknown) => string | undefined;
const lengthOf = callOf.bind(Object.getOwnPropertyDescriptor(typedArrayProto, "length")!.get!) as (value: Uint8Array) => number;
const setOf = callOf.bind((typedArrayProto as { set: Function }).set) as (target: Uint8Array, source: Uint8Array, offset: number) => void;
/** The runtime's queueMicrotask (an exception in it aborts the unikernel like any uncaught one). */
const enqueue = (globalThis as { queueMicrotask: (callback: () => void) => void }).queueMicrotask;

/** One device's frames of this turn: full packed buffers ready to send, and the one being filled. */
class Packer {
  full: Uint8Array[] = [];
  buffer = new Uint8Array(PACKER_START);
  used = 0;
  frames = 0;

  add(frame: Uint8Array, length: number): void {
    if (this.frames >= LIMITS.netFrames || this.used + FRAME_PREFIX + length > PACKED_MAX) this.seal();
    const need = this.used + FRAME_PREFIX + length;
    if (need > this.buffer.length) {
      const grown = new Uint8Array(Math.min(PACKED_MAX, Math.max(this.buffer.length * 2, need)));
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    const buffer = this.buffer;
    buffer[this.used] = length >> 8;
    buffer[this.used + 1] = length & 0xff;
    setOf(buffer, frame, this.used + FRAME_PREFIX);
    this.used = need;
    this.frames++;
  }

  /** Moves the buffer being filled to `full` (as an exact-size view) and starts another. */
  seal(): void {
    if (this.frames === 0) return;
    this.full.push(this.buffer.subarray(0, this.used));
    this.buffer = new Uint8Array(PACKER_START);
    this.used = 0;
    this.frames = 0;
  }

  /**
   * Every packed batch, in order; the packer is empty afterwards. The last is a view of the buffer
   * the packer goes on filling: whoever takes it copies it before the next `add` (a crossing does).
   */
  takeAll(): Uint8Array[] {
    const all = this.full;
    this.full = [];
    if (this.frames > 0) {
      all.push(this.buffer.subarray(0, this.used));
      this.used = 0;
      this.frames = 0;
      if (this.buffer.length > PACKER_START) this.buffer = new Uint8Array(PACKER_START);
    }
    return all;
  }
}

/** Frames sent during a turn, waiting for the target to take them after it (isolate and process targets). */
export class FrameOutbox {
  #call: Call;
  #packers = new Map<number, Packer>();
  #bytes = 0;

  constructor(call: Call) {
    this.#call = call;
  }

  add(handle: number, frame: Uint8Array, length: number): void {
    let packer = this.#packers.get(handle);
    if (packer === undefined) this.#packers.set(handle, (packer = new Packer()));
    packer.add(frame, length);
    this.#bytes += length + FRAME_PREFIX;
    if (this.#bytes > OUTBOX_BYTES) this.flush();
  }

  /**
   * What the target takes after a turn: `[handle, packed, handle, packed, …]`, each packed batch
   * one `net.send`; undefined when nothing was sent. The views are copied as they cross.
   */
  take(): (number | Uint8Array)[] | undefined {
    if (this.#bytes === 0) return undefined;
    const taken: (number | Uint8Array)[] = [];
    for (const [handle, packer] of this.#packers) for (const packed of packer.takeAll()) taken.push(handle, packed);
    this.#reset();
    return taken;
  }

  /** Sends what is queued now (before a frame the host must answer at once, exit, abort, or past the memory bound). */
  flush(): void {
    if (this.#bytes === 0) return;
    this.#reset();
    for (const [handle, packer] of this.#packers) {
      for (const packed of packer.takeAll()) {
        try {
          this.#call("net.send", handle, packed);
        } catch {
          // Best effort, as if the target had taken them after the turn (the host counts what it refuses).
        }
      }
    }
  }

  #reset(): void {
    this.#bytes = 0;
  }
}

export class Net implements NetApi {
  readonly kind = "net" as const;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly mtu: number;
  #handle: number;
  #call: Call;
  #outbox: FrameOutbox | undefined;
  #receiver: ((frame: Uint8Array) => void) | undefined;
  #waiting: Uint8Array[] = [];
  /** Frames dropped because no receiver was set and the queue was full. */
  #dropped = 0;

  constructor(name: string, handle: number, mac: string, mtu: number, call: Call, outbox?: FrameOutbox) {
    this.name = name;
    this.#handle = handle;
    this.mac = macBytes(mac);
    this.mtu = mtu;
    this.#call = call;
    this.#outbox = outbox;
  }

  send(frame: Uint8Array): void {
    if (tagOf(frame) !== "Uint8Array") throw new TypeError(`net.send: a frame is a Uint8Array, got ${typeof frame}`);
    const length = lengthOf(frame);
    if (length > 0xffff) {
      throw systemError("EINVAL", "net.send", { detail: `a frame of ${length} bytes is longer than any link allows (at most ${this.mtu + ETHERNET_HEADER} here)` });
    }
    const outbox = this.#outbox;
    if (outbox !== undefined && length >= ETHERNET_HEADER && length <= this.mtu + ETHERNET_HEADER) return outbox.add(this.#handle, frame, length);
    outbox?.flush();
    const packed = new Uint8Array(FRAME_PREFIX + length);
    packed[0] = length >> 8;
    packed[1] = length & 0xff;
    setOf(packed, frame, FRAME_PREFIX);
    this.#call("net.send", this.#handle, packed);
  }

  receive(onFrame: (frame: Uint8Array) => void): void {
    if (typeof onFrame !== "function") throw new TypeError("net.receive: onFrame must be a function");
    this.#receiver = onFrame;
    if (this.#waiting.length > 0) {
      // Not from inside receive(): the caller is still setting up.
      enqueue(() => {
        const waiting = this.#waiting;
        this.#waiting = [];
        for (const frame of waiting) this.#receiver!(frame);
      });
    }
  }

  /** Frames dropped while no receiver was set. */
  get dropped(): number {
    return this.#dropped;
  }

  /** @internal */
  onFrames(event: FramesEvent): void {
    const bytes = event.bytes;
    const end = bytes.length;
    const receiver = this.#receiver;
    for (let at = 0; at + FRAME_PREFIX <= end; ) {
      const length = (bytes[at]! << 8) | bytes[at + 1]!;
      at += FRAME_PREFIX;
      const frame = bytes.subarray(at, at + length);
      at += length;
      if (receiver !== undefined && this.#waiting.length === 0) receiver(frame);
      else {
        if (this.#waiting.length >= QUEUE_LIMIT) {
          this.#waiting.shift();
          this.#dropped++;
        }
        this.#waiting.push(frame);
      }
    }
  }
}
