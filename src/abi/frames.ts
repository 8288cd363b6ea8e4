/**
 * @module abi/frames
 * Raw Ethernet frames of `net` devices as they cross the ABI, both ways: the *packed* form, each
 * frame preceded by its length as a 2-byte big-endian number, back to back in one byte array
 * (`net.send`'s argument, a `frames` event's bytes). One array carries a whole batch, so a burst
 * of frames is one hypercall and one event, not one per frame. Nothing here reads inside a frame:
 * the host never parses them (DESIGN.md, principle 5).
 *
 * Also the MAC address's text form (`02:00:5e:10:00:01`) used by bindings and `DeviceInfo.mac`.
 */

/** Bytes of an Ethernet II header (destination, source, EtherType): the shortest frame. */
export const ETHERNET_HEADER = 14;

/** Bytes of each frame's length prefix in the packed form. */
export const FRAME_PREFIX = 2;

/** The largest MTU a net device can have: a frame must fit a 2-byte length. */
export const MAX_MTU = 65535 - ETHERNET_HEADER;

/**
 * Checks packed frames for `net.send` against a link of `mtu`: returns the number of frames, or
 * why they are malformed (a message completing "net.send: …"). Reads only the length prefixes.
 */
export function checkPackedFrames(packed: Uint8Array, mtu: number, maxFrames: number): number | string {
  const max = mtu + ETHERNET_HEADER;
  const end = packed.length;
  let count = 0;
  let at = 0;
  while (at < end) {
    if (at + FRAME_PREFIX > end) return `frame ${count + 1} has a truncated length prefix (${end - at} byte) at byte ${at}: each frame is preceded by its length as 2 bytes big-endian`;
    const length = (packed[at]! << 8) | packed[at + 1]!;
    at += FRAME_PREFIX;
    if (length < ETHERNET_HEADER || length > max) return `frame ${count + 1} is ${length} bytes: a frame is ${ETHERNET_HEADER}–${max} bytes on this link (MTU ${mtu} + the ${ETHERNET_HEADER}-byte header)`;
    if (at + length > end) return `frame ${count + 1} says ${length} bytes but only ${end - at} follow`;
    at += length;
    if (++count > maxFrames) return `more than ${maxFrames} frames in one call`;
  }
  return count === 0 ? "no frames: send at least one" : count;
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

/** Why `text` cannot be a net device's MAC address, or undefined. */
export function macProblem(text: string): string | undefined {
  if (!MAC.test(text)) return "a MAC address is 6 two-digit hex numbers separated by ':', e.g. 02:00:00:00:00:01";
  if (parseInt(text.slice(0, 2), 16) & 1) return "it is a multicast address (the first octet is odd); a device's address must be unicast, e.g. 02:…";
  if (/^(?:00:){5}00$/.test(text)) return "it is all zeros";
  return undefined;
}

/** The 6 bytes of a MAC address in text form (assumed valid). */
export function macBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(6);
  for (let i = 0; i < 6; i++) bytes[i] = parseInt(text.slice(i * 3, i * 3 + 2), 16);
  return bytes;
}

/** The text form of 6 bytes: lower-case hex, ':'-separated. */
export function macText(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < 6; i++) text += (i > 0 ? ":" : "") + (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
  return text;
}
