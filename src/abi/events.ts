/**
 * @module abi/events
 * What the host delivers to the guest, and what it hands over at boot. Events come in batches
 * through one guest entry point, `dispatch(events)`: the analogue of Solo5's
 * `yield(deadline) → ready set`. The guest runs until it returns, then waits for the next batch.
 */

import type { DeviceKind } from "./devices.ts";

/** The timer armed with `timer.arm` has reached its deadline. */
export interface TimerEvent {
  readonly type: "timer";
}

export type GuestEvent = TimerEvent;

/** One embedded asset, as the guest sees it at boot. `handle` is what `asset.read` takes. */
export interface AssetInfo {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly handle: number;
}

/** One bound device, as the guest sees it at boot. */
export interface DeviceInfo {
  readonly kind: DeviceKind;
  readonly handle: number;
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

/**
 * The guest's entry points, which the guest runtime defines and the target calls.
 * `main` is the default export of the image's module.
 */
export interface GuestEntry {
  /** Checks `main` against `info`, then calls `start`. Returns once `start` was entered. */
  boot(info: BootInfo, main: unknown): void;
  dispatch(events: readonly GuestEvent[]): void;
  /** The device declaration of `main`, as plain data (the build reads the manifest from it). */
  declaration(main: unknown): unknown;
}
