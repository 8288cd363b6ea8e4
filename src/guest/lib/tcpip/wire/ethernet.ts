/**
 * @module tcpip/wire/ethernet
 * Ethernet II frames (IEEE 802.3 clause 3.2.6 "Length/Type" ≥ 0x0600): a bounds-checked view and a
 * header representation. `EthernetFrame.check` validates the length once; afterwards no accessor
 * reads or writes outside the frame. 802.3 length-framed frames (type < 0x0600), 802.1Q tags and
 * jumbo frames are not supported: their type is reported as it is and the interface drops them.
 * A frame arriving through a TAP carries no preamble and no FCS.
 */

export const ETHERNET_HEADER_LENGTH = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;

/** Field offsets (smoltcp's `mod field`). */
export const FIELD = { DESTINATION: 0, SOURCE: 6, ETHERTYPE: 12, PAYLOAD: 14 } as const;

export const BROADCAST_MAC: Uint8Array = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export type EthernetError = "truncated";

/** The six bytes of `mac` as `aa:bb:cc:dd:ee:ff`. */
export function formatMac(mac: Uint8Array): string {
  let text = "";
  for (let i = 0; i < 6; i++) text += (i ? ":" : "") + (mac[i] ?? 0).toString(16).padStart(2, "0");
  return text;
}

/** Parses `aa:bb:cc:dd:ee:ff` (or with `-`), or returns undefined. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

/** Whether `bytes[at..at+6)` equals `mac`. */
export function macEquals(bytes: Uint8Array, at: number, mac: Uint8Array): boolean {
  return bytes[at] === mac[0] && bytes[at + 1] === mac[1] && bytes[at + 2] === mac[2] && bytes[at + 3] === mac[3] && bytes[at + 4] === mac[4] && bytes[at + 5] === mac[5];
}

/** A view of one Ethernet II frame over `bytes[0..length)`. */
export class EthernetFrame {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** A view of untrusted bytes, or why they cannot be a frame. */
  static check(bytes: Uint8Array): EthernetFrame | EthernetError {
    return bytes.length < ETHERNET_HEADER_LENGTH ? "truncated" : new EthernetFrame(bytes);
  }

  /** A view of a buffer the caller sized (`bufferLength()` bytes at least) for emitting. */
  static unchecked(bytes: Uint8Array): EthernetFrame {
    if (bytes.length < ETHERNET_HEADER_LENGTH) throw new RangeError("ethernet: buffer shorter than the header");
    return new EthernetFrame(bytes);
  }

  get destination(): Uint8Array {
    return this.bytes.subarray(FIELD.DESTINATION, FIELD.DESTINATION + 6);
  }
  get source(): Uint8Array {
    return this.bytes.subarray(FIELD.SOURCE, FIELD.SOURCE + 6);
  }
  get ethertype(): number {
    return (this.bytes[FIELD.ETHERTYPE]! << 8) | this.bytes[FIELD.ETHERTYPE + 1]!;
  }
  /** Whether the destination is ff:ff:ff:ff:ff:ff. */
  get isBroadcast(): boolean {
    return macEquals(this.bytes, FIELD.DESTINATION, BROADCAST_MAC);
  }
  /** Whether the destination is a group address (I/G bit set), broadcast included. */
  get isMulticast(): boolean {
    return (this.bytes[FIELD.DESTINATION]! & 1) === 1;
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(FIELD.PAYLOAD);
  }

  setDestination(mac: Uint8Array): void {
    this.bytes.set(mac.subarray(0, 6), FIELD.DESTINATION);
  }
  setSource(mac: Uint8Array): void {
    this.bytes.set(mac.subarray(0, 6), FIELD.SOURCE);
  }
  setEthertype(type: number): void {
    this.bytes[FIELD.ETHERTYPE] = type >>> 8;
    this.bytes[FIELD.ETHERTYPE + 1] = type & 0xff;
  }
}

/** The header of an Ethernet II frame. */
export class EthernetRepr {
  readonly destination: Uint8Array;
  readonly source: Uint8Array;
  readonly ethertype: number;

  constructor(destination: Uint8Array, source: Uint8Array, ethertype: number) {
    if (destination.length !== 6 || source.length !== 6) throw new RangeError("ethernet: a MAC address is 6 bytes");
    if (!Number.isInteger(ethertype) || ethertype < 0x0600 || ethertype > 0xffff) throw new RangeError("ethernet: an Ethernet II type is 0x0600…0xffff");
    this.destination = destination;
    this.source = source;
    this.ethertype = ethertype;
  }

  /** The header of a checked frame (copies the addresses), or why it is not supported. */
  static parse(frame: EthernetFrame): EthernetRepr | "unsupported-type" {
    const type = frame.ethertype;
    // IEEE 802.3: values below 0x0600 are a length (802.3 + LLC framing), which we do not speak.
    if (type < 0x0600) return "unsupported-type";
    return new EthernetRepr(frame.destination.slice(), frame.source.slice(), type);
  }

  bufferLength(): number {
    return ETHERNET_HEADER_LENGTH;
  }

  emit(frame: EthernetFrame): void {
    frame.setDestination(this.destination);
    frame.setSource(this.source);
    frame.setEthertype(this.ethertype);
  }
}
