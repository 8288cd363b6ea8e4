/**
 * @module host/orchestrator/supervision/descriptors
 * tsukid's descriptor budget. Every socket a network peer makes the daemon hold costs a file
 * descriptor, and when the process runs out (EMFILE) it runs out for everything at once: every
 * tenant's service, the API and the administrator's Unix socket. So the descriptors are shared
 * out explicitly: the process's RLIMIT_NOFILE soft limit (read from /proc/self/limits, after Node
 * raised it to the hard limit at start) minus a **reserve** that only the administrator's Unix
 * socket and the daemon's own files may use; what is left is handed out one at a time to network
 * peers, and a peer that finds none left is closed at once, before it costs anything more.
 *
 * The count lives in a SharedArrayBuffer and changes only through Atomics, so worker threads
 * share it: pass `budget.shared` to a worker (workerData or postMessage; it is shared, not
 * copied) and call `DescriptorBudget.attach(shared)` there.
 *
 * For the device side (listeners' accepted sockets, connectors' connections, in
 * src/host/tender/devices/, in the daemon's thread or a worker): take one for every descriptor
 * held on behalf of a peer or a unikernel, before doing anything else with it, and give it back
 * exactly once when the descriptor is closed; `holdFor(socket)` does both for a socket
 * (releasing on its "close" event). Refused: close the socket at once (`resetAndDestroy()`: no
 * TIME_WAIT, no data read). Only what is counted is protected: a unikernel's listening socket,
 * block file, TAP device or process-target pipes, and a worker thread's own event loop (5
 * descriptors each, measured on Node 24), are outside the count until they take too, and until
 * then come out of the reserve's slack.
 */

import { readFileSync, readdirSync } from "node:fs";

/**
 * Descriptors the daemon keeps for itself, beyond the Unix socket's connections: Node's own
 * (stdio, epoll, eventfds, the libuv thread pool's pipes), SQLite's database, WAL and
 * shared-memory files, the event log and the listeners (about 27 in all once tsukid is ready with
 * --listen and --metrics; event `descriptors` counts them before the state is opened), the
 * metrics listener's connections (at most 16, metrics-server.ts), a few files opened for a moment
 * (an image being stored, a directory synced, a volume made), and room for what a release adds
 * without recounting.
 */
export const DAEMON_OWN_DESCRIPTORS = 64;

/** The limit assumed where /proc/self/limits cannot be read (not Linux): the usual soft default. */
export const FALLBACK_LIMIT = 1024;

/** The reserve for a daemon whose Unix socket takes `localConnections` at most. */
export function reserveFor(localConnections: number): number {
  return DAEMON_OWN_DESCRIPTORS + localConnections;
}

export interface DescriptorSnapshot {
  /** RLIMIT_NOFILE (soft) when the budget was made. */
  readonly limit: number;
  /** Kept for the Unix socket and the daemon's own files. */
  readonly reserve: number;
  /** Held by network peers now. */
  readonly inUse: number;
  /** What network peers may still take. */
  readonly available: number;
  /** Times a take was refused, since the daemon started. */
  readonly refused: number;
}

// Layout of the shared buffer: four Int32 cells, then a BigInt64 counter (it never wraps).
const IN_USE = 0;
const LIMIT = 1;
const RESERVE = 2;
const LAYOUT = 3;
const LAYOUT_VERSION = 0x7473_0001;
const BYTES = 24;
/** Int32 cells: a limit beyond this (RLIMIT_NOFILE "unlimited") is taken as this. */
const MAX_LIMIT = 2 ** 30;

export class DescriptorBudget {
  /** Hand this to a worker thread, which calls `DescriptorBudget.attach(shared)`. */
  readonly shared: SharedArrayBuffer;
  readonly #cells: Int32Array;
  readonly #refused: BigInt64Array;
  readonly #capacity: number;

  private constructor(shared: SharedArrayBuffer) {
    this.shared = shared;
    this.#cells = new Int32Array(shared, 0, 4);
    this.#refused = new BigInt64Array(shared, 16, 1);
    this.#capacity = Math.max(0, this.#cells[LIMIT]! - this.#cells[RESERVE]!);
  }

  /** A new budget of `limit` descriptors, `reserve` of them kept back. */
  static create(limit: number, reserve: number): DescriptorBudget {
    if (!Number.isInteger(limit) || limit < 0 || !Number.isInteger(reserve) || reserve < 0) throw new RangeError(`a descriptor budget needs whole numbers, got limit ${limit} and reserve ${reserve}`);
    const shared = new SharedArrayBuffer(BYTES);
    const cells = new Int32Array(shared, 0, 4);
    cells[LIMIT] = Math.min(limit, MAX_LIMIT);
    cells[RESERVE] = Math.min(reserve, MAX_LIMIT);
    cells[LAYOUT] = LAYOUT_VERSION;
    return new DescriptorBudget(shared);
  }

  /** This process's budget: RLIMIT_NOFILE as it is now, `reserve` kept back. */
  static forProcess(reserve: number): DescriptorBudget {
    return DescriptorBudget.create(nofileLimit(), reserve);
  }

  /** The same budget, in another thread. */
  static attach(shared: SharedArrayBuffer): DescriptorBudget {
    if (!(shared instanceof SharedArrayBuffer) || shared.byteLength !== BYTES || new Int32Array(shared, 0, 4)[LAYOUT] !== LAYOUT_VERSION) {
      throw new TypeError("DescriptorBudget.attach needs the `shared` buffer of a DescriptorBudget from this version of tsuki");
    }
    return new DescriptorBudget(shared);
  }

  /** What network peers may hold at once: the limit less the reserve. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Takes one descriptor if any is left; false (and counted) if not. */
  tryTake(): boolean {
    for (;;) {
      const held = Atomics.load(this.#cells, IN_USE);
      if (held >= this.#capacity) {
        Atomics.add(this.#refused, 0, 1n);
        return false;
      }
      if (Atomics.compareExchange(this.#cells, IN_USE, held, held + 1) === held) return true;
    }
  }

  /** Gives one back. Never below zero: a release without a take is ignored. */
  release(): void {
    for (;;) {
      const held = Atomics.load(this.#cells, IN_USE);
      if (held <= 0) return;
      if (Atomics.compareExchange(this.#cells, IN_USE, held, held - 1) === held) return;
    }
  }

  /** Takes one for `socket` and gives it back once, when the socket closes; false if none is left. */
  holdFor(socket: { once(event: "close", listener: () => void): unknown }): boolean {
    if (!this.tryTake()) return false;
    socket.once("close", () => this.release());
    return true;
  }

  snapshot(): DescriptorSnapshot {
    const limit = this.#cells[LIMIT]!;
    const reserve = this.#cells[RESERVE]!;
    const inUse = Atomics.load(this.#cells, IN_USE);
    return { limit, reserve, inUse, available: Math.max(0, this.#capacity - inUse), refused: Number(Atomics.load(this.#refused, 0)) };
  }
}

/** RLIMIT_NOFILE's soft limit from /proc/self/limits (or `text`), FALLBACK_LIMIT if it cannot be read. */
export function nofileLimit(text?: string): number {
  let limits = text;
  if (limits === undefined) {
    try {
      limits = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return FALLBACK_LIMIT;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  if (m === null) return FALLBACK_LIMIT;
  return m[1] === "unlimited" ? MAX_LIMIT : Math.min(Number(m[1]), MAX_LIMIT);
}

/** Descriptors this process has open now (from /proc/self/fd), if it can tell. */
export function openDescriptors(): number | undefined {
  try {
    // Less the one readdir itself opens.
    return readdirSync("/proc/self/fd").length - 1;
  } catch {
    return undefined;
  }
}
