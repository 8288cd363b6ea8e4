/**
 * @module guest/runtime/drivers/index
 * The device drivers of the guest runtime: what turns a bound device into the object `start`
 * receives, and device events into calls on it. They are a second script, run only in guests
 * whose image declares devices, so that a unikernel without devices carries none of their code
 * (each isolate holds the source it runs: bytes per unikernel). `drivers-main.ts` attaches them.
 * One file per device kind: `listener.ts`, `connector.ts` (their connections in `connection.ts`,
 * routed by `streams.ts`), `udp.ts`, `net.ts`, `block.ts`.
 */

import type { DeviceInfo, GuestEvent, TakenSends } from "../../../abi/index.ts";
import { Block } from "./block.ts";
import { Outbox, Udp } from "./udp.ts";
import type { Call } from "../core/hypercall.ts";
import { FrameOutbox, Net } from "./net.ts";
import { Streams } from "./streams.ts";
import { type FetchRoute, ROUTES } from "./fetch-routes.ts";

export interface Drivers {
  /** What `start` receives for one bound device; `declaration` is the image's own declaration of it. */
  make(name: string, device: DeviceInfo, declaration?: unknown): unknown;
  /** Routes one device event. */
  dispatch(event: Exclude<GuestEvent, { type: "timer" }>): void;
  /**
   * From now on udp devices (`datagrams`) and net devices (`frames`) defer their sends to the end
   * of the turn (before `make`; the isolate target, and the process target for frames).
   */
  deferSends(datagrams: boolean, frames: boolean): void;
  /** The sends deferred during the turn: `[datagrams, frames]` (see `Outbox.take` and `FrameOutbox.take`), or undefined when none. */
  takeSends(): TakenSends | undefined;
  /** Sends the deferred sends now (the unikernel is about to end). */
  flushSends(): void;
}

export type DriversFactory = (call: Call, encode: (text: string) => Uint8Array) => Drivers;

/** Where `fetch` finds the connector of an origin (`Symbol.for("tsuki.fetch-routes")`, read by the web script's fetch). */
const routes = new Map<string, FetchRoute>();

function route(name: string, device: DeviceInfo, connector: FetchRoute["connector"], declaration: unknown): void {
  if (routes.size === 0) Object.defineProperty(globalThis, ROUTES, { value: Object.freeze({ get: (origin: string) => routes.get(origin), origins: () => [...routes.keys()] }) });
  const declared = (typeof declaration === "object" && declaration !== null ? declaration : {}) as { headersTimeoutMs?: unknown; maxHeaderBytes?: unknown };
  routes.set(device.origin!, Object.freeze({
    name,
    connector,
    max: device.max ?? 1024,
    headersTimeoutMs: typeof declared.headersTimeoutMs === "number" ? declared.headersTimeoutMs : 30_000,
    maxHeaderBytes: typeof declared.maxHeaderBytes === "number" ? declared.maxHeaderBytes : 16 * 1024,
  }));
}

export const createDrivers: DriversFactory = (call, encode) => {
  const streams = new Streams(call, encode);
  /** Udp and block devices by handle, for routing their events. */
  const byHandle = new Map<number, Udp | Block | Net>();
  let outbox: Outbox | undefined;
  let frameOutbox: FrameOutbox | undefined;
  return {
    make(name, device, declaration) {
      switch (device.kind) {
        case "listener":
          return streams.listener(name, device.handle, device.address!);
        case "connector": {
          const connector = streams.connector(name, device.handle);
          if (device.origin !== undefined) route(name, device, connector, declaration);
          return connector;
        }
        case "udp": {
          const udp = new Udp(name, device.handle, device.address!, device.peer, call, encode, outbox);
          byHandle.set(device.handle, udp);
          return udp;
        }
        case "net": {
          const net = new Net(name, device.handle, device.mac!, device.mtu!, call, frameOutbox);
          byHandle.set(device.handle, net);
          return net;
        }
        case "block": {
          const block = new Block(name, device.handle, device.size!, device.sectorSize!, call);
          byHandle.set(device.handle, block);
          return block;
        }
        default:
          return Object.freeze({ name, kind: device.kind });
      }
    },
    dispatch(event) {
      if (event.type === "datagram") (byHandle.get(event.device) as Udp | undefined)?.onDatagram(event);
      else if (event.type === "frames") (byHandle.get(event.device) as Net | undefined)?.onFrames(event);
      else if (event.type === "flushed") (byHandle.get(event.device) as Block | undefined)?.onFlushed(event);
      else streams.dispatch(event);
    },
    deferSends(datagrams, frames) {
      if (datagrams) outbox ??= new Outbox(call);
      if (frames) frameOutbox ??= new FrameOutbox(call);
    },
    takeSends() {
      const datagrams = outbox?.take();
      const frames = frameOutbox?.take();
      return datagrams === undefined && frames === undefined ? undefined : [datagrams, frames];
    },
    flushSends() {
      outbox?.flush();
      frameOutbox?.flush();
    },
  };
};
