/**
 * @module tsuki/kv/store
 * `KV`: the store. Reads are synchronous (index in memory, value read from the device); writes are
 * queued and committed by one loop, one batch at a time: every request queued while the previous
 * commit was being flushed (or in the same turn) shares the next frame and its single flush (group
 * commit). A request's promise resolves only after its frame was written and `block.flush()` (an
 * fdatasync on the host) completed, and only then does `get` see the change, so `get` never
 * returns what a crash could take back.
 *
 * When a frame does not fit in the rest of the live region, the batch is committed by compaction
 * instead (see compaction.ts), which drops overwritten and deleted records. A put that would not
 * fit even then fails with ENOSPC and changes nothing; deletes always succeed.
 *
 * If a write or a flush fails, what reached the disk is unknown (a failed fsync cannot be retried
 * safely), so the store refuses further changes with ERR_KV_FAILED until it is reopened.
 */

import type { Block } from "../../sdk/devices.ts";
import { compact, type Overlay, packedBound } from "./compaction.ts";
import { readExact } from "./device-reader.ts";
import { KVError } from "./errors.ts";
import { buildFrame, FRAME_PAYLOAD_TARGET, frameLength } from "./frame.ts";
import { regionStart, slotOffset } from "./geometry.ts";
import type { KeyIndex } from "./key-index.ts";
import { keyBytes, MAX_KEY_BYTES, valueBytes } from "./keys.ts";
import { inspectDevice } from "./open-device.ts";
import { type EncodedRecord, encodeRecord, OP_DELETE, OP_PUT, RECORD_HEADER, valueOffset } from "./record.ts";
import { replay } from "./replay.ts";
import { encodeSuperblock, type Superblock } from "./superblock.ts";

export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

export interface OpenOptions {
  /** The largest value `put` takes (default 1 MiB); lowered to what one region can hold. */
  readonly maxValueBytes?: number;
}

export interface ListOptions {
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** Only keys ≥ this (to page: pass the key after the last one you got). */
  readonly start?: string;
  /** At most this many keys (default: all). */
  readonly limit?: number;
}

export interface Stats {
  readonly keys: number;
  /** Bytes of the live records (keys, values and 7-byte record headers). */
  readonly liveBytes: number;
  /** Bytes of the live region used by the log, garbage included. */
  readonly usedBytes: number;
  /** Bytes of one region: the most the log can hold. */
  readonly capacityBytes: number;
  readonly maxValueBytes: number;
  /** The superblock's generation: 1 when formatted, one more per compaction. */
  readonly generation: number;
  readonly commits: number;
  readonly flushes: number;
  readonly compactions: number;
  /** Whether opening found (and ignored) a torn commit at the end of the log. */
  readonly tornTail: boolean;
}

interface Request {
  readonly kind: "put" | "delete" | "compact";
  readonly record: EncodedRecord | undefined;
  readonly resolve: (value: boolean) => void;
  readonly reject: (error: Error) => void;
}

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

export class KV {
  readonly #block: Block;
  readonly #maxValueBytes: number;
  #superblock: Superblock;
  #index: KeyIndex;
  #tail: number;
  #crc: number;
  #tornTail: boolean;
  #queue: Request[] = [];
  #draining = false;
  #drained: (() => void)[] = [];
  #failed: Error | undefined;
  #closed = false;
  #counters = { commits: 0, flushes: 0, compactions: 0 };

  private constructor(block: Block, superblock: Superblock, state: { index: KeyIndex; tail: number; crc: number; tornTail: boolean }, maxValueBytes: number) {
    this.#block = block;
    this.#superblock = superblock;
    this.#index = state.index;
    this.#tail = state.tail;
    this.#crc = state.crc;
    this.#tornTail = state.tornTail;
    this.#maxValueBytes = maxValueBytes;
  }

  /**
   * Opens the store on `block`: formats an all-zero device, recovers an existing store (ignoring a
   * torn last commit), and refuses anything else with ERR_KV_FOREIGN, ERR_KV_CORRUPT,
   * ERR_KV_VERSION or ERR_KV_GEOMETRY without writing to it.
   */
  static async open(block: Block, options: OpenOptions = {}): Promise<KV> {
    if (block === null || typeof block !== "object" || block.kind !== "block") throw new TypeError("KV.open: the first argument must be a block() device");
    const requested = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    if (!Number.isSafeInteger(requested) || requested < 0) throw new TypeError(`KV.open: maxValueBytes must be a non-negative integer, not ${String(requested)}`);
    const found = inspectDevice(block);
    let superblock: Superblock;
    if (found.kind === "blank") {
      superblock = { generation: 1, region: 0, geometry: found.geometry };
      block.write(slotOffset(found.geometry, 1), encodeSuperblock(superblock));
      await block.flush();
    } else {
      superblock = found.superblock;
    }
    const state = await replay(block, superblock);
    return new KV(block, superblock, state, fitValue(requested, superblock.geometry.regionSize, superblock.geometry.sectorSize));
  }

  /** How many keys the store holds. */
  get size(): number {
    return this.#index.size;
  }

  /** The largest value `put` takes. */
  get maxValueBytes(): number {
    return this.#maxValueBytes;
  }

  has(key: string): boolean {
    keyBytes(key, "has");
    return this.#index.get(key) !== undefined;
  }

  /** The value stored under `key` (a fresh copy), or undefined. */
  get(key: string): Uint8Array | undefined {
    keyBytes(key, "get");
    this.#checkOpen("get");
    const entry = this.#index.get(key);
    return entry && (entry.length === 0 ? new Uint8Array(0) : readExact(this.#block, entry.offset, entry.length));
  }

  /** The value stored under `key` decoded as UTF-8, or undefined. */
  getText(key: string): string | undefined {
    const value = this.get(key);
    return value && decoder.decode(value);
  }

  /** Keys in order (JavaScript string order), filtered by `prefix` and `start`, at most `limit`. */
  list(options: ListOptions = {}): string[] {
    this.#checkOpen("list");
    const { prefix = "", start = "", limit = Infinity } = options;
    if (typeof prefix !== "string" || typeof start !== "string") throw new KVError("ERR_KV_VALUE", "list: prefix and start must be strings");
    if (typeof limit !== "number" || !(limit >= 0) || (limit !== Infinity && !Number.isInteger(limit))) throw new KVError("ERR_KV_VALUE", `list: limit must be a non-negative integer, not ${String(limit)}`);
    return this.#index.list(prefix, start, limit);
  }

  /** Stores `value` (a string is stored as UTF-8) under `key`; resolves once durable, with true if the key was new. */
  put(key: string, value: Uint8Array | string): Promise<boolean> {
    try {
      const bytes = keyBytes(key, "put");
      const record = encodeRecord(OP_PUT, key, bytes, valueBytes(value, this.#maxValueBytes, key));
      return this.#enqueue("put", record);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Removes `key`; resolves once durable, with true if it existed. */
  delete(key: string): Promise<boolean> {
    try {
      return this.#enqueue("delete", encodeRecord(OP_DELETE, key, keyBytes(key, "delete"), EMPTY));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Compacts now (it also happens by itself when the log fills its region); resolves once durable. */
  async compact(): Promise<void> {
    await this.#enqueue("compact", undefined);
  }

  stats(): Stats {
    const g = this.#superblock.geometry;
    return {
      keys: this.#index.size,
      liveBytes: this.#index.liveBytes,
      usedBytes: this.#tail - regionStart(g, this.#superblock.region),
      capacityBytes: g.regionSize,
      maxValueBytes: this.#maxValueBytes,
      generation: this.#superblock.generation,
      ...this.#counters,
      tornTail: this.#tornTail,
    };
  }

  /** Waits for queued changes to be committed, then refuses new ones (ERR_KV_CLOSED). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#draining) await new Promise<void>((resolve) => this.#drained.push(resolve));
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new KVError("ERR_KV_CLOSED", `${what}: the store is closed`);
  }

  #enqueue(kind: Request["kind"], record: EncodedRecord | undefined): Promise<boolean> {
    this.#checkOpen(kind);
    if (this.#failed) throw failedError(this.#failed);
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ kind, record, resolve, reject });
      if (this.#draining) return;
      this.#draining = true;
      // A microtask later, so that every request made in this synchronous run joins the batch.
      queueMicrotask(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && !this.#failed) await this.#commit(takeBatch(this.#queue));
    for (const request of this.#queue.splice(0)) request.reject(failedError(this.#failed!));
    this.#draining = false;
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** Commits one batch by appending a frame, or by compaction when it does not fit. Settles every request. */
  async #commit(batch: Request[]): Promise<void> {
    try {
      if (!(await this.#append(batch))) await this.#compact(batch);
    } catch (error) {
      if (error instanceof KVError && error.code === "ENOSPC") {
        batch.forEach((r) => r.reject(error)); // compaction stopped before its superblock: nothing changed
        return;
      }
      this.#failed = error as Error;
      batch.forEach((r) => r.reject(error as Error));
    }
  }

  /** Appends the batch as one frame and flushes; false (having done nothing) if it does not fit or a compaction is asked for. */
  async #append(batch: Request[]): Promise<boolean> {
    const overlay = new Map<string, EncodedRecord | null>();
    const exists = (key: string) => (overlay.has(key) ? overlay.get(key) !== null : this.#index.get(key) !== undefined);
    const records: EncodedRecord[] = [];
    const outcomes: boolean[] = [];
    for (const request of batch) {
      const record = request.record;
      if (!record) return false;
      const existed = exists(record.key);
      outcomes.push(request.kind === "put" ? !existed : existed);
      if (request.kind === "delete" && !existed) continue;
      records.push(record);
      overlay.set(record.key, request.kind === "put" ? record : null);
    }
    const g = this.#superblock.geometry;
    const payload = records.reduce((sum, r) => sum + r.bytes.length, 0);
    if (records.length > 0) {
      if (this.#tail + frameLength(payload, g.sectorSize) > regionStart(g, this.#superblock.region) + g.regionSize) return false;
      const frame = buildFrame(records, this.#superblock.generation, this.#crc, g.sectorSize);
      const at = this.#tail;
      this.#block.write(at, frame.bytes);
      this.#counters.flushes++;
      await this.#block.flush();
      records.forEach((record, i) => {
        if (record.op === OP_DELETE) return void this.#index.delete(record.key);
        const valueAt = at + frame.offsets[i]! + valueOffset(record);
        this.#index.set(record.key, { offset: valueAt, length: record.bytes.length - valueOffset(record), recordLength: record.bytes.length });
      });
      this.#tail = at + frame.bytes.length;
      this.#crc = frame.crc;
      this.#counters.commits++;
    }
    batch.forEach((request, i) => request.resolve(outcomes[i]!));
    return true;
  }

  /**
   * Commits the batch by compaction. Puts are admitted in order while the live data, packed, is
   * sure to fit in a region; a put that would not fit is refused with ENOSPC and leaves its key as
   * it was. Deletes always fit (they only remove records).
   */
  async #compact(batch: Request[]): Promise<void> {
    const g = this.#superblock.geometry;
    const overlay = new Map<string, EncodedRecord | null>();
    const sizeOf = (key: string) => (overlay.has(key) ? (overlay.get(key)?.bytes.length ?? 0) : (this.#index.get(key)?.recordLength ?? 0));
    const exists = (key: string) => (overlay.has(key) ? overlay.get(key) !== null : this.#index.get(key) !== undefined);
    const outcomes: (boolean | KVError)[] = [];
    let live = this.#index.liveBytes;
    for (const { kind, record } of batch) {
      if (!record) {
        outcomes.push(true);
        continue;
      }
      const existed = exists(record.key);
      if (kind === "delete") {
        live -= sizeOf(record.key);
        if (existed) overlay.set(record.key, null);
        outcomes.push(existed);
        continue;
      }
      const next = live - sizeOf(record.key) + record.bytes.length;
      if (packedBound(next, g.sectorSize) > g.regionSize) {
        outcomes.push(new KVError("ENOSPC", `put(${JSON.stringify(record.key)}): the store is full (${live} bytes of live records; a region holds ${g.regionSize}); delete something first`));
        continue;
      }
      live = next;
      overlay.set(record.key, record);
      outcomes.push(!existed);
    }
    const compacted = await compact(this.#block, this.#superblock, this.#index, overlay as Overlay, this.#counters);
    this.#superblock = compacted.superblock;
    this.#index = compacted.index;
    this.#tail = compacted.tail;
    this.#crc = compacted.crc;
    this.#counters.commits++;
    this.#counters.compactions++;
    batch.forEach((request, i) => {
      const outcome = outcomes[i]!;
      if (outcome instanceof KVError) request.reject(outcome);
      else request.resolve(outcome);
    });
  }
}

/** Takes requests from the front of the queue for one frame: up to about FRAME_PAYLOAD_TARGET bytes, at least one request. */
function takeBatch(queue: Request[]): Request[] {
  let bytes = 0;
  let n = 0;
  while (n < queue.length) {
    const size = queue[n]!.record?.bytes.length ?? 0;
    if (n > 0 && bytes + size > FRAME_PAYLOAD_TARGET) break;
    bytes += size;
    n++;
  }
  return queue.splice(0, n);
}

/** The largest value ≤ `requested` that one put of a longest key can store in an empty region. */
function fitValue(requested: number, regionSize: number, sectorSize: number): number {
  const fits = (value: number) => packedBound(RECORD_HEADER + MAX_KEY_BYTES + value, sectorSize) <= regionSize;
  if (fits(requested)) return requested;
  let lo = 0;
  let hi = requested;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function failedError(cause: Error): KVError {
  return new KVError("ERR_KV_FAILED", `an earlier write or flush failed (${cause.message}); what is durable is unknown until the store is reopened`, { cause });
}
