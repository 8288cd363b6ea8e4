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
