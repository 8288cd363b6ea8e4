/**
 * @module tsuki
 * The guest SDK: what a unikernel imports as `tsuki`. It declares the unikernel and its devices;
 * `start` receives the bound devices, the console, `args` and the embedded assets. Timers, clocks,
 * `crypto.getRandomValues`, `TextEncoder`/`TextDecoder`, `atob`/`btoa`, `performance.now()` and
 * `structuredClone` are globals, provided in every unikernel by the guest runtime.
 */

export { unikernel, UNIKERNEL_BRAND } from "./unikernel.ts";
export type { Unikernel, UnikernelOptions, StartContext, Args, ArgValue, DeviceDeclarations } from "./unikernel.ts";
export { listener, connector, udp, net, block } from "./devices.ts";
export type { Address, Connection, Datagram, Device, DeviceDeclaration, DeviceHandle, Listener, Connector, Udp, Net, Block } from "./devices.ts";
export type { Assets, AssetEntry } from "./assets.ts";
export type { SystemError } from "./errors.ts";
export { loopTime } from "./clock.ts";
