/**
 * @module tcpip/tcp/tcb
 * One connection's state machine (RFC 9293 §3.3.2, §3.10): the transmission control block, the
 * "SEGMENT ARRIVES" processing, what to send, and its timers. Clock-free: every entry point takes
 * `now` (ms), output goes through the host's `emit` (which fills the IP layer's buffer in place,
 * payload copied straight from the send buffer), and `poll` returns the next time the connection
 * must run. It never throws on input: a segment it cannot use is dropped and counted.
 *
 * What it implements, with the decision points cited inline: the handshake (with simultaneous
 * open), MSS and window-scale options (RFC 7323), segment acceptability and trimming, RFC 5961's
 * blind-attack defences (RST and SYN → challenge ACK, ACK acceptability, a per-connection
 * challenge-ACK rate limit), RFC 6298 retransmission with Karn's algorithm, fast retransmit and
 * fast recovery (RFC 5681 §3.2, NewReno RFC 6582) around a pluggable congestion controller,
 * SACK (RFC 2018: blocks in our ACKs for the out-of-order data we hold; the peer's blocks drive a
 * simplified RFC 6675 recovery), out-of-order reassembly, delayed ACKs (RFC 1122 §4.2.3.2, RFC 5681 §4.2), Nagle (RFC 1122
 * §4.2.3.4), sender and receiver silly-window avoidance (RFC 9293 §3.8.6.2), zero-window probing
 * (RFC 9293 §3.8.6.1), keep-alive (RFC 1122 §4.2.3.6), TIME-WAIT, and the orderly and abortive
 * closes.
 */

import { ACK, FIN, MAX_SACK_BLOCKS, PSH, RST, SYN, type TcpRepr } from "../wire/tcp.ts";
import type { CongestionController } from "./congestion.ts";
import { Cubic } from "./cubic.ts";
import { systemError } from "./errors.ts";
import { NewReno } from "./newreno.ts";
import type { ResolvedOptions } from "./options.ts";
import { Reassembly } from "./reassembly.ts";
import { ReceiveBuffer } from "./receive-buffer.ts";
import { RttEstimator } from "./rto.ts";
import { Scoreboard } from "./scoreboard.ts";
import { SendBuffer } from "./send-buffer.ts";
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt, seqMax } from "./seq.ts";
import { State, acceptsData, canSendData } from "./state.ts";
import type { TcpStats } from "./stats.ts";

/** RFC 9293 §3.7.1 / RFC 1122 §4.2.2.6: the send MSS when the peer sends no MSS option. */
const DEFAULT_MSS = 536;
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
  readonly #host: TcbHost;
  readonly #options: ResolvedOptions;
  readonly #stats: TcpStats;
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
  /** The end of the zero-window probe byte out beyond `sndMax`, or -1. */
  #probeEnd = -1;
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
  /** RCV.NXT when we last sent a segment (Linux's rcv_wup). */
  #rcvWup = 0;
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
  /** Where the latest out-of-order segment began: its range is reported first (RFC 2018 §4). */
  #latestOutOfOrder = 0;

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
  /** A FIN that arrived beyond a gap, as its sequence number; -1 if none. */
  #pendingFin = -1;
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
  #retransmitSince = -1;
  #persistBackoff = 0;
  #keepAliveProbes = 0;
  /** The segment being timed (RFC 6298 §3: one at a time): its end, and when it was sent (-1: none). */
  #rttSeq = 0;
  #rttAt = -1;
  dupAcks = 0;
  inRecovery = false;
  #partialAcks = 0;
  /** What the peer's SACK blocks say it holds beyond SND.UNA (used only when `sackOk`). */
  readonly #scoreboard = new Scoreboard();
  /** This recovery is SACK-based (RFC 6675) rather than NewReno's. */
  #sackRecovery = false;
  /** In SACK recovery: the holes below this were retransmitted. */
  #rexmitHigh = 0;
  readonly #hole: [number, number] = [0, 0];
  /**
   * RFC 6582 §3.2: one past the highest sequence number sent when recovery (or a timeout) began; an
   * ACK reaching it is a full acknowledgment, and duplicate ACKs below it start no new recovery.
   */
  recover = 0;
  /** An ACK must go out at the next output. */
  ackNow = false;
  /** Bytes received in order since the last ACK we sent. */
  #unackedBytes = 0;
  // RFC 5961 §7: challenge ACKs sent in the current one-second window.
  #challengeWindow = -Infinity;
  #challengeCount = 0;
  /** An ICMP soft error (RFC 1122 §4.2.3.9), reported if the connection then times out. */
  softError: string | undefined;

  constructor(host: TcbHost, localAddress: number, localPort: number, remoteAddress: number, remotePort: number, rcvMss: number) {
    this.#host = host;
    this.#options = host.options;
    this.#stats = host.stats;
    this.localAddress = localAddress;
    this.localPort = localPort;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.key = remoteAddress * 65536 + remotePort;
    this.rcvMss = rcvMss;
    const options = this.#options;
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

  // ——— Opening ———

  /** An active open (RFC 9293 §3.10.1): SYN-SENT; the SYN goes out at the next output. */
  openActive(iss: number): void {
    this.active = true;
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.bufferSeq = seqAdd(iss, 1);
    this.recover = iss;
    this.state = State.SYN_SENT;
    this.#stats.activeOpens++;
  }

  /** A SYN arrived at a listener (RFC 9293 §3.10.7.2): SYN-RECEIVED; the SYN-ACK goes out at the next output. */
  openPassive(now: number, segment: TcpRepr, iss: number): void {
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.bufferSeq = seqAdd(iss, 1);
    this.recover = iss;
    this.irs = segment.seq;
    this.rcvNxt = seqAdd(segment.seq, 1);
    this.rcvAdv = this.rcvNxt;
    this.#rcvWup = this.rcvNxt;
    this.#negotiate(segment);
    // RFC 7323 §2.2: the window of a SYN is never scaled.
    this.sndWnd = segment.window;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = segment.seq;
    this.sndWl2 = segment.ack;
    this.state = State.SYN_RECEIVED;
    this.#stats.passiveOpens++;
    this.#resetKeepAlive(now);
  }

  /** Takes the peer's SYN options: MSS (RFC 9293 §3.7.1, RFC 6691) and window scale (RFC 7323 §2.2). */
  #negotiate(segment: TcpRepr): void {
    const mss = segment.mss > 0 ? segment.mss : DEFAULT_MSS;
    this.sndMss = Math.max(64, Math.min(mss, this.rcvMss));
    if (segment.windowScale >= 0) {
      this.sndShift = segment.windowScale;
    } else {
      // RFC 7323 §2.2: both must send the option for either to scale.
      this.sndShift = 0;
      this.rcvShift = 0;
      this.offerWindowScale = false;
    }
    // RFC 2018 §2: SACK blocks only to a peer that sent SACK-permitted, and only if we did (or, on a
    // passive open, will).
    this.sackOk = this.#options.sack && segment.sackPermitted;
    if (!this.sackOk) this.offerSackPermitted = false;
    this.cc.setMss(this.sndMss);
  }

  // ——— The application's side ———

  /** Room left in the send buffer. */
  get sendSpace(): number {
    return this.#options.sendBuffer - this.sendBuffer.length;
  }

  /** Queues bytes (kept: pass a copy). */
  send(bytes: Uint8Array): void {
    this.sendBuffer.push(bytes);
  }

  /** The application is done sending (RFC 9293 §3.10.4 CLOSE): a FIN follows the buffered data. */
  shutdown(): void {
    if (this.finQueued) return;
    switch (this.state) {
      case State.SYN_SENT:
        // RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB.
        this.#finish(undefined);
        return;
      case State.SYN_RECEIVED:
      case State.ESTABLISHED:
        this.finQueued = true;
        // RFC 9293 §3.10.4: in SYN-RECEIVED the FIN waits for the handshake; the state moves on then.
        if (this.state === State.ESTABLISHED) this.state = State.FIN_WAIT_1;
        return;
      case State.CLOSE_WAIT:
        this.finQueued = true;
        this.state = State.LAST_ACK;
        return;
      default:
        return;
    }
  }

  /** The sequence number of our FIN (valid once `finQueued`). */
  get finSeq(): number {
    return seqAdd(this.bufferSeq, this.sendBuffer.length);
  }

  /**
   * The application closed the socket. Unread or arriving data makes it a reset (RFC 2525 §2.17,
   * as Linux does); otherwise the buffered data and a FIN still go out and the connection finishes
   * on its own.
   */
  close(now: number): void {
    this.orphan = true;
    this.user = undefined;
    if (this.state === State.CLOSED || this.state === State.TIME_WAIT) return;
    if (this.receiveBuffer.buffered > 0 || !this.reassembly.empty) {
      this.abort(now, undefined);
      return;
    }
    this.shutdown();
    if (this.state === State.FIN_WAIT_2) this.closeAt = now + this.#options.finWait2TimeoutMs;
  }

  /** RFC 9293 §3.10.5 ABORT: a RST to the peer when synchronized, then CLOSED with `error`. */
  abort(_now: number, error: Error | undefined): void {
    if (this.state === State.CLOSED) return;
    if (this.state !== State.SYN_SENT && this.state !== State.TIME_WAIT) {
      this.sackCount = 0;
      this.#host.emit(this, this.#ackSeq, this.rcvNxt, RST | ACK, 0, false, 0, 0);
      this.#stats.resetsSent++;
    }
    this.#finish(error);
  }

  /** The application read bytes: the window may open enough to tell the peer (RFC 9293 §3.8.6.2.2). */
  onRead(): boolean {
    if (this.state === State.CLOSED || this.state === State.TIME_WAIT) return false;
    const available = this.#options.receiveBuffer - this.receiveBuffer.buffered;
    const advertised = seqDiff(this.rcvAdv, this.rcvNxt);
    if (available - advertised >= Math.min(this.#options.receiveBuffer / 2, 2 * this.rcvMss)) {
      this.ackNow = true;
      return true;
    }
    return false;
  }

  // ——— Segments arriving (RFC 9293 §3.10.7) ———

  input(now: number, segment: TcpRepr): void {
    if (this.state === State.SYN_SENT) this.#inputSynSent(now, segment);
    else if (this.state !== State.CLOSED) this.#inputSynchronized(now, segment);
    if (this.state !== State.CLOSED) this.output(now);
  }

  /** RFC 9293 §3.10.7.3. */
  #inputSynSent(now: number, segment: TcpRepr): void {
    const flags = segment.flags;
    const stats = this.#stats;
    if (flags & ACK && (seqLe(segment.ack, this.iss) || seqGt(segment.ack, this.sndMax))) {
      // An unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>, unless it is a RST itself.
      stats.drops.badAck++;
      if (!(flags & RST)) this.#sendReset(segment.ack);
      return;
    }
    if (flags & RST) {
      // RFC 5961 §3.2 for SYN-SENT: a RST counts only if it acknowledges our SYN.
      if (flags & ACK) {
        stats.resetsReceived++;
        this.#finish(systemError("ECONNREFUSED", "connect"));
      } else {
        stats.drops.badRst++;
      }
      return;
    }
    if (!(flags & SYN)) {
      stats.drops.unexpected++;
      return;
    }
    this.irs = segment.seq;
    this.rcvNxt = seqAdd(segment.seq, 1);
    this.rcvAdv = this.rcvNxt;
    this.#rcvWup = this.rcvNxt;
    this.#negotiate(segment);
    this.sndWnd = segment.window; // RFC 7323 §2.2: unscaled in a SYN.
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = segment.seq;
    this.sndWl2 = segment.ack;
    this.#resetKeepAlive(now);
    if (flags & ACK) {
      this.sndUna = segment.ack;
      if (this.#rttAt >= 0 && this.retries === 0) this.rtt.sample(now - this.#rttAt);
      this.#rttAt = -1;
      this.rtt.acknowledged();
      this.retries = 0;
      this.rtoAt = Infinity;
      this.state = State.ESTABLISHED;
      this.ackNow = true;
      this.user?.onEstablished();
      // Data carried by the SYN-ACK (rare) is taken as in ESTABLISHED.
      if (segment.payload.length > 0) this.#receiveData(now, this.rcvNxt, segment.payload);
      if (flags & FIN) this.#receiveFin(now);
    } else {
      // Simultaneous open: SYN-RECEIVED, and <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> goes out.
      this.state = State.SYN_RECEIVED;
      this.sndNxt = this.iss;
      this.rtoAt = Infinity;
    }
  }

  /** Whether the segment is acceptable (RFC 9293 §3.10.7.4, first check, the four cases). */
  #acceptable(seq: number, length: number): boolean {
    const window = Math.max(0, seqDiff(this.rcvAdv, this.rcvNxt));
    const rcvNxt = this.rcvNxt;
    // A segment without data: RFC 9293's test is RCV.NXT ≤ SEG.SEQ < RCV.NXT+RCV.WND. Like Linux
    // (tcp_sequence), we also take the right edge itself and anything from the RCV.NXT of our last
    // ACK on: a peer's ACK sent before ours arrived, or from a peer whose window we filled exactly,
    // is still its news about our data, and dropping it can deadlock two senders that both went back.
    if (length === 0) return seqGe(seq, this.#rcvWup) && seqLe(seq, seqAdd(rcvNxt, window));
    if (window === 0) return false;
    const end = seqAdd(rcvNxt, window);
    return seqInRange(seq, rcvNxt, end) || seqInRange(seqAdd(seq, length - 1), rcvNxt, end);
  }

  /** RFC 9293 §3.10.7.4, for SYN-RECEIVED and the synchronized states. */
  #inputSynchronized(now: number, segment: TcpRepr): void {
    const flags = segment.flags;
    const seq = segment.seq;
    const stats = this.#stats;
    const state = this.state;

    if (state === State.SYN_RECEIVED && flags & SYN && seq === this.irs) {
      if (!(flags & ACK)) {
        // The peer's SYN again: our SYN-ACK was lost. Send it again now.
        this.sndNxt = this.iss;
        return;
      }
      if (this.active && seqGt(segment.ack, this.sndUna) && seqLe(segment.ack, this.sndMax)) {
        // Simultaneous open (RFC 9293 §3.5, figure 8, line 5): the peer's SYN-ACK acknowledges our
        // SYN: ESTABLISHED, and an ACK answers it.
        this.#completeHandshake(segment);
        this.#processAck(now, segment);
        this.ackNow = true;
        return;
      }
    }

    // RFC 5961 §4.2: a SYN in a synchronized state (or SYN-RECEIVED), whatever its sequence
    // number, gets a challenge ACK and is dropped, so that a blind SYN cannot reset us.
    if (flags & SYN) {
      this.#challengeAck(now);
      return;
    }

    if (flags & RST) {
      // RFC 1337 §3: ignore RSTs in TIME-WAIT (TIME-WAIT assassination).
      if (state === State.TIME_WAIT) {
        stats.drops.badRst++;
        return;
      }
      // RFC 5961 §3.2: only a RST exactly at RCV.NXT resets; one elsewhere in the window gets a
      // challenge ACK; one outside is dropped.
      if (seq === this.rcvNxt) {
        stats.resetsReceived++;
        if (state === State.SYN_RECEIVED && !this.active) this.#finish(undefined); // back to LISTEN: the listener forgets it
        else if (state === State.SYN_RECEIVED) this.#finish(systemError("ECONNREFUSED", "connect"));
        else if (state === State.CLOSING || state === State.LAST_ACK) this.#finish(undefined);
        else this.#finish(systemError("ECONNRESET", "read"));
        return;
      }
      const window = Math.max(1, seqDiff(this.rcvAdv, this.rcvNxt));
      if (seqInRange(seq, this.rcvNxt, seqAdd(this.rcvNxt, window))) this.#challengeAck(now);
      else stats.drops.badRst++;
      return;
    }

    const payload = segment.payload;
    const length = payload.length + (flags & FIN ? 1 : 0);
    if (!this.#acceptable(seq, length)) {
      // RFC 9293 §3.10.7.4: "If RCV.WND is zero, no segments will be acceptable, but special
      // allowance should be made to accept valid ACKs": a zero-window probe's ACK is processed.
      const zeroWindowProbe = seqDiff(this.rcvAdv, this.rcvNxt) <= 0 && seq === this.rcvNxt && flags & ACK;
      stats.drops.outOfWindow++;
      if (zeroWindowProbe && this.state !== State.SYN_RECEIVED) this.#processAck(now, segment);
      if (state === State.TIME_WAIT && flags & FIN) this.closeAt = now + this.#options.timeWaitMs; // a FIN again: restart 2·MSL
      // "…an acknowledgment should be sent in reply": always for data (a retransmission we already
      // have), rate-limited for bare ACKs so that two stacks cannot ACK each other forever.
      if (length > 0) this.ackNow = true;
      else this.#challengeAck(now, false);
      return;
    }
    this.#resetKeepAlive(now);

    // RFC 9293 §3.10.7.4, fifth check: the ACK field.
    if (!(flags & ACK)) {
      stats.drops.noAck++;
      return;
    }
    if (state === State.SYN_RECEIVED) {
      if (!(seqGt(segment.ack, this.sndUna) && seqLe(segment.ack, this.sndMax))) {
        stats.drops.badAck++;
        this.#sendReset(segment.ack);
        return;
      }
      this.#completeHandshake(segment);
    }
    if (!this.#processAck(now, segment)) return;
    if (this.state === State.CLOSED) return;

    switch (this.state) {
      case State.FIN_WAIT_1:
        if (this.finAcked) {
          this.state = State.FIN_WAIT_2;
          if (this.orphan) this.closeAt = now + this.#options.finWait2TimeoutMs;
        }
        break;
      case State.CLOSING:
        if (this.finAcked) this.#enterTimeWait(now);
        break;
      case State.LAST_ACK:
        if (this.finAcked) {
          this.#finish(undefined);
          return;
        }
        break;
    }

    // Seventh check: the segment text.
    if (payload.length > 0) {
      if (!acceptsData(this.state)) {
        stats.drops.unexpected++;
      } else if (this.orphan) {
        // Nobody will read it: reset (RFC 2525 §2.17; Linux does the same after close()).
        this.abort(now, undefined);
        return;
      } else {
        this.#receiveData(now, seq, payload);
      }
    }

    // Eighth check: FIN.
    if (flags & FIN) {
      const finSeq = seqAdd(seq, payload.length);
      if (finSeq === this.rcvNxt) this.#receiveFin(now);
      else if (seqGt(finSeq, this.rcvNxt) && seqLt(finSeq, seqAdd(this.rcvAdv, 1))) this.#pendingFin = finSeq;
    }
  }

  /** SYN-RECEIVED → ESTABLISHED (or FIN-WAIT-1 when the application already closed). */
  #completeHandshake(segment: TcpRepr): void {
    this.state = this.finQueued ? State.FIN_WAIT_1 : State.ESTABLISHED;
    this.sndWnd = (segment.flags & SYN ? segment.window : segment.window << this.sndShift);
    this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
    this.sndWl1 = segment.seq;
    this.sndWl2 = segment.ack;
    if (this.listener) this.listener.onEstablished(this);
    else this.user?.onEstablished();
  }

  /** RFC 9293 §3.10.7.4 fifth check and RFC 5961 §5.2; RFC 5681 / RFC 6582 loss detection. Returns false to drop the segment. */
  #processAck(now: number, segment: TcpRepr): boolean {
    const ack = segment.ack;
    const stats = this.#stats;
    if (seqGt(ack, this.sndMax)) {
      if (this.#probeEnd >= 0 && seqGt(this.#probeEnd, this.sndMax) && seqLe(ack, this.#probeEnd)) {
        // The peer took our zero-window probe byte: it is sent data now.
        this.sndMax = ack;
        this.#probeEnd = -1;
      } else {
        // It acknowledges data never sent: ACK back, drop.
        stats.drops.badAck++;
        this.#challengeAck(now);
        return false;
      }
    }
    // RFC 5961 §5.2: acceptable only if SND.UNA − MAX.SND.WND ≤ SEG.ACK.
    if (seqLt(ack, seqAdd(this.sndUna, -Math.max(this.maxSndWnd, 1)))) {
      stats.drops.badAck++;
      this.#challengeAck(now);
      return false;
    }
    const window = segment.window << this.sndShift;
    const flight = seqDiff(this.sndMax, this.sndUna);
    if (this.sackOk && segment.sackCount > 0) this.#scoreboard.add(segment.sackBlocks, segment.sackCount, seqMax(ack, this.sndUna), this.sndMax);
    if (seqGt(ack, this.sndUna)) {
      const acked = seqDiff(ack, this.sndUna);
      if (seqGt(ack, this.bufferSeq)) {
        const n = Math.min(seqDiff(ack, this.bufferSeq), this.sendBuffer.length);
        this.sendBuffer.shift(n);
        this.bufferSeq = seqAdd(this.bufferSeq, n);
      }
      if (this.finQueued && seqGt(ack, this.finSeq)) this.finAcked = true;
      // RFC 6298 §3 (Karn): the timed segment was never retransmitted, or timing was cancelled.
      if (this.#rttAt >= 0 && seqGe(ack, this.#rttSeq)) {
        this.rtt.sample(now - this.#rttAt);
        this.#rttAt = -1;
      }
      this.rtt.acknowledged();
      this.retries = 0;
      this.#retransmitSince = -1;
      if (this.#probeEnd >= 0 && seqLe(this.#probeEnd, ack)) this.#probeEnd = -1;
      this.sndUna = ack;
      if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
      this.#scoreboard.prune(ack);
      this.dupAcks = 0;
      // RFC 6298 §5.2, §5.3: stop the timer when all is acknowledged, else restart it.
      // (A zero-window probe byte beyond SND.NXT is the persist timer's, not this one's.)
      let restartTimer = true;
      if (this.inRecovery) {
        if (seqGe(ack, this.recover)) {
          // RFC 6582 §3.2 step 3: a full acknowledgment ends recovery.
          this.inRecovery = false;
          this.cc.onRecoveryEnd(now, seqDiff(this.sndMax, ack));
        } else if (this.#sackRecovery) {
          // RFC 6675 §5: a partial ACK in SACK recovery: the holes the scoreboard shows are sent by
          // the output, as the pipe allows; the timer restarts as for any new acknowledgment.
          if (seqLt(this.#rexmitHigh, ack)) this.#rexmitHigh = ack;
        } else {
          // Step 5: a partial acknowledgment: the next hole is lost too; resend it now. Only the
          // first one restarts the timer (the "Impatient" variant, RFC 6582 §4): with many holes
          // and no SACK, a timeout and go-back-N repair them faster than one per round trip.
          this.cc.onPartialAck(acked);
          restartTimer = this.#partialAcks++ === 0;
          const due = this.rtoAt;
          this.#retransmitFirst(now);
          if (!restartTimer) this.rtoAt = due;
        }
      } else if (2 * flight >= this.cc.cwnd) {
        // The window grows only while it is used (RFC 7661 §4.3, Linux's tcp_is_cwnd_limited): an
        // application-limited sender must not build a window it never tested.
        this.cc.onAck(now, acked, this.rtt.srtt, flight);
      }
      if (this.sndNxt === this.sndUna) this.rtoAt = Infinity;
      else if (restartTimer) this.rtoAt = now + this.rtt.rto;
      this.#persistBackoff = 0;
      this.user?.onWritable();
    } else if (ack === this.sndUna && segment.payload.length === 0 && !(segment.flags & (SYN | FIN)) && window === this.sndWnd && this.sndMax !== this.sndUna) {
      // RFC 5681 §2: a duplicate ACK.
      this.dupAcks++;
      if (this.dupAcks === 3 && !this.inRecovery) {
        // RFC 6582 §3.2 step 2: only when the ACK covers more than the old `recover` (it is not an
        // echo of the flight of an earlier episode).
        if (seqGe(ack, this.recover)) this.#enterRecovery(now, flight);
      } else if (this.dupAcks > 3 && this.inRecovery && !this.#sackRecovery) {
        // RFC 5681 §3.2 step 4: each further duplicate means a segment left the network.
        this.cc.onDuplicateAck();
      }
    }
    // RFC 6675 §5: with SACK, loss is also inferred once more than (DupThresh − 1)·SMSS bytes above
    // SND.UNA are SACKed, even if the duplicate ACKs did not all qualify (their window changed).
    if (!this.inRecovery && this.sackOk && ack === this.sndUna && this.sndMax !== this.sndUna && this.#scoreboard.bytes > 2 * this.sndMss && seqGe(ack, this.recover)) this.#enterRecovery(now, flight);
    // RFC 1122 §4.2.2.17: a peer that answers with a zero window is alive: probing goes on forever.
    if (window === 0 && ack === this.sndUna) this.retries = 0;
    // RFC 9293 §3.10.7.4: update the send window from the newest segment only.
    if (seqLt(this.sndWl1, segment.seq) || (this.sndWl1 === segment.seq && seqLe(this.sndWl2, ack))) {
      this.sndWnd = window;
      this.sndWl1 = segment.seq;
      this.sndWl2 = ack;
      if (window > this.maxSndWnd) this.maxSndWnd = window;
      if (window > 0) {
        this.persistAt = Infinity;
        this.#persistBackoff = 0;
      }
    }
    return true;
  }

  /**
   * Fast retransmit and the start of fast recovery (RFC 5681 §3.2 steps 2–3, RFC 6582 §3.2): SACK
   * based (RFC 6675) when the peer reports what it holds, NewReno's otherwise.
   */
  #enterRecovery(now: number, flight: number): void {
    this.inRecovery = true;
    this.#partialAcks = 0;
    this.recover = this.sndNxt;
    this.cc.onLoss(now, flight);
    this.#stats.fastRetransmits++;
    this.#sackRecovery = this.sackOk && !this.#scoreboard.empty;
    if (this.#sackRecovery) {
      // RFC 6675 §5 step 4: the first hole goes out at once; the rest as the pipe allows.
      this.#rexmitHigh = this.sndUna;
      this.#retransmitHoles(now, true);
    } else {
      this.#retransmitFirst(now);
    }
  }

  /**
   * RFC 6675 §4 "pipe", simplified: the bytes in flight are those sent and not cumulatively
   * acknowledged, less those SACKed, less the holes below the highest SACKed byte not yet
   * retransmitted (taken as lost, as FACK does).
   */
  #pipe(): number {
    const board = this.#scoreboard;
    let pipe = seqDiff(this.sndNxt, this.sndUna) - board.bytes;
    if (!board.empty) {
      const from = seqMax(this.#rexmitHigh, this.sndUna);
      const high = board.high;
      if (seqGt(high, from)) pipe -= seqDiff(high, from) - board.sackedBetween(from, high);
    }
    return pipe;
  }

  /** RFC 6675 §5 (NextSeg rule 1): retransmits the holes the scoreboard shows while the pipe is below the window. */
  #retransmitHoles(now: number, first: boolean): void {
    const hole = this.#hole;
    const mss = this.sndMss - this.#sackSpace;
    const window = Math.floor(Math.min(this.cc.ssthresh, this.cc.cwnd));
    while (first || this.#pipe() + mss <= window) {
      first = false;
      if (!this.#scoreboard.nextHole(seqMax(this.#rexmitHigh, this.sndUna), hole)) return;
      const length = Math.min(mss, seqDiff(hole[1], hole[0]));
      this.#sendData(now, hole[0], length);
      this.#rexmitHigh = seqAdd(hole[0], length);
    }
  }

  /** In-order or out-of-order data within the window (RFC 9293 §3.10.7.4, seventh check). */
  #receiveData(now: number, seq: number, data: Uint8Array): void {
    const stats = this.#stats;
    // Trim what we already have and what lies beyond the window.
    if (seqLt(seq, this.rcvNxt)) {
      const cut = seqDiff(this.rcvNxt, seq);
      if (cut >= data.length) {
        this.ackNow = true;
        return;
      }
      data = data.subarray(cut);
      seq = this.rcvNxt;
    }
    const room = seqDiff(seqMax(this.rcvAdv, this.rcvNxt), seq);
    if (room <= 0) {
      this.ackNow = true;
      return;
    }
    if (data.length > room) data = data.subarray(0, room);
    if (seq === this.rcvNxt) {
      this.receiveBuffer.append(data);
      this.rcvNxt = seqAdd(this.rcvNxt, data.length);
      stats.bytesIn += data.length;
      if (!this.reassembly.empty) {
        // RFC 5681 §4.2: a segment that fills a gap is ACKed at once.
        const before = this.rcvNxt;
        this.rcvNxt = this.reassembly.pop(this.rcvNxt, (bytes) => this.receiveBuffer.append(bytes));
        stats.bytesIn += seqDiff(this.rcvNxt, before);
        this.ackNow = true;
      } else {
        // RFC 1122 §4.2.3.2 / RFC 5681 §4.2: ACK at least every second full-sized segment, and
        // otherwise within the delayed-ACK timeout.
        this.#unackedBytes += data.length;
        if (this.#unackedBytes >= 2 * this.rcvMss || this.#options.delayedAckMs === 0) this.ackNow = true;
        else if (this.delayedAckAt === Infinity) this.delayedAckAt = now + this.#options.delayedAckMs;
      }
      if (this.#pendingFin >= 0 && this.#pendingFin === this.rcvNxt) this.#receiveFin(now);
      this.#host.notify(this);
    } else {
      // RFC 5681 §4.2: an out-of-order segment is ACKed at once (a duplicate ACK for the sender).
      stats.outOfOrderSegments++;
      if (this.reassembly.insert(seq, data)) this.#latestOutOfOrder = seq;
      else stats.drops.reassembly++;
      this.ackNow = true;
    }
  }

  /** Our peer's FIN, in order (RFC 9293 §3.10.7.4, eighth check). */
  #receiveFin(now: number): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.#pendingFin = -1;
    this.ackNow = true;
    this.eof = true;
    this.#host.notify(this);
    switch (this.state) {
      case State.SYN_RECEIVED:
      case State.ESTABLISHED:
        this.state = State.CLOSE_WAIT;
        break;
      case State.FIN_WAIT_1:
        if (this.finAcked) this.#enterTimeWait(now);
        else this.state = State.CLOSING; // simultaneous close
        break;
      case State.FIN_WAIT_2:
        this.#enterTimeWait(now);
        break;
      case State.TIME_WAIT:
        this.closeAt = now + this.#options.timeWaitMs;
        break;
    }
  }

  #enterTimeWait(now: number): void {
    if (!this.#host.enterTimeWait(this)) {
      // Too many connections in TIME-WAIT (as Linux's tcp_max_tw_buckets): ACK the FIN and go.
      if (this.ackNow) this.#sendAck();
      this.#finish(undefined);
      return;
    }
    this.state = State.TIME_WAIT;
    this.closeAt = now + this.#options.timeWaitMs;
    this.rtoAt = Infinity;
    this.persistAt = Infinity;
    this.keepAliveAt = Infinity;
    this.sendBuffer.shift(this.sendBuffer.length);
    this.reassembly.clear();
    const user = this.user;
    if (user) {
      // Both directions are done: the socket's `closed` resolves (unread bytes stay readable).
      user.onReadable();
      user.onClosed(undefined);
    }
  }

  /** CLOSED: forget the connection and tell whoever uses it. */
  #finish(error: Error | undefined): void {
    if (this.state === State.CLOSED) return;
    const wasPassiveHalfOpen = this.state === State.SYN_RECEIVED && this.listener !== undefined;
    this.wasTimeWait = this.state === State.TIME_WAIT;
    this.state = State.CLOSED;
    this.rtoAt = this.persistAt = this.delayedAckAt = this.keepAliveAt = this.closeAt = Infinity;
    this.sendBuffer.shift(this.sendBuffer.length);
    this.reassembly.clear();
    if (error) this.receiveBuffer.clear();
    this.#host.release(this);
    if (wasPassiveHalfOpen) this.listener!.onAbandoned(this);
    const user = this.user;
    this.user = undefined;
    user?.onClosed(error);
  }

  /**
   * RFC 5961 §7: an ACK in answer to a suspicious segment, at most `challengeAckLimit` a second.
   * `challenge` false: the same limited ACK for an unacceptable bare ACK (RFC 9293 §3.10.7.4),
   * counted apart.
   */
  #challengeAck(now: number, challenge = true): void {
    if (now - this.#challengeWindow >= 1000) {
      this.#challengeWindow = now;
      this.#challengeCount = 0;
    }
    if (this.#challengeCount >= this.#options.challengeAckLimit) {
      this.#stats.challengeAcksSuppressed++;
      return;
    }
    this.#challengeCount++;
    if (challenge) this.#stats.challengeAcks++;
    else this.#stats.outOfWindowAcks++;
    this.#sendAck();
  }

  #sendReset(seq: number): void {
    this.sackCount = 0;
    this.#host.emit(this, seq, 0, RST, 0, false, 0, 0);
    this.#stats.resetsSent++;
  }

  #resetKeepAlive(now: number): void {
    this.#keepAliveProbes = 0;
    if (this.keepAlive) this.keepAliveAt = now + this.keepAlive.idleMs;
  }

  /** Turns keep-alive on or off for this connection (the socket's setKeepAlive). */
  setKeepAlive(now: number, keepAlive: ResolvedOptions["keepAlive"]): void {
    this.keepAlive = keepAlive;
    this.keepAliveAt = Infinity;
    if (keepAlive) this.#resetKeepAlive(now);
  }

  /** An ICMP error about a segment of ours (RFC 1122 §4.2.3.9, RFC 5927 §4.1: `seq` must be in flight). */
  icmpError(_now: number, hard: string | undefined, soft: string, seq: number): void {
    if (!seqInRange(seq, this.sndUna, seqAdd(this.sndMax, 1))) return;
    if (this.state === State.SYN_SENT && hard !== undefined) {
      this.#finish(systemError(hard, "connect"));
      return;
    }
    this.softError = soft;
  }

  // ——— Output ———

  /** The window to advertise, scaled for the header (RFC 9293 §3.8.6.2.2 receiver SWS avoidance); moves `rcvAdv`. */
  #window(syn: boolean): number {
    const capacity = this.#options.receiveBuffer;
    const available = Math.max(0, capacity - this.receiveBuffer.buffered);
    const current = seqDiff(this.rcvAdv, this.rcvNxt);
    let window = available;
    // Move the right edge only by a worthwhile amount: min(RCV.BUFF/2, MSS).
    if (window > current && window - current < Math.min(capacity / 2, this.rcvMss)) window = Math.max(current, 0);
    if (window < current) window = current; // never shrink (RFC 9293 §3.8.6)
    if (syn) {
      const field = Math.min(window, 0xffff);
      this.rcvAdv = seqMax(this.rcvAdv, seqAdd(this.rcvNxt, field));
      return field;
    }
    const field = Math.min(Math.floor(window / 2 ** this.rcvShift), 0xffff);
    this.rcvAdv = seqMax(this.rcvAdv, seqAdd(this.rcvNxt, field * 2 ** this.rcvShift));
    return field;
  }

  /**
   * The sequence number of a segment without data: the highest sent, SND.NXT of RFC 9293 (ours goes
   * back on a timeout; a peer would find an older one below RCV.NXT and drop the ACK). Zero-window
   * probe bytes do not count: they lie beyond the peer's window.
   */
  get #ackSeq(): number {
    return this.sndMax;
  }

  #sendAck(): void {
    this.#emit(this.#ackSeq, ACK, 0, 0);
  }

  /** The option bytes SACK blocks take in our next segment (its data must leave room, RFC 9293 §3.7.1). */
  get #sackSpace(): number {
    return this.sackOk && !this.reassembly.empty ? 4 + 8 * Math.min(this.reassembly.ranges, MAX_SACK_BLOCKS) : 0;
  }

  /** Sends one segment with the current ACK and window; an ACK goes with every segment, so none is owed afterwards. */
  #emit(seq: number, flags: number, from: number, length: number): void {
    const syn = (flags & SYN) !== 0;
    const window = this.#window(syn);
    this.sackCount = this.sackOk && !syn && flags & ACK && !this.reassembly.empty ? this.reassembly.blocks(this.sackBlocks, MAX_SACK_BLOCKS, this.#latestOutOfOrder) : 0;
    this.#host.emit(this, seq, this.rcvNxt, flags, window, syn, from, length);
    this.#rcvWup = this.rcvNxt;
    if (flags & ACK) {
      this.ackNow = false;
      this.#unackedBytes = 0;
      this.delayedAckAt = Infinity;
    }
  }

  /** Sends the data segment at `seq` (≤ `length` bytes, FIN added when it ends at our FIN). */
  #sendData(now: number, seq: number, length: number): number {
    const dataEnd = seqAdd(this.bufferSeq, this.sendBuffer.length);
    let flags = ACK;
    let end = seqAdd(seq, length);
    if (end === dataEnd && length > 0) flags |= PSH;
    if (this.finQueued && end === dataEnd) {
      flags |= FIN;
      end = seqAdd(end, 1);
    }
    if (seqLt(seq, this.sndMax)) {
      this.#stats.retransmits++;
      // Karn: a retransmission must not be timed, nor the segment timed before it.
      if (this.#rttAt >= 0) this.#rttAt = -1;
    } else if (this.#rttAt < 0) {
      this.#rttAt = now;
      this.#rttSeq = end;
    }
    this.#emit(seq, flags, seqDiff(seq, this.bufferSeq), length);
    this.#stats.bytesOut += length;
    if (seqGt(end, this.sndMax)) this.sndMax = end;
    if (this.rtoAt === Infinity) this.rtoAt = now + this.rtt.rto;
    return end;
  }

  /** Sends the first unacknowledged segment again (fast retransmit, partial ACK). */
  #retransmitFirst(now: number): void {
    const available = seqDiff(seqAdd(this.bufferSeq, this.sendBuffer.length), this.sndUna);
    // Within the peer's window (at least a byte, a probe when it is closed).
    const length = Math.max(0, Math.min(this.sndMss - this.#sackSpace, available, Math.max(this.sndWnd, 1)));
    if (length === 0 && !(this.finQueued && !this.finAcked)) return;
    const end = this.#sendData(now, this.sndUna, length);
    if (seqGt(end, this.sndNxt)) this.sndNxt = end;
    this.rtoAt = now + this.rtt.rto;
  }

  /** Sends what the state, the windows, Nagle and pending ACKs call for. */
  output(now: number): void {
    const state = this.state;
    if (state === State.SYN_SENT || state === State.SYN_RECEIVED) {
      if (this.sndNxt === this.iss) {
        const flags = state === State.SYN_SENT ? SYN : SYN | ACK;
        if (this.#rttAt < 0 && this.retries === 0) {
          this.#rttAt = now;
          this.#rttSeq = seqAdd(this.iss, 1);
        }
        this.#emit(this.iss, flags, 0, 0);
        if (this.retries > 0) this.#stats.retransmits++;
        this.sndNxt = seqAdd(this.iss, 1);
        this.sndMax = this.sndNxt;
        this.rtoAt = now + this.rtt.rto;
      } else if (this.ackNow && state === State.SYN_RECEIVED) {
        this.#emit(this.sndNxt, ACK, 0, 0);
      }
      return;
    }
    if (canSendData(state) || state === State.FIN_WAIT_1 || state === State.CLOSING || state === State.LAST_ACK) this.#outputData(now);
    if (this.ackNow && this.state !== State.CLOSED) this.#sendAck();
  }

  #outputData(now: number): void {
    const mss = this.sndMss - this.#sackSpace;
    const dataEnd = seqAdd(this.bufferSeq, this.sendBuffer.length);
    const sackRecovery = this.inRecovery && this.#sackRecovery;
    if (sackRecovery) this.#retransmitHoles(now, false);
    for (;;) {
      const sndNxt = this.sndNxt;
      const unsent = seqDiff(dataEnd, sndNxt);
      const inFlight = seqDiff(sndNxt, this.sndUna);
      // The congestion window bounds the pipe (RFC 6675 §5: cwnd = ssthresh in SACK recovery), the
      // peer's window the sequence space.
      const usable = sackRecovery
        ? Math.min(Math.floor(Math.min(this.cc.ssthresh, this.cc.cwnd)) - this.#pipe(), this.sndWnd - inFlight)
        : Math.floor(Math.min(this.sndWnd, this.cc.cwnd)) - inFlight;
      if (unsent > 0) {
        let length = Math.min(mss, unsent, usable);
        if (length <= 0) break;
        if (length < mss && length < unsent) {
          // RFC 9293 §3.8.6.2.1: a window-limited small segment waits unless it is at least half the
          // largest window the peer offered (the persist timer forces it eventually).
          if (length < this.maxSndWnd / 2) break;
        } else if (length < mss && !this.noDelay && inFlight > 0 && !this.finQueued) {
          // RFC 1122 §4.2.3.4 (Nagle): a small last segment waits while data is unacknowledged.
          break;
        }
        this.sndNxt = this.#sendData(now, sndNxt, length);
        continue;
      }
      if (this.finQueued && unsent === 0) {
        // The FIN alone (it occupies sequence space but needs no window).
        this.sndNxt = this.#sendData(now, sndNxt, 0);
      }
      break;
    }
    // RFC 9293 §3.8.6.1: data waits for a window and nothing is in flight to bring one: probe.
    if (this.sndNxt === this.sndUna && seqGt(dataEnd, this.sndNxt) && this.rtoAt === Infinity && this.persistAt === Infinity) {
      this.persistAt = now + Math.min(this.#options.maxRtoMs, this.rtt.rto * 2 ** this.#persistBackoff);
    }
  }

  // ——— Timers ———

  /** Runs what is due at `now`, then output; returns the next deadline. */
  poll(now: number): number {
    if (this.closeAt <= now) {
      this.#finish(undefined);
      return Infinity;
    }
    if (this.rtoAt <= now) this.#onRetransmitTimeout(now);
    if (this.state === State.CLOSED) return Infinity;
    if (this.persistAt <= now) this.#onPersist(now);
    if (this.keepAliveAt <= now) this.#onKeepAlive(now);
    if (this.#closed) return Infinity;
    if (this.delayedAckAt <= now) {
      this.delayedAckAt = Infinity;
      this.ackNow = true;
    }
    this.output(now);
    return this.deadline;
  }

  get #closed(): boolean {
    return this.state === State.CLOSED;
  }

  get deadline(): number {
    return Math.min(this.rtoAt, this.persistAt, this.delayedAckAt, this.keepAliveAt, this.closeAt);
  }

  #onRetransmitTimeout(now: number): void {
    this.rtoAt = Infinity;
    if (this.sndMax === this.sndUna) return;
    // Only a zero-window probe outstanding: the persist timer's business, not a loss.
    if (this.sndNxt === this.sndUna && this.sndWnd === 0 && this.state !== State.SYN_SENT && this.state !== State.SYN_RECEIVED) return;
    const stats = this.#stats;
    const options = this.#options;
    stats.timeouts++;
    this.retries++;
    this.rtt.expired();
    this.#rttAt = -1;
    if (this.state === State.SYN_SENT || this.state === State.SYN_RECEIVED) {
      if (this.retries > options.synRetries) {
        stats.timedOut++;
        if (this.state === State.SYN_RECEIVED && !this.active) this.#finish(undefined);
        else this.#finish(systemError(this.softError ?? "ETIMEDOUT", "connect"));
        return;
      }
      this.sndNxt = this.iss;
      return;
    }
    if (this.#retransmitSince < 0) this.#retransmitSince = now;
    // RFC 1122 §4.2.3.5 (R2) and RFC 9293 §3.8.3: give up after too many retransmissions or the user timeout.
    if (this.retries > options.maxRetransmissions || now - this.#retransmitSince >= options.userTimeoutMs) {
      stats.timedOut++;
      this.abort(now, systemError(this.softError ?? "ETIMEDOUT", "read"));
      return;
    }
    // RFC 5681 §3.1 / RFC 6582 §4: after a timeout, slow start from one segment; `recover` keeps
    // duplicate ACKs of the old flight from starting a fast retransmit. Not when the peer's window is
    // what holds the data back: a closed window is flow control, not congestion.
    if (this.sndWnd > seqDiff(this.sndNxt, this.sndUna) - this.sndMss) {
      this.cc.onTimeout(now, seqDiff(this.sndMax, this.sndUna));
      this.recover = this.sndNxt;
    }
    this.inRecovery = false;
    this.dupAcks = 0;
    // RFC 2018 §8 / RFC 6675 §5.1: after a timeout the receiver may have reneged: start afresh.
    this.#scoreboard.clear();
    // Go back: resend from the first unacknowledged byte.
    this.sndNxt = this.sndUna;
    if (this.state === State.TIME_WAIT || this.state === State.FIN_WAIT_2) return;
    this.#retransmitFirst(now);
  }

  /** RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: a zero-window probe, backing off; never gives up while ACKed. */
  #onPersist(now: number): void {
    this.persistAt = Infinity;
    if (!canSendData(this.state) && this.state !== State.FIN_WAIT_1 && this.state !== State.LAST_ACK && this.state !== State.CLOSING) return;
    const dataEnd = seqAdd(this.bufferSeq, this.sendBuffer.length);
    if (!seqGt(dataEnd, this.sndNxt)) return;
    this.#stats.persistProbes++;
    const usable = Math.min(this.sndWnd, this.cc.cwnd) - seqDiff(this.sndNxt, this.sndUna);
    if (usable > 0) {
      // A small window held back by SWS avoidance: send what fits (RFC 9293 §3.8.6.2.1 override timeout).
      this.sndNxt = this.#sendData(now, this.sndNxt, Math.min(usable, seqDiff(dataEnd, this.sndNxt), this.sndMss - this.#sackSpace));
      return;
    }
    // One byte beyond the window. SND.NXT and the highest sent stay (so ACKs keep a sequence number
    // the peer accepts); the byte is sent again later if refused, or counts as sent once ACKed.
    this.#emit(this.sndNxt, ACK, seqDiff(this.sndNxt, this.bufferSeq), 1);
    this.#probeEnd = seqAdd(this.sndNxt, 1);
    this.#persistBackoff++;
    this.persistAt = now + Math.min(this.#options.maxRtoMs, this.rtt.rto * 2 ** this.#persistBackoff);
  }

  /** RFC 1122 §4.2.3.6: a probe <SEQ=SND.UNA−1> after the idle time; abort after `count` unanswered. */
  #onKeepAlive(now: number): void {
    const keepAlive = this.keepAlive;
    this.keepAliveAt = Infinity;
    if (!keepAlive || (this.state !== State.ESTABLISHED && this.state !== State.CLOSE_WAIT)) return;
    if (this.sndMax !== this.sndUna) {
      // Data in flight: the retransmission timer watches the peer.
      this.keepAliveAt = now + keepAlive.intervalMs;
      return;
    }
    if (this.#keepAliveProbes >= keepAlive.count) {
      this.#stats.timedOut++;
      this.abort(now, systemError("ETIMEDOUT", "read"));
      return;
    }
    this.#keepAliveProbes++;
    this.#stats.keepAliveProbes++;
    this.#emit(seqAdd(this.sndUna, -1), ACK, 0, 0);
    this.keepAliveAt = now + keepAlive.intervalMs;
  }
}
