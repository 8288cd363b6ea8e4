/**
 * @module guest/sdk/unikernel
 * `unikernel({ devices, assets, start })`: the one thing an image's module exports. It declares the
 * devices the unikernel needs by name and kind (the tender refuses to boot it unless the operator
 * binds each of them) and the `start` function that receives them. The types flow from the
 * declaration to `start`'s parameter, so `start({ web })` is a `Listener` when `web: listener()`.
 */

import type { DeviceKind } from "../../abi/devices.ts";
import type { Assets } from "./assets.ts";
import type { DeviceDeclaration, DeviceHandle } from "./devices.ts";

/** The brand the guest runtime looks for on an image's default export. */
export const UNIKERNEL_BRAND = "tsuki.unikernel";

/** Plain values handed over from the run configuration: strings, numbers, booleans, lists, maps. */
export type ArgValue = string | number | boolean | null | ArgValue[] | { [key: string]: ArgValue };
export type Args = Readonly<Record<string, ArgValue>>;

export type DeviceDeclarations = Record<string, DeviceDeclaration<DeviceKind>>;

/** The parameter of `start`: one handle per declared device, plus what every unikernel has. */
export type StartContext<D extends DeviceDeclarations> = {
  readonly [K in keyof D]: DeviceHandle<D[K]>;
} & {
  /** The console; the same object as the global `console`. */
  readonly console: Console;
  /** Plain values from the run configuration (`--arg key=value`). */
  readonly args: Args;
  /** The files embedded in the image from the declared assets folder. */
  readonly assets: Assets;
  /** The image's name. */
  readonly name: string;
  /** Ends the unikernel with `code` (0–125). */
  exit(code?: number): never;
  /** Ends the unikernel as failed, with a reason for the operator. */
  abort(reason?: string): never;
};

export interface UnikernelOptions<D extends DeviceDeclarations> {
  /** The devices this unikernel needs, by name. Each must be bound by the operator. */
  readonly devices?: D;
  /** A folder, relative to the unikernel's folder, whose files are embedded in the image. */
  readonly assets?: string;
  /** Entered once the devices are bound. The unikernel lives until it exits or has nothing left to wait for. */
  start(context: StartContext<D>): void | Promise<void>;
}

export interface Unikernel<D extends DeviceDeclarations = DeviceDeclarations> {
  readonly [UNIKERNEL_BRAND]: true;
  readonly devices: D;
  readonly assets: string | undefined;
  readonly start: (context: StartContext<D>) => void | Promise<void>;
}

/** Declares a unikernel. Use it as the default export of the image's entry module. */
export function unikernel<const D extends DeviceDeclarations = {}>(options: UnikernelOptions<D>): Unikernel<D> {
  if (typeof options !== "object" || options === null || typeof options.start !== "function") {
    throw new TypeError("unikernel() takes { devices?, assets?, start } with start a function");
  }
  return Object.freeze({
    [UNIKERNEL_BRAND]: true as const,
    devices: (options.devices ?? {}) as D,
    assets: options.assets,
    start: options.start,
  });
}
