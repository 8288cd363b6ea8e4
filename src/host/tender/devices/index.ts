/**
 * @module host/tender/devices
 * Opens the host side of every bound device before a unikernel boots: listeners are bound,
 * certificates loaded, endpoints parsed. Any failure closes what was opened and is a boot error
 * naming the device. Device handles are 1…n in device-name order.
 */

import type { DeviceKind, Manifest, PeerAddress } from "../../../abi/index.ts";
import { TsukiError } from "../../errors.ts";
import type { Binding } from "../bindings.ts";
import { type ConnectorBackend, openConnector } from "./connector.ts";
import { type ListenerBackend, openListener } from "./listener.ts";

export type OpenDevice =
  | { readonly name: string; readonly kind: "listener"; readonly handle: number; readonly backend: ListenerBackend }
  | { readonly name: string; readonly kind: "connector"; readonly handle: number; readonly backend: ConnectorBackend };

/** The device kinds this tender has backends for. */
export const SUPPORTED_KINDS: readonly DeviceKind[] = ["listener", "connector"];

export async function openDevices(manifest: Manifest, bound: ReadonlyMap<string, Binding>): Promise<OpenDevice[]> {
  const opened: OpenDevice[] = [];
  try {
    let handle = 1;
    for (const name of Object.keys(manifest.devices).sort()) {
      const kind = manifest.devices[name]!.kind;
      const uri = bound.get(name)!.uri;
      if (kind === "listener") opened.push({ name, kind, handle: handle++, backend: await openListener(name, uri) });
      else if (kind === "connector") opened.push({ name, kind, handle: handle++, backend: openConnector(uri) });
      else {
        throw new TsukiError("DEV_UNSUPPORTED", `device "${name}" (${kind}, bound to ${uri}) cannot be opened: this tender has no ${kind} backend yet (it has ${SUPPORTED_KINDS.join(", ")})`);
      }
    }
    return opened;
  } catch (error) {
    for (const device of opened) if (device.kind === "listener") device.backend.close();
    throw error;
  }
}

/** What the guest learns about an open device at boot. */
export function deviceAddress(device: OpenDevice): PeerAddress | undefined {
  return device.kind === "listener" ? device.backend.address : undefined;
}
