/**
 * @module guest/sdk/devices
 * Device declarations: `listener()`, `connector()`, `udp()`, `net()` and `block()` each declare a
 * device of one kind, to be bound by the operator (`--dev name=URI`). The declaration carries its
 * kind as data (the build writes it into the manifest) and, as a type, the handle `start` receives.
 *
 * The handles' I/O methods come with the device backends (see DESIGN.md, "The hypercall ABI");
 * until then a tender refuses to boot an image that declares a device it has no backend for.
 */

import type { DeviceKind } from "../../abi/devices.ts";

export interface DeviceDeclaration<K extends DeviceKind> {
  readonly kind: K;
}

/** What `start` receives for a bound device: its name and kind. */
export interface Device<K extends DeviceKind> {
  readonly name: string;
  readonly kind: K;
}

export type Listener = Device<"listener">;
export type Connector = Device<"connector">;
export type Udp = Device<"udp">;
export type Net = Device<"net">;
export type Block = Device<"block">;

interface HandleOfKind {
  listener: Listener;
  connector: Connector;
  udp: Udp;
  net: Net;
  block: Block;
}

export type DeviceHandle<D> = D extends DeviceDeclaration<infer K> ? HandleOfKind[K] : never;

const declare = <K extends DeviceKind>(kind: K): DeviceDeclaration<K> => Object.freeze({ kind });

/** A stream server: accepted connections from the address the operator binds (tcp://, tls://). */
export const listener = (): DeviceDeclaration<"listener"> => declare("listener");
/** A stream client to one endpoint fixed by the operator (tcp://HOST:PORT). */
export const connector = (): DeviceDeclaration<"connector"> => declare("connector");
/** Datagrams on one address bound by the operator (udp://ADDR:PORT). */
export const udp = (): DeviceDeclaration<"udp"> => declare("udp");
/** Raw Ethernet frames, for the in-guest TCP/IP stack (tap:NAME). */
export const net = (): DeviceDeclaration<"net"> => declare("net");
/** A fixed-size block device backed by a file the operator names. */
export const block = (): DeviceDeclaration<"block"> => declare("block");
