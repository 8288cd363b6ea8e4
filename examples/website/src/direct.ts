/**
 * @module website/direct
 * The website's arguments for the direct stack (`eth`): `address` ("10.0.0.2/24" or "dhcp", the
 * default), `gateway` ("10.0.0.1", with a static address only) and `port` (default 80), checked
 * before the stack starts so that a typo is an error naming the argument, not a silent default.
 */

import type { Args } from "tsuki";

export interface DirectStackOptions {
  /** The static configuration, or undefined for DHCP. */
  readonly static: { address: string; gateway?: string } | undefined;
  readonly port: number;
}

export function directStackOptions(args: Args): DirectStackOptions {
  const address = args.address ?? "dhcp";
  const port = args.port ?? 80;
  if (typeof address !== "string" || (address !== "dhcp" && !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(address))) {
    throw new TypeError(`args.address must be "dhcp" or an address with a prefix length such as "10.0.0.2/24", got ${JSON.stringify(address)}`);
  }
  if (args.gateway !== undefined && (typeof args.gateway !== "string" || address === "dhcp")) {
    throw new TypeError(`args.gateway must be an address such as "10.0.0.1", given with a static args.address (DHCP supplies its own), got ${JSON.stringify(args.gateway)}`);
  }
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`args.port must be a port number 1–65535, got ${JSON.stringify(port)}`);
  const gateway = args.gateway as string | undefined;
  return { static: address === "dhcp" ? undefined : gateway === undefined ? { address } : { address, gateway }, port };
}
