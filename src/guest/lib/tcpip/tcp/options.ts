/**
 * @module tcpip/tcp/options
 * The knobs of a `Tcp` instance, their defaults, and their validation. Every default is a concrete
 * number a README can list.
 */

import type { CongestionControlName } from "./congestion.ts";

export interface KeepAliveOptions {
  /** Idle time before the first probe (default 7,200,000 ms: RFC 1122 §4.2.3.6's two hours). */
  idleMs?: number;
  /** Between probes (default 75,000 ms). */
  intervalMs?: number;
  /** Unanswered probes before the connection is aborted with ETIMEDOUT (default 9). */
  count?: number;
}

export interface TcpOptions {
  /** Receive buffer per connection, the most we advertise (default 1 MiB; window scaling above 64 KiB). */
  receiveBuffer?: number;
  /** Send buffer per connection: writes resolve once their bytes fit (default 1 MiB). */
  sendBuffer?: number;
  /** The most MSS we advertise (default: path MTU − 40). */
  mss?: number;
  /** Disable Nagle's algorithm (default false: Nagle on, RFC 1122 §4.2.3.4). */
  noDelay?: boolean;
  /** SACK (RFC 2018; default true): offer SACK-permitted, send SACK blocks for out-of-order data held, recover from the peer's (RFC 6675). */
  sack?: boolean;
  /** The congestion controller (default "cubic"). */
  congestionControl?: CongestionControlName;
  /** Delayed-ACK timeout (default 40 ms; RFC 1122 §4.2.3.2 allows up to 500). */
  delayedAckMs?: number;
  /** RFC 6298 parameters (defaults 1,000 / 200 / 60,000 ms). */
  initialRtoMs?: number;
  minRtoMs?: number;
  maxRtoMs?: number;
  /** Retransmissions of one segment before the connection is aborted with ETIMEDOUT (default 12). */
  maxRetransmissions?: number;
  /** Retransmissions of a SYN or SYN-ACK before giving up (default 6, as Linux). */
  synRetries?: number;
  /** Abort with ETIMEDOUT when data stays unacknowledged this long (RFC 9293 §3.8.3 "user timeout"; default none). */
  userTimeoutMs?: number;
  /** Keep-alive (RFC 1122 §4.2.3.6): off by default; `true` or options to turn it on for every connection. */
  keepAlive?: boolean | KeepAliveOptions;
  /** TIME-WAIT length, 2×MSL (default 30,000 ms: MSL 15 s, shortened from RFC 9293's 2 minutes). */
  timeWaitMs?: number;
  /** An orphaned FIN-WAIT-2 (closed by the application) is dropped after this (default 60,000 ms, as Linux). */
  finWait2TimeoutMs?: number;
  /** At most this many connections in TIME-WAIT; beyond, a connection closes without it (default 4096; Linux's tcp_max_tw_buckets). */
  maxTimeWait?: number;
  /** The default listen backlog: half-open plus not yet accepted connections (default 128). */
  backlog?: number;
  /** Out-of-order ranges held per connection (default 64). */
  maxReassemblyRanges?: number;
  /** RFC 5961 §7: challenge ACKs per connection per second (default 10). */
  challengeAckLimit?: number;
}

export interface ResolvedOptions {
  receiveBuffer: number;
  sendBuffer: number;
  mss: number;
  noDelay: boolean;
  sack: boolean;
  congestionControl: CongestionControlName;
  delayedAckMs: number;
  initialRtoMs: number;
  minRtoMs: number;
  maxRtoMs: number;
  maxRetransmissions: number;
  synRetries: number;
  userTimeoutMs: number;
  keepAlive: { idleMs: number; intervalMs: number; count: number } | undefined;
  timeWaitMs: number;
  finWait2TimeoutMs: number;
  maxTimeWait: number;
  backlog: number;
  maxReassemblyRanges: number;
  challengeAckLimit: number;
}

function positive(name: string, value: number | undefined, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < min || value > max) throw new RangeError(`tcp: option ${name} must be a number from ${min} to ${max}, got ${String(value)}`);
  return value;
}

export function resolveKeepAlive(keepAlive: boolean | KeepAliveOptions | undefined): ResolvedOptions["keepAlive"] {
  if (keepAlive === undefined || keepAlive === false) return undefined;
  const k = keepAlive === true ? {} : keepAlive;
  return { idleMs: positive("keepAlive.idleMs", k.idleMs, 7_200_000), intervalMs: positive("keepAlive.intervalMs", k.intervalMs, 75_000), count: positive("keepAlive.count", k.count, 9) };
}

export function resolveOptions(options: TcpOptions = {}): ResolvedOptions {
  const congestionControl = options.congestionControl ?? "cubic";
  if (congestionControl !== "cubic" && congestionControl !== "newreno") throw new RangeError(`tcp: congestionControl must be "cubic" or "newreno", got ${String(congestionControl)}`);
  return {
    // RFC 7323 §2.3: windows up to 2^30 bytes.
    receiveBuffer: Math.floor(positive("receiveBuffer", options.receiveBuffer, 1024 * 1024, 1, 1 << 30)),
    sendBuffer: Math.floor(positive("sendBuffer", options.sendBuffer, 1024 * 1024)),
    mss: Math.floor(positive("mss", options.mss, 65495, 64, 65495)),
    noDelay: options.noDelay ?? false,
    sack: options.sack ?? true,
    congestionControl,
    delayedAckMs: positive("delayedAckMs", options.delayedAckMs, 40, 0, 500),
    initialRtoMs: positive("initialRtoMs", options.initialRtoMs, 1000),
    minRtoMs: positive("minRtoMs", options.minRtoMs, 200),
    maxRtoMs: positive("maxRtoMs", options.maxRtoMs, 60_000),
    maxRetransmissions: Math.floor(positive("maxRetransmissions", options.maxRetransmissions, 12)),
    synRetries: Math.floor(positive("synRetries", options.synRetries, 6)),
    userTimeoutMs: positive("userTimeoutMs", options.userTimeoutMs, Infinity),
    keepAlive: resolveKeepAlive(options.keepAlive),
    timeWaitMs: positive("timeWaitMs", options.timeWaitMs, 30_000, 0),
    finWait2TimeoutMs: positive("finWait2TimeoutMs", options.finWait2TimeoutMs, 60_000),
    maxTimeWait: Math.floor(positive("maxTimeWait", options.maxTimeWait, 4096, 0)),
    backlog: Math.floor(positive("backlog", options.backlog, 128)),
    maxReassemblyRanges: Math.floor(positive("maxReassemblyRanges", options.maxReassemblyRanges, 64)),
    challengeAckLimit: Math.floor(positive("challengeAckLimit", options.challengeAckLimit, 10, 0)),
  };
}
