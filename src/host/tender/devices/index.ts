/**
 * @module host/tender/devices
 * Opens the host side of every bound device before a unikernel boots: listeners are bound,
 * certificates loaded, endpoints parsed. Any failure closes what was opened and is a boot error
 * naming the device. Device handles are 1…n in device-name order, over the bound devices (an
 * optional device left unbound has none).
 */

import type { Socket } from "node:net";
import type { DeviceInfo, Manifest, PeerAddress } from "../../../abi/index.ts";
import { TsukiError } from "../../common/errors.ts";
import type { BoundDevice } from "../../spec/bindings.ts";
import { type BlockDevice, openBlock } from "./block.ts";
import { type ConnectorBackend, openConnector } from "./connector.ts";
import { type ListenerBackend, openListener } from "./listener.ts";
import { type NetDevice, openNet } from "./net.ts";
import { type UdpDevice, openUdp } from "./udp.ts";

export type OpenDevice =
  | { readonly name: string; readonly kind: "listener"; readonly handle: number; readonly backend: ListenerBackend }
  | { readonly name: string; readonly kind: "connector"; readonly handle: number; readonly backend: ConnectorBackend; readonly origin?: string }
  | { readonly name: string; readonly kind: "udp"; readonly handle: number; readonly backend: UdpDevice }
  | { readonly name: string; readonly kind: "net"; readonly handle: number; readonly backend: NetDevice }
  | { readonly name: string; readonly kind: "block"; readonly handle: number; readonly backend: BlockDevice };

/** `unikernel`: the unikernel's name (a net device's MAC is derived from it); the image's name by default. */
/**
 * A host's budget of file descriptors (tsukid's, shared by its threads): `holdFor` takes one for a
 * socket and gives it back when the socket closes, or says none is left (the socket is then
 * closed at once). Without one, the process's RLIMIT_NOFILE is the only bound (`tsuki run`).
 */
export interface DescriptorGate {
  holdFor(socket: Socket): boolean;
}

export async function openDevices(manifest: Manifest, bound: ReadonlyMap<string, BoundDevice>, unikernel = manifest.name, gate?: DescriptorGate): Promise<OpenDevice[]> {
  const opened: OpenDevice[] = [];
  try {
    let handle = 0;
    for (const name of Object.keys(manifest.devices).sort()) {
      // An optional device the operator left unbound is not opened; `start` receives undefined.
      const binding = bound.get(name);
      if (binding === undefined) continue;
      handle++;
      const device = binding.device;
      if (device.kind === "listener") opened.push({ name, kind: device.kind, handle, backend: await openListener(name, device, gate) });
      else if (device.kind === "connector") {
        const origin = manifest.devices[name]!.origin;
        opened.push({ name, kind: device.kind, handle, backend: openConnector(name, device, gate), ...(origin === undefined ? {} : { origin }) });
      }
      else if (device.kind === "udp") opened.push({ name, kind: device.kind, handle, backend: await openUdp(name, handle, device) });
      else if (device.kind === "net") opened.push({ name, kind: device.kind, handle, backend: openNet(name, handle, device, unikernel) });
      else if (device.scheme === "file") opened.push({ name, kind: device.kind, handle, backend: openBlock(name, handle, device) });
      else {
        throw new TsukiError("DEV_UNSUPPORTED", `device "${name}" is bound to the block volume "${device.volume}", which only tsukid can resolve: bind a file (--dev ${name}=file:PATH), or create the unikernel with tsukid (tsuki create)`);
      }
    }
    return opened;
  } catch (error) {
    for (const device of opened) if (device.kind !== "connector") device.backend.close();
    throw error;
  }
}

/** What the guest learns about an open device at boot. */
export function deviceInfo(device: OpenDevice): DeviceInfo {
  const base = { kind: device.kind, handle: device.handle };
  switch (device.kind) {
    case "listener":
      return { ...base, address: device.backend.address };
    case "udp":
      return device.backend.peer ? { ...base, address: device.backend.address, peer: device.backend.peer } : { ...base, address: device.backend.address };
    case "block":
      return { ...base, size: device.backend.size, sectorSize: device.backend.sectorSize };
    case "net":
      return { ...base, mac: device.backend.mac, mtu: device.backend.mtu };
    case "connector":
      return { ...base, max: device.backend.maxConnections, ...(device.origin === undefined ? {} : { origin: device.origin }) };
  }
}

/** The bound address of each listener and udp device, by name. */
/** What each net device is attached to, by name: the TAP, the guest's MAC and the link's MTU. */
export function deviceLinks(devices: readonly OpenDevice[]): Record<string, { tap: string; mac: string; mtu: number }> {
  return Object.fromEntries(devices.flatMap((d) => (d.kind === "net" ? [[d.name, { tap: d.backend.tap, mac: d.backend.mac, mtu: d.backend.mtu }]] : [])));
}

export function deviceAddresses(devices: readonly OpenDevice[]): Record<string, PeerAddress> {
  return Object.fromEntries(devices.flatMap((d) => (d.kind === "listener" || d.kind === "udp" ? [[d.name, d.backend.address]] : [])));
}
