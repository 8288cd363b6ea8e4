/**
 * @module tsuki/dns/records
 * Typed resource records. `data` is shaped by the record's type: A/AAAA carry an address, NS,
 * CNAME, PTR and DNAME a target name, MX, SOA, TXT, HINFO, SRV and CAA their fields, and every
 * other type its RDATA as opaque octets (RFC 3597). Names are presentation text, fully qualified.
 */

export interface AddressData {
  /** Dotted quad for A, RFC 5952 text for AAAA. */
  readonly address: string;
}
export interface TargetData {
  readonly target: string;
}
export interface MxData {
  readonly preference: number;
  readonly exchange: string;
}
export interface SoaData {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}
export interface TxtData {
  /** The character-strings, each 0–255 octets. */
  readonly strings: readonly Uint8Array[];
}
export interface HinfoData {
  readonly cpu: Uint8Array;
  readonly os: Uint8Array;
}
export interface SrvData {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}
export interface CaaData {
  readonly flags: number;
  readonly tag: string;
  readonly value: Uint8Array;
}
/** Any type this library has no shape for: the RDATA as is (RFC 3597). */
export interface OpaqueData {
  readonly bytes: Uint8Array;
}

export type RData = AddressData | TargetData | MxData | SoaData | TxtData | HinfoData | SrvData | CaaData | OpaqueData;

export interface ResourceRecord<D extends RData = RData> {
  /** The owner name: presentation text with a trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly data: D;
}
