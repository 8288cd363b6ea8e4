/**
 * @module guest/runtime/drivers/fetch-routes
 * How the web script's `fetch` finds the connector that serves an origin: the device drivers put,
 * at boot, an object under `Symbol.for("tsuki.fetch-routes")` on the global scope that maps each
 * declared origin (canonical, abi/origin.ts) to its connector and the limits its declaration set.
 * Both scripts are the tender's, so this meeting point is between two parts of one runtime, not a
 * promise to images.
 */

import type { Connector } from "../../sdk/devices.ts";

export const ROUTES: unique symbol = Symbol.for("tsuki.fetch-routes") as never;

export interface FetchRoute {
  /** The connector's device name, for messages. */
  readonly name: string;
  readonly connector: Connector;
  /** Connections it may have open at once (the binding's `?max=`). */
  readonly max: number;
  readonly headersTimeoutMs: number;
  readonly maxHeaderBytes: number;
}

export interface FetchRoutes {
  get(origin: string): FetchRoute | undefined;
  /** Every origin a connector serves. */
  origins(): string[];
}
