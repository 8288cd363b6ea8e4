/**
 * @module abi/events
 * What the host delivers to the guest, and what it hands over at boot. Events come in batches
 * through one guest entry point, `dispatch(events)`: the analogue of Solo5's
 * `yield(deadline) → ready set`. The guest runs until it returns, then waits for the next batch.
 */

import type { DeviceKind } from "./devices.ts";
import type { DeviceErrno } from "./errors.ts";

/** The timer armed with `timer.arm` has reached its deadline. */
export interface TimerEvent {
  readonly type: "timer";
}

/** The address of a stream's peer, as the host saw it. */
export interface PeerAddress {
  readonly address: string;
  readonly port: number;
  readonly family: "IPv4" | "IPv6";
}

/** Listener `device` accepted a connection, now named `handle`. */
export interface AcceptEvent {
  readonly type: "accept";
  readonly device: number;
  readonly handle: number;
  readonly remote: PeerAddress;
}

/** Connection `handle` (from `stream.connect`) is established. */
export interface ConnectedEvent {
  readonly type: "connected";
  readonly handle: number;
  readonly remote: PeerAddress;
}

/** Bytes arrived on connection `handle`. */
export interface DataEvent {
  readonly type: "data";
  readonly handle: number;
  readonly bytes: Uint8Array;
}

/** The peer half-closed connection `handle`: no more data will arrive. */
export interface EndEvent {
  readonly type: "end";
  readonly handle: number;
}

/** The host's buffer for connection `handle` has drained after a `stream.write` that took 0 bytes. */
export interface WritableEvent {
  readonly type: "writable";
  readonly handle: number;
}

/** Connection `handle` is gone and the handle is free; `errno` says why when it was not a clean close. */
export interface ClosedEvent {
  readonly type: "closed";
  readonly handle: number;
  readonly errno?: DeviceErrno;
}

export type StreamEvent = AcceptEvent | ConnectedEvent | DataEvent | EndEvent | WritableEvent | ClosedEvent;

/** Udp device `device` received a datagram from `from`. */
export interface DatagramEvent {
  readonly type: "datagram";
  readonly device: number;
  readonly bytes: Uint8Array;
  readonly from: PeerAddress;
}

/**
 * Net device `device` received frames: `bytes` holds them in the packed form of `frames.ts` (each
 * preceded by its 2-byte big-endian length). One event per batch the host read from its link.
 * Decoded in the guest as a view of the turn's payload buffer, not a copy: the frames in it are
 * handed to the receiver as views valid only during the call.
 */
export interface FramesEvent {
  readonly type: "frames";
  readonly device: number;
  readonly bytes: Uint8Array;
}

/** A `block.flush` of block device `device` finished; `errno` if it failed (the writes may not be durable). */
export interface FlushedEvent {
  readonly type: "flushed";
  readonly device: number;
  readonly errno?: DeviceErrno;
}

export type GuestEvent = TimerEvent | StreamEvent | DatagramEvent | FramesEvent | FlushedEvent;

/** One embedded asset, as the guest sees it at boot. `handle` is what `asset.read` takes. */
export interface AssetInfo {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly handle: number;
}

/** One bound device, as the guest sees it at boot: its kind, its handle and plain facts about it. */
export interface DeviceInfo {
  readonly kind: DeviceKind;
  readonly handle: number;
  /** For a listener or udp device, the bound address (the port the host chose when the binding said :0). */
  readonly address?: PeerAddress;
  /** For a udp device whose binding fixed a peer: the only address it sends to. */
  readonly peer?: PeerAddress;
  /** For a block device: its size in bytes and its sector size (the unit of every read and write). */
  readonly size?: number;
  readonly sectorSize?: number;
  /** For a net device: its MAC address as six two-digit hex numbers joined by ":" ("02:…"), and the link's MTU. */
  readonly mac?: string;
  readonly mtu?: number;
  /** For a connector: the origin it serves for `fetch` (the manifest's), if it declares one. */
  readonly origin?: string;
  /** For a connector: how many connections it may have open at once (its binding's `?max=`). */
  readonly max?: number;
}

/** Everything the guest learns at boot, as plain data. */
export interface BootInfo {
  readonly abi: number;
  readonly name: string;
  /** Plain values from the run configuration. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly devices: Readonly<Record<string, DeviceInfo>>;
  readonly assets: readonly AssetInfo[];
}

/** The devices, assets folder and Workers handlers a unikernel's default export declares, as plain data. */
export interface GuestDeclaration {
  readonly devices: Record<string, { kind: string; optional?: true; origin?: string }>;
  readonly assets: string | null;
  /** The default export is not a unikernel but a Workers-style module with these handlers. */
  readonly workers?: string[];
}

/**
 * What a target takes after a turn from a guest whose sends it deferred: the udp datagrams and
 * the net frames, as the guest runtime's outboxes pack them (src/guest/runtime/drivers: `Outbox.take`,
 * `FrameOutbox.take`), or undefined for a kind with none.
 */
export type TakenSends = [datagrams: [string, Uint8Array] | undefined, frames: (number | Uint8Array)[] | undefined];

/**
 * The guest's entry points, which the guest runtime defines (leaving them in `__tsukiEntry`) and
 * the target calls. `main` is the default export of the image's module.
 */
export interface GuestEntry {
  /** Checks `main` against `info`, then calls `start`. Returns once `start` was entered. */
  boot(info: BootInfo, main: unknown): void;
  /** `now`: the host's monotonic clock as the turn begins, which becomes the loop time. */
  dispatch(events: readonly GuestEvent[], now: number): void;
  /** `dispatch` for a batch encoded by `encodeEventBatch` (the isolate target's cheaper crossing). */
  dispatchBatch(json: string, bytes: ArrayBuffer | Uint8Array | undefined, now: number): void;
  busy(): boolean;
  /** The device declaration of `main`, as plain data (the build reads the manifest from it). */
  declaration(main: unknown): GuestDeclaration;
  /** The isolate (and process) target, before `boot`: udp datagrams and/or net frames wait for `takeSends` after each turn. */
  deferSends(datagrams: boolean, frames: boolean): void;
  /** The datagrams and frames sent during the turn, for the target to hand to the host. */
  takeSends(): TakenSends | undefined;
  /** A promise of this guest was rejected with `reason` and nobody handled it: prints it and aborts (the unix target). */
  rejected(reason: unknown): void;
  /** The targets with a heap limit, before the image runs: what the runtime's own tables may hold (pending timers). */
  limit(memoryMb: number): void;
}
