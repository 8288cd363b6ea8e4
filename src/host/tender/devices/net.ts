/**
 * @module host/tender/devices/net
 * The host side of a `net()` device: raw Ethernet frames on a Linux TAP interface the operator
 * names (`tap:NAME`, optionally `?mac=02:…`). The tender attaches to the TAP (TUNSETIFF with
 * IFF_TAP | IFF_NO_PI through the addon in `tap/`), reads the link's MTU, and moves frames in
 * batches both ways; it never parses a frame (DESIGN.md, principle 5): on the way out it checks
 * only each frame's length (14 to MTU + 14 bytes), on the way in nothing at all.
 *
 * The MAC address the guest uses is the binding's `?mac=` (unicast, 6 octets) or else derived
 * from the unikernel's and the device's names: `02` (locally administered, unicast) followed by
 * the first 5 bytes of SHA-256("<unikernel name>/<device name>"), the unikernel's name being the
 * one it boots under (tsukid's instance name, else the image's). The same unikernel gets the same
 * address at every boot; two unikernels of one name on one link need `?mac=` to differ.
 *
 * The interface should exist and be up before the unikernel boots, created by the operator:
 *
 *     ip tuntap add dev tap0 mode tap user $USER && ip link set tap0 up
 *
 * If it does not exist and the tender may create interfaces (CAP_NET_ADMIN), the kernel creates
 * it at attach time; such an interface is down until someone sets it up, and it vanishes when the
 * unikernel ends.
 *
 * Arrivals: the addon reads up to `BATCH_FRAMES` frames per readable event into one buffer, which
 * becomes one `frames` event. Batches wait for the next turn up to `QUEUE_BYTES`; past that the
 * tender stops reading, so the kernel queues (and, once its queue is full, drops and counts) what
 * comes next, until the guest has taken its frames. Departures that the kernel does not take at
 * once are dropped and counted, as a wire drops.
 */

import { createHash } from "node:crypto";
import { ETHERNET_HEADER, type GuestEvent, MAX_MTU, checkPackedFrames, macProblem, macText } from "../../../abi/index.ts";
import { TsukiError } from "../../common/errors.ts";
import { type NetBinding, formatDeviceUri } from "../../spec/device-uri.ts";
import type { EventSink, EventSource } from "./events.ts";
import { tapAddon } from "./tap/addon.ts";

/** The most frames the addon reads per readable event (one `frames` event). */
export const BATCH_FRAMES = 256;
/** Bytes of arrivals waiting for the guest before the tender stops reading the TAP. */
export const QUEUE_BYTES = 4 * 1024 * 1024;
/** Room beyond MTU + 14 for a frame read from the link (an 802.1Q tag). */
const READ_SLACK = 4;

/** What a net device moved, for the operator (and the orchestrator's metrics). */
export interface NetCounters {
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  /** Frames from the guest the link did not take (full, or down). */
  dropsOut: number;
}

/** The MAC derived from the unikernel's and the device's names (see the module's comment). */
export function derivedMac(unikernel: string, device: string): string {
  const digest = createHash("sha256").update(`${unikernel}/${device}`).digest();
  return macText(new Uint8Array([0x02, digest[0]!, digest[1]!, digest[2]!, digest[3]!, digest[4]!]));
}

export class NetDevice implements EventSource {
  readonly handle: number;
  readonly tap: string;
  readonly mac: string;
  readonly mtu: number;
  /** Whether the kernel created the interface when the tender attached (it was not there). */
  readonly created: boolean;
  readonly counters: NetCounters = { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, dropsOut: 0 };
  #fd: number;
  #reader: object | undefined;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #queued = false;
  #paused = false;
  #closed = false;

  constructor(handle: number, tap: string, fd: number, mtu: number, mac: string, created: boolean) {
    this.handle = handle;
    this.tap = tap;
    this.#fd = fd;
    this.mtu = mtu;
    this.mac = mac;
    this.created = created;
  }

  start(sink: EventSink): void {
    const addon = loadedAddon();
    this.#reader = addon.start(this.#fd, Math.min(65535, this.mtu + ETHERNET_HEADER + READ_SLACK), BATCH_FRAMES, (packed, count) => {
      if (this.#closed) return;
      this.counters.framesIn += count;
      this.counters.bytesIn += packed.length - 2 * count;
      this.#queue.push(packed);
      this.#queuedBytes += packed.length;
      if (this.#queuedBytes >= QUEUE_BYTES && !this.#paused) {
        this.#paused = true;
        addon.pause(this.#reader!);
      }
      if (!this.#queued) {
        this.#queued = true;
        sink.ready(this);
      }
    });
  }

  /** The number of packed frames, or why they cannot be sent on this link (a message for EINVAL). */
  check(packed: Uint8Array, maxFrames: number): number | string {
    return checkPackedFrames(packed, this.mtu, maxFrames);
  }

  /** Sends `count` packed frames that `check` accepted; what the link does not take is dropped and counted. */
  send(packed: Uint8Array, count: number): void {
    if (this.#closed) return;
    const written = loadedAddon().write(this.#fd, packed);
    this.counters.framesOut += written;
    this.counters.dropsOut += count - written;
    // Bytes of frames taken; with drops (rare) the bytes of the whole batch less the dropped frames' are not known exactly.
    this.counters.bytesOut += written === count ? packed.length - 2 * count : Math.round(((packed.length - 2 * count) * written) / count);
  }

  drain(out: GuestEvent[]): void {
    this.#queued = false;
    for (const bytes of this.#queue) out.push({ type: "frames", device: this.handle, bytes });
    this.#queue = [];
    this.#queuedBytes = 0;
    if (this.#paused && !this.#closed) {
      this.#paused = false;
      loadedAddon().resume(this.#reader!);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const addon = loadedAddon();
    if (this.#reader !== undefined) addon.stop(this.#reader);
    addon.close(this.#fd);
    this.#queue = [];
  }
}

function loadedAddon() {
  const loaded = tapAddon();
  if ("problem" in loaded) throw new Error(loaded.problem);
  return loaded.addon;
}

/** Why this host cannot attach `net` devices, or undefined (for `tsuki doctor`). */
export function netUnavailable(): string | undefined {
  const loaded = tapAddon();
  if ("problem" in loaded) return loaded.problem;
  return undefined;
}

/** Opens a TAP binding for device `device` of unikernel `unikernel`. */
export function openNet(device: string, handle: number, binding: NetBinding, unikernel: string): NetDevice {
  const { tap } = binding;
  const uri = formatDeviceUri(binding);
  const mac = binding.mac ?? derivedMac(unikernel, device);
  const loaded = tapAddon();
  if ("problem" in loaded) throw new TsukiError("TAP_UNAVAILABLE", `device "${device}" (${uri}): this tender cannot attach TAP interfaces: ${loaded.problem}`);
  let opened: [number, number, boolean];
  try {
    opened = loaded.addon.open(tap);
  } catch (error) {
    throw tapError(device, uri, tap, error as NodeJS.ErrnoException);
  }
  const [fd, mtu, created] = opened;
  if (mtu < 68 || mtu > MAX_MTU) {
    loaded.addon.close(fd);
    throw new TsukiError("TAP_OPEN", `device "${device}": TAP ${tap} has MTU ${mtu}, outside 68–${MAX_MTU}: set it with ip link set ${tap} mtu 1500`);
  }
  return new NetDevice(handle, tap, fd, mtu, mac, created);
}

/** A failed attach as a boot error with a stable code and the fix. */
function tapError(device: string, uri: string, tap: string, error: NodeJS.ErrnoException): TsukiError {
  const code = error.code ?? "EIO";
  const head = `device "${device}" (${uri}): cannot attach TAP ${tap}: ${error.syscall ?? "TUNSETIFF"} failed with ${code} (${error.message})`;
  if (error.syscall === "open /dev/net/tun" && (code === "ENOENT" || code === "ENODEV" || code === "ENXIO")) {
    return new TsukiError("TAP_UNAVAILABLE", `${head}: this host has no /dev/net/tun; load the tun module (modprobe tun) or, in a container, pass the device through (docker run --device /dev/net/tun)`);
  }
  if (code === "EPERM" || code === "EACCES") {
    return new TsukiError(
      "TAP_PERMISSION",
      `${head}: the tender may not use this interface; create it for the tender's user beforehand (ip tuntap add dev ${tap} mode tap user $USER && ip link set ${tap} up), or give the tender CAP_NET_ADMIN`,
    );
  }
  if (code === "EBUSY") return new TsukiError("TAP_BUSY", `${head}: another process (or unikernel) is attached to ${tap}; stop it, or bind another TAP`);
  if (code === "EINVAL") return new TsukiError("TAP_OPEN", `${head}: ${tap} exists but is not a TAP interface (a TUN device, a bridge, a veth…); bind a TAP (ip tuntap add dev NAME mode tap)`);
  return new TsukiError("TAP_OPEN", `${head}`);
}
