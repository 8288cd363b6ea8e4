/**
 * @module host/tender/devices/stats
 * What each of a unikernel's devices has carried, for the operator (`tsuki stats`, tsukid's
 * metrics). Every kind counts bytes in and out — "in" is towards the unikernel (received, read
 * from a block device), "out" is from it (sent, written) — and adds counters of its own. Counters
 * only grow over the unikernel's life and stay readable after it has ended (its open connections
 * then read 0).
 *
 * A new device kind adds its interface to `DeviceStats` and a case to `statsOf` (the compiler
 * asks for it: the switch covers every kind). The net device keeps its own counters
 * (devices/net.ts); they are read here as they are.
 */

import type { OpenDevice } from "./index.ts";

/** A listener's or connector's counters, kept by the tender's stream table. */
export class StreamCounters {
  bytesIn = 0;
  bytesOut = 0;
  /** Connections open now. */
  open = 0;
  /** Connections accepted (listener) or opened (connector) over the unikernel's life. */
  total = 0;
}

export interface StreamStats {
  readonly kind: "listener" | "connector";
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly connections: number;
  readonly connectionsTotal: number;
}

export interface UdpStats {
  readonly kind: "udp";
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly datagramsIn: number;
  readonly datagramsOut: number;
  /** Datagrams that arrived while the queue was full. */
  readonly dropped: number;
}

export interface BlockStats {
  readonly kind: "block";
  /** Bytes read by the unikernel. */
  readonly bytesIn: number;
  /** Bytes written by the unikernel. */
  readonly bytesOut: number;
  readonly reads: number;
  readonly writes: number;
  readonly flushes: number;
}

export interface NetStats {
  readonly kind: "net";
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly framesIn: number;
  readonly framesOut: number;
  /** Frames from the guest the link did not take. */
  readonly dropsOut: number;
}

export type DeviceStats = StreamStats | UdpStats | BlockStats | NetStats;

/** Mutable counters of a udp or block backend. */
export interface UdpCounters {
  bytesIn: number;
  bytesOut: number;
  datagramsIn: number;
  datagramsOut: number;
}

export interface BlockCounters {
  bytesIn: number;
  bytesOut: number;
  reads: number;
  writes: number;
  flushes: number;
}

/** The stats of one open device; `streams` gives a listener's or connector's counters by handle. */
export function statsOf(device: OpenDevice, streams: (handle: number) => StreamCounters | undefined): DeviceStats {
  switch (device.kind) {
    case "listener":
    case "connector": {
      const c = streams(device.handle) ?? new StreamCounters();
      return { kind: device.kind, bytesIn: c.bytesIn, bytesOut: c.bytesOut, connections: c.open, connectionsTotal: c.total };
    }
    case "udp": {
      const c = device.backend.counters;
      return { kind: "udp", bytesIn: c.bytesIn, bytesOut: c.bytesOut, datagramsIn: c.datagramsIn, datagramsOut: c.datagramsOut, dropped: device.backend.dropped };
    }
    case "block": {
      const c = device.backend.counters;
      return { kind: "block", bytesIn: c.bytesIn, bytesOut: c.bytesOut, reads: c.reads, writes: c.writes, flushes: c.flushes };
    }
    case "net": {
      const c = device.backend.counters;
      return { kind: "net", bytesIn: c.bytesIn, bytesOut: c.bytesOut, framesIn: c.framesIn, framesOut: c.framesOut, dropsOut: c.dropsOut };
    }
  }
}
