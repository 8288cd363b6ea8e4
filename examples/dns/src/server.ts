/**
 * What both images of examples/dns share: parse the zone files, log them, and answer on the udp
 * device and the listener until stopped. A zone file with an error stops the boot with the
 * error's file, line and column on the console and exit code 1.
 */

import type { Args, Listener, Udp } from "tsuki";
import { Authority, type Zone, ZoneError, parseZone, serveTcp, serveUdp } from "tsuki/dns";

export interface ZoneText {
  /** The file's path in its folder or archive (`example.com.zone`), which gives the zone's origin. */
  readonly path: string;
  /** Where the operator finds it (`zones/example.com.zone`), for error messages. */
  readonly file: string;
  readonly text: string;
}

export interface ServeOptions {
  readonly udp: Udp;
  readonly tcp: Listener;
  readonly files: readonly ZoneText[];
  readonly args: Args;
  readonly console: Console;
  exit(code?: number): never;
}

/**
 * The origin a file's name gives its zone: the name without a final `.zone`, as a fully
 * qualified name (`example.com.zone` → `example.com.`). A `$ORIGIN` line in the file overrides it
 * for the lines that follow, and the SOA's owner is the zone's apex.
 */
export function originOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1).replace(/\.zone$/i, "");
  return base.endsWith(".") ? base : `${base}.`;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:]*:[0-9a-f:.]*$/i;

/**
 * `args.allowTransfer`: the addresses allowed to transfer the zones (AXFR), comma-separated or a
 * list, as the peer's address is seen on the listener (an IPv4 address, or IPv6 as Node prints it).
 * Returns the set, or why the value is not one.
 */
export function transferAddresses(args: Args): Set<string> | string {
  const value = args.allowTransfer ?? "";
  const list = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [value];
  const addresses = new Set<string>();
  for (const item of list) {
    const address = typeof item === "string" ? item.trim() : item;
    if (address === "") continue;
    if (typeof address !== "string" || !(IPV4.test(address) || IPV6.test(address))) {
      return `args.allowTransfer must be IP addresses separated by commas (e.g. "127.0.0.1,2001:db8::53"), but it holds ${JSON.stringify(address)}`;
    }
    addresses.add(address.toLowerCase());
  }
  return addresses;
}

/** Parses every file; on the first error prints it (file:line:column: what) and exits 1. */
export function parseZones(files: readonly ZoneText[], console: Console, exit: (code?: number) => never): Zone[] {
  if (files.length === 0) {
    console.error("no zone files: put one file per zone in examples/dns/zones (e.g. example.com.zone)");
    exit(1);
  }
  const zones: Zone[] = [];
  let failed = false;
  for (const { path, file, text } of files) {
    try {
      zones.push(parseZone(text, { file, origin: originOf(path) }));
    } catch (error) {
      if (!(error instanceof ZoneError)) throw error;
      const where = `${error.file}:${error.line}:${error.column}`;
      console.error(error.message.startsWith(where) ? error.message : `${where}: ${error.message}`);
      failed = true;
    }
  }
  if (failed) {
    console.error("not starting: fix the zone files above");
    exit(1);
  }
  return zones;
}

export async function serveZones({ udp, tcp, files, args, console, exit }: ServeOptions): Promise<never> {
  const allowed = transferAddresses(args);
  if (typeof allowed === "string") {
    console.error(allowed);
    return exit(1);
  }
  const zones = parseZones(files, console, exit);
  const authority = new Authority(zones, { allowTransfer: (address) => allowed.has(address) });
  const list = zones.map((zone) => `${zone.origin} (serial ${zone.soa.data.serial})`).join(", ");
  const transfer = allowed.size ? `, AXFR to ${[...allowed].join(", ")}` : ", AXFR to nobody";
  console.log(`serving ${zones.length} zone${zones.length === 1 ? "" : "s"}: ${list} on udp ${udp.address.address}:${udp.address.port} and tcp ${tcp.address.address}:${tcp.address.port}${transfer}`);
  return Promise.race([serveUdp(udp, authority), serveTcp(tcp, authority)]);
}
