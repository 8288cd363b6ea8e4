/**
 * @module test/tcpip/impair
 * A bad link between the kernel and the guest, made by the kernel itself on the TAP's side in the
 * test's namespace. With `tc netem` where the kernel has it (CONFIG_NET_SCH_NETEM): delay, loss,
 * duplication and reordering. Kernels built without netem (some VM kernels) get the same three
 * from other kernel parts: nftables on the netdev hooks drops packets both ways and duplicates
 * them towards the guest (`numgen random`, `dup to`), and an HTB qdisc sends about a quarter of
 * the TCP segments towards the guest (those whose sequence number has bits 12–13 set, matched by a
 * u32 filter) through a slower class, so they arrive after segments sent later.
 */

import { spawnSync } from "node:child_process";
import type { Netns } from "../netns.ts";

export interface Impairment {
  /** "netem" or "nftables+htb": what made the link bad. */
  readonly method: string;
}

/** Why the link cannot be impaired here, or undefined. */
export function impairUnavailable(): string | undefined {
  const tc = spawnSync("sh", ["-c", "command -v tc || test -x /usr/sbin/tc"]).status === 0;
  const nft = spawnSync("sh", ["-c", "command -v nft || test -x /usr/sbin/nft"]).status === 0;
  if (!tc) return "tc (iproute2) is not installed";
  if (!netemAvailable() && !nft) return "this kernel has no netem and nft (Debian: nftables) is not installed";
  return undefined;
}

let netem: boolean | undefined;
function netemAvailable(): boolean {
  if (netem === undefined) {
    const name = `tsi${process.pid}`.slice(0, 15);
    spawnSync("ip", ["link", "add", name, "type", "dummy"]);
    netem = spawnSync("tc", ["qdisc", "add", "dev", name, "root", "netem", "loss", "1%"]).status === 0;
    spawnSync("ip", ["link", "del", name]);
  }
  return netem;
}

/** Makes `device` (in `ns`) lose `lossPercent` of packets both ways, duplicate and reorder towards the guest. */
export function impair(ns: Netns, device: string, lossPercent = 2, duplicatePercent = 2): Impairment {
  if (netemAvailable()) {
    ns.exec("tc", ["qdisc", "add", "dev", device, "root", "netem", "delay", "2ms", "1ms", "loss", `${lossPercent}%`, "duplicate", `${duplicatePercent}%`, "reorder", "10%", "50%"]);
    return { method: "netem" };
  }
  const nft = (...args: string[]) => ns.exec("nft", args);
  nft("add", "table", "netdev", "impair");
  nft("add", "chain", "netdev", "impair", "out", `{ type filter hook egress device ${device} priority 0; }`);
  nft("add", "rule", "netdev", "impair", "out", "meta", "protocol", "ip", "numgen", "random", "mod", "100", "<", String(lossPercent), "drop");
  nft("add", "rule", "netdev", "impair", "out", "meta", "protocol", "ip", "numgen", "random", "mod", "100", "<", String(duplicatePercent), "dup", "to", device);
  nft("add", "chain", "netdev", "impair", "in", `{ type filter hook ingress device ${device} priority 0; }`);
  nft("add", "rule", "netdev", "impair", "in", "meta", "protocol", "ip", "numgen", "random", "mod", "100", "<", String(lossPercent), "drop");
  const tc = (...args: string[]) => ns.exec("tc", args);
  tc("qdisc", "add", "dev", device, "root", "handle", "1:", "htb", "default", "10", "r2q", "100000");
  tc("class", "add", "dev", device, "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit");
  tc("class", "add", "dev", device, "parent", "1:", "classid", "1:20", "htb", "rate", "100mbit");
  // Offset 24 of the IPv4 packet (no options) is the TCP sequence number.
  tc("filter", "add", "dev", device, "parent", "1:", "protocol", "ip", "u32", "match", "ip", "protocol", "6", "0xff", "match", "u32", "0x00003000", "0x00003000", "at", "24", "flowid", "1:20");
  return { method: "nftables+htb" };
}
