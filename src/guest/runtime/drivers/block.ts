/**
 * @module guest/runtime/drivers/block
 * The guest side of `block()` devices: synchronous sector reads and writes through `block.read`
 * and `block.write` (split into calls of at most 1 MiB), and `flush`, which resolves on the
 * host's `flushed` event. Flushes complete in order, so each waiter is settled by the next event.
 */

import { type FlushedEvent, LIMITS } from "../../../abi/index.ts";
import type { Block as BlockApi } from "../../sdk/devices.ts";
import { systemError } from "../../sdk/errors.ts";
import type { Call } from "../core/hypercall.ts";

export class Block implements BlockApi {
  readonly kind = "block" as const;
  readonly name: string;
  readonly size: number;
  readonly sectorSize: number;
  #handle: number;
  #call: Call;
  #flushes: { resolve(): void; reject(error: Error): void }[] = [];

  constructor(name: string, handle: number, size: number, sectorSize: number, call: Call) {
    this.name = name;
    this.#handle = handle;
    this.size = size;
    this.sectorSize = sectorSize;
    this.#call = call;
  }

  read(offset: number, length: number): Uint8Array {
    if (length <= LIMITS.blockIo) return this.#call("block.read", this.#handle, offset, length);
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += LIMITS.blockIo) out.set(this.#call("block.read", this.#handle, offset + at, Math.min(LIMITS.blockIo, length - at)), at);
    return out;
  }

  /** Writes of more than 1 MiB are several calls, each all or nothing; a crash between them can tear the whole. */
  write(offset: number, data: Uint8Array): void {
    if (data.length <= LIMITS.blockIo) return void this.#call("block.write", this.#handle, offset, data);
    for (let at = 0; at < data.length; at += LIMITS.blockIo) this.#call("block.write", this.#handle, offset + at, data.subarray(at, at + LIMITS.blockIo));
  }

  flush(): Promise<void> {
    this.#call("block.flush", this.#handle);
    return new Promise((resolve, reject) => this.#flushes.push({ resolve, reject }));
  }

  /** @internal */
  onFlushed(event: FlushedEvent): void {
    const waiter = this.#flushes.shift();
    if (!waiter) return;
    if (!event.errno) return waiter.resolve();
    waiter.reject(systemError(event.errno, "fdatasync", { detail: "the block device's writes may not be durable" }));
  }
}
