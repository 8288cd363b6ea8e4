/**
 * @module abi/devices
 * The kinds of device a unikernel can declare, the rules for their names, and the context keys a
 * device name may not take. Anything richer than these kinds is a library inside the image.
 */

export const DEVICE_KINDS = ["listener", "connector", "udp", "net", "block"] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export function isDeviceKind(value: unknown): value is DeviceKind {
  return typeof value === "string" && (DEVICE_KINDS as readonly string[]).includes(value);
}

/** A device name: an identifier, so that `start({ web })` can destructure it. Solo5 allows 67 chars. */
export const DEVICE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Keys of `start`'s context that are always present, so no device may be named after them. */
export const RESERVED_CONTEXT_KEYS = ["console", "args", "assets", "name", "exit", "abort"] as const;

/**
 * How many recent senders a udp device without a fixed peer may reply to: the host remembers the
 * last this many distinct addresses that sent to it (and the isolate target's guest runtime
 * mirrors that rule to answer EACCES at once when it defers sends; see docs/abi.md).
 */
export const UDP_REPLY_MEMORY = 4096;

/**
 * A key naming one sender (address and port) of a udp device, for the tables that remember
 * senders: a number for an IPv4 address in canonical dotted-quad form (as Node reports senders),
 * otherwise a string. Two senders get the same key exactly when their address strings and ports
 * are equal. A number hashes without the allocation that hashing a concatenated string costs V8.
 */
export function udpSenderKey(address: string, port: number): number | string {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return `${address}|${port}`;
      value = value * 256 + part;
      part = digits = 0;
    } else if (c >= 48 && c <= 57 && !(digits === 1 && part === 0)) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return `${address}|${port}`;
    } else return `${address}|${port}`;
  }
  if (dots !== 3 || digits === 0 || !Number.isInteger(port) || port < 0 || port > 65535) return `${address}|${port}`;
  return (value * 256 + part) * 65536 + port;
}

/** The most devices one unikernel may declare (Solo5: 63). */
export const MAX_DEVICES = 63;

/** Why `name` cannot name a device, or undefined if it can. */
export function deviceNameProblem(name: string): string | undefined {
  if (!DEVICE_NAME.test(name)) {
    return `device name "${name}" must be an identifier of 1–63 letters, digits or "_", not starting with a digit`;
  }
  if ((RESERVED_CONTEXT_KEYS as readonly string[]).includes(name)) {
    return `device name "${name}" is reserved: start() already receives "${name}"; choose another name`;
  }
  // "__proto__", "constructor", "toString", …: as keys of plain objects they would not name a device.
  if (name in Object.prototype) return `device name "${name}" is reserved: it names a property of every object; choose another name`;
  return undefined;
}
