/**
 * @module host/tender/devices/calls
 * The device calls a hypercall reaches once its arguments have the right types (hypercalls.ts
 * checks them), the set for a guest without devices, and the error for a handle that names none.
 */

import { Errno, type HypercallError } from "../../../abi/index.ts";

/** The device calls, once their arguments have the right types. */
export interface DeviceCalls {
  /** `data`: bytes, or an ASCII string (checked) that stands for its own bytes. */
  write(handle: number, data: Uint8Array | string): number | HypercallError;
  shutdown(handle: number): undefined | HypercallError;
  close(handle: number): undefined | HypercallError;
  flow(handle: number, flowing: boolean): undefined | HypercallError;
  connect(connector: number): number | HypercallError;
  send(handle: number, bytes: Uint8Array, address: string, port: number): undefined | HypercallError;
  /** `packed`: frames in the packed form of abi/frames.ts, at most `LIMITS.netSend` bytes (checked). */
  netSend(handle: number, packed: Uint8Array): undefined | HypercallError;
  blockRead(handle: number, offset: number, length: number): Uint8Array | HypercallError;
  blockWrite(handle: number, offset: number, bytes: Uint8Array): undefined | HypercallError;
  blockFlush(handle: number): undefined | HypercallError;
}

/** Devices for a guest that has none (the build's throwaway isolate): every handle is EBADF. */
export const NO_DEVICES: DeviceCalls = {
  write: (h) => notMine("stream.write", h),
  shutdown: (h) => notMine("stream.shutdown", h),
  close: (h) => notMine("stream.close", h),
  flow: (h) => notMine("stream.flow", h),
  connect: (h) => notMine("stream.connect", h),
  send: (h) => notMine("datagram.send", h),
  netSend: (h) => notMine("net.send", h),
  blockRead: (h) => notMine("block.read", h),
  blockWrite: (h) => notMine("block.write", h),
  blockFlush: (h) => notMine("block.flush", h),
};

export function notMine(call: string, handle: number): HypercallError {
  return { errno: Errno.EBADF, message: `${call}: handle ${handle} does not name a device or connection of this unikernel` };
}

