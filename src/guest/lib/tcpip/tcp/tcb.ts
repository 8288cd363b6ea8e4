/**
 * @module tcpip/tcp/tcb
 * One connection's data: the transmission control block (RFC 9293 §3.3.1, §3.3.2) and the
 * interfaces of those it talks to (the transport that owns it, the socket that uses it, the
 * listener that accepted it). Clock-free and passive: the block holds state and buffers; what acts
 * on it are functions of the protocol modules beside it, each over the `Tcb` (as Linux's
 * tcp_input.c, tcp_output.c and tcp_timer.c work on one `struct tcp_sock`), and this module
 * imports none of them, so the arrows run one way (protocol → block):
 * - `control.ts`: the calls of the application (send room, read, keep-alive) and of the transport
 *   (input, output, poll, ICMP errors): the one entry the sockets and the transport use;
 * - `open.ts`: active and passive opens, and the SYN options (MSS, window scale, SACK);
 * - `input.ts`: "SEGMENT ARRIVES" (RFC 9293 §3.10.7): the handshake, acceptability, RFC 5961's
 *   blind-attack checks, the state transitions;
 * - `receive.ts`: the segment text and FIN: in-order data, reassembly, delayed ACKs;
 * - `ack.ts`: the ACK field: RFC 6298 timing, fast retransmit and recovery (NewReno, SACK);
 * - `output.ts`: what to send now: Nagle, silly-window avoidance, the congestion window;
 * - `emit.ts`: one segment: the advertised window, SACK blocks, Karn's timing, challenge ACKs;
 * - `timers.ts`: `poll` and `deadline`: retransmission, persist, keep-alive, TIME-WAIT;
 * - `close.ts`: CLOSE, ABORT, TIME-WAIT and CLOSED.
 *
 * Output goes through the host's `emit` (which fills the IP layer's buffer in place, payload
 * copied straight from the send buffer). Input never throws: a segment the connection cannot use
 * is dropped and counted. So that the protocol modules can share it, the state is in plain fields
 * rather than `#private` ones. A `Tcb` never leaves `tcp/`: `index.ts` does not export it and
 * sockets and listeners hold it privately. Fields marked "internal" belong to the protocol
 * modules; the transport and sockets use only `control.ts` and the fields without that mark.
 */

import type { CongestionController } from "./congestion.ts";
import { Cubic } from "./cubic.ts";
import { NewReno } from "./newreno.ts";
import type { ResolvedOptions } from "./options.ts";
import { Reassembly } from "./reassembly.ts";
import { ReceiveBuffer } from "./receive-buffer.ts";
import { RttEstimator } from "./rto.ts";
import { Scoreboard } from "./scoreboard.ts";
import { SendBuffer } from "./send-buffer.ts";
import { seqAdd } from "./seq.ts";
import { State } from "./state.ts";
import type { TcpStats } from "./stats.ts";

/** RFC 9293 §3.7.1 / RFC 1122 §4.2.2.6: the send MSS when the peer sends no MSS option. */
export const DEFAULT_MSS = 536;
/** RFC 7323 §2.3. */
const MAX_SHIFT = 14;

/** What a connection needs from the transport that owns it. */
export interface TcbHost {
  readonly options: ResolvedOptions;
  readonly stats: TcpStats;
  /**
   * Sends one segment of `tcb`: `length` bytes of payload copied from its send buffer at `from`
   * (bytes past the buffer's start). `synOptions` adds MSS and window scale (SYN and SYN-ACK only).
   */
  emit(tcb: Tcb, seq: number, ack: number, flags: number, window: number, synOptions: boolean, from: number, length: number): void;
  /** The connection reached CLOSED: forget it. */
  release(tcb: Tcb): void;
  /** The connection is about to enter TIME-WAIT: false when too many are there already (it closes at once). */
  enterTimeWait(tcb: Tcb): boolean;
  /** The connection has something for its socket (data, end of stream): deliver at the next poll. */
  notify(tcb: Tcb): void;
}

/** What a connection tells the socket that uses it. */
export interface TcbUser {
  onEstablished(): void;
  /** Bytes or the end of the peer's stream can be read. */
  onReadable(): void;
  /** Bytes were acknowledged: the send buffer has room. */
  onWritable(): void;
  /** The connection is gone (an error) or both sides are done (undefined). */
  onClosed(error: Error | undefined): void;
}

/** What a passively opened connection tells its listener. */
export interface TcbListener {
  onEstablished(tcb: Tcb): void;
  onAbandoned(tcb: Tcb): void;
}

export class Tcb {
  state: State = State.CLOSED;
  readonly localAddress: number;
  readonly localPort: number;
  readonly remoteAddress: number;
  readonly remotePort: number;
  /** The demultiplexing key within the local port (remote address and port). */
  readonly key: number;
  /** Internal: the transport, its options and counters. */
  readonly host: TcbHost;
  readonly options: ResolvedOptions;
  readonly stats: TcpStats;
  user: TcbUser | undefined;
  listener: TcbListener | undefined;
  /** Queued with the transport for delivery to the socket / for a poll (the transport's flags). */
  notified = false;
  touched = false;
  /** It left through TIME-WAIT (for the transport's count). */
  wasTimeWait = false;

  // Send sequence space (RFC 9293 §3.3.1).
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** The highest sequence number sent plus one (SND.NXT goes back on a timeout; this does not). */
  sndMax = 0;
  /** Internal: the end of the zero-window probe byte out beyond `sndMax`, or -1. */
  probeEnd = -1;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** RFC 5961 §5.2: the largest window the peer has offered. */
  maxSndWnd = 0;
  /** The peer's window scale, applied to the windows it sends. */
  sndShift = 0;
  sndMss = DEFAULT_MSS;

  // Receive sequence space.
  irs = 0;
  rcvNxt = 0;
  /** The right edge of the window we last advertised (never moved left, RFC 9293 §3.8.6). */
  rcvAdv = 0;
  /** Internal: RCV.NXT when we last sent a segment (Linux's rcv_wup). */
  rcvWup = 0;
  /** Our window scale, applied to the windows we send. */
  rcvShift = 0;
  /** The MSS we advertised. */
  rcvMss: number;
  /** Whether our SYN carries the window-scale option (always on an active open; on a passive one only if the peer's did, RFC 7323 §2.2). */
  offerWindowScale = true;
  /** Whether our SYN carries SACK-permitted (on a passive open only if the peer's did). */
  offerSackPermitted: boolean;
  /** Both sides sent SACK-permitted: our ACKs carry SACK blocks for the out-of-order data we hold (RFC 2018). */
  sackOk = false;
  /** The SACK blocks of the segment being emitted (read by the transport), and how many. */
  readonly sackBlocks: number[] = [];
  sackCount = 0;
  /** Internal: where the latest out-of-order segment began: its range is reported first (RFC 2018 §4). */
  latestOutOfOrder = 0;

  readonly sendBuffer = new SendBuffer();
  /** The sequence number of the send buffer's first byte. */
  bufferSeq = 0;
  /** The application has shut down its sending side: a FIN follows the buffered data. */
  finQueued = false;
  finAcked = false;
  readonly receiveBuffer = new ReceiveBuffer();
  readonly reassembly: Reassembly;
  /** The peer's FIN arrived (in order): end of stream after the buffered bytes. */
  eof = false;
  /** Internal: a FIN that arrived beyond a gap, as its sequence number; -1 if none. */
  pendingFin = -1;
  /** The application closed the socket: nothing will read what arrives (Linux's orphan). */
  orphan = false;
  /** Opened by `connect` (errors say ECONNREFUSED rather than a silent return to LISTEN). */
  active = false;

  readonly rtt: RttEstimator;
  readonly cc: CongestionController;
  noDelay: boolean;
  keepAlive: ResolvedOptions["keepAlive"];

  // Timers: absolute times in ms, Infinity when off.
  rtoAt = Infinity;
  persistAt = Infinity;
  delayedAckAt = Infinity;
  keepAliveAt = Infinity;
  /** TIME-WAIT's end, or an orphaned FIN-WAIT-2's. */
  closeAt = Infinity;

  /** Consecutive expiries of the retransmission timer. */
  retries = 0;
  // Internal, the timers': when the current run of retransmissions began (-1: none), the persist
  // backoff, keep-alive probes unanswered.
  retransmitSince = -1;
  persistBackoff = 0;
  keepAliveProbes = 0;
  /** Internal: the segment being timed (RFC 6298 §3: one at a time): its end, and when it was sent (-1: none). */
  rttSeq = 0;
  rttAt = -1;
  dupAcks = 0;
  inRecovery = false;
  /** Internal: partial ACKs in this NewReno recovery. */
  partialAcks = 0;
  /** Internal: what the peer's SACK blocks say it holds beyond SND.UNA (used only when `sackOk`). */
  readonly scoreboard = new Scoreboard();
  /** Internal: this recovery is SACK-based (RFC 6675) rather than NewReno's. */
  sackRecovery = false;
  /** Internal: in SACK recovery, the holes below this were retransmitted. */
  rexmitHigh = 0;
  /** Internal: scratch for the scoreboard's next hole. */
  readonly hole: [number, number] = [0, 0];
  /**
   * RFC 6582 §3.2: one past the highest sequence number sent when recovery (or a timeout) began; an
   * ACK reaching it is a full acknowledgment, and duplicate ACKs below it start no new recovery.
   */
  recover = 0;
  /** An ACK must go out at the next output. */
  ackNow = false;
  /** Internal: bytes received in order since the last ACK we sent. */
  unackedBytes = 0;
  // Internal, RFC 5961 §7: challenge ACKs sent in the current one-second window.
  challengeWindow = -Infinity;
  challengeCount = 0;
  /** An ICMP soft error (RFC 1122 §4.2.3.9), reported if the connection then times out. */
  softError: string | undefined;

  constructor(host: TcbHost, localAddress: number, localPort: number, remoteAddress: number, remotePort: number, rcvMss: number) {
    this.host = host;
    this.options = host.options;
    this.stats = host.stats;
    this.localAddress = localAddress;
    this.localPort = localPort;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.key = remoteAddress * 65536 + remotePort;
    this.rcvMss = rcvMss;
    const options = this.options;
    this.reassembly = new Reassembly(options.maxReassemblyRanges);
    this.rtt = new RttEstimator({ initialMs: options.initialRtoMs, minMs: options.minRtoMs, maxMs: options.maxRtoMs });
    this.cc = options.congestionControl === "newreno" ? new NewReno(DEFAULT_MSS) : new Cubic(DEFAULT_MSS);
    this.noDelay = options.noDelay;
    this.keepAlive = options.keepAlive;
    this.offerSackPermitted = options.sack;
    // RFC 7323 §2.3: the smallest shift that lets the window field carry the whole buffer.
    let shift = 0;
    while (shift < MAX_SHIFT && options.receiveBuffer >>> shift > 0xffff) shift++;
    this.rcvShift = shift;
  }

  // ——— The buffers, as the application sees them ———

  /** Room left in the send buffer. */
  get sendSpace(): number {
    return this.options.sendBuffer - this.sendBuffer.length;
  }

  /** Queues bytes (kept: pass a copy). */
  send(bytes: Uint8Array): void {
    this.sendBuffer.push(bytes);
  }

  /** The sequence number of our FIN (valid once `finQueued`). */
  get finSeq(): number {
    return seqAdd(this.bufferSeq, this.sendBuffer.length);
  }
}
