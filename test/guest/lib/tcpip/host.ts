/**
 * A stack at 10.0.0.1/24 (gateway 10.0.0.254) on a test device, with the peer 10.0.0.2 at
 * 02:00:00:00:00:02 already in its ARP cache, for tests that feed it hand-built frames.
 */

import { after } from "node:test";
import { Stack, type StackOptions } from "../../../../src/guest/lib/tcpip/index.ts";
import { arpFrame } from "./build.ts";
import { testMac, testNet, type TestNet } from "./link.ts";

export const HOST_MAC = testMac(1);
export const PEER_MAC = testMac(2);
export const HOST = "10.0.0.1";
export const PEER = "10.0.0.2";

export function host(options: StackOptions = {}): { stack: Stack; net: TestNet } {
  const net = testNet({ mac: HOST_MAC });
  const stack = Stack.start(net, { address: `${HOST}/24`, gateway: "10.0.0.254", ...options });
  net.inject(arpFrame(1, PEER_MAC, PEER, new Uint8Array(6), HOST));
  net.sent.length = 0;
  return { stack, net };
}

/** `host` for a test file: every stack it makes is closed after the file's tests. */
export function closingHosts(): typeof host {
  const stacks: Stack[] = [];
  after(() => stacks.forEach((s) => s.close()));
  return (...args) => {
    const made = host(...args);
    stacks.push(made.stack);
    return made;
  };
}
