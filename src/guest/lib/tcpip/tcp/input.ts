/**
 * @module tcpip/tcp/input
 * "SEGMENT ARRIVES" for one connection (RFC 9293 §3.10.7.3 for SYN-SENT, §3.10.7.4 for the rest),
 * in the RFC's order: sequence acceptability (with Linux's allowances, below), RST, SYN, the ACK
 * field (handed to `ack.ts`), the state transitions a FIN's acknowledgment brings, the text and
 * the FIN (handed to `receive.ts`); then output. RFC 5961's defences against blind injection sit
 * at their checks: a RST not exactly at RCV.NXT and a SYN in a synchronized state get a challenge
 * ACK, never a reset. Guarantees: nothing here throws on input; a segment that cannot be used is
 * dropped and counted in `stats.drops`, and at most a rate-limited ACK answers it.
 */

import { ACK, FIN, RST, SYN, type TcpRepr } from "../wire/tcp.ts";
import { processAck } from "./ack.ts";
import { abort, enterTimeWait, finish } from "./close.ts";
import { challengeAck, sendReset } from "./emit.ts";
import { systemError } from "../../../sdk/errors.ts";
import { negotiate } from "./open.ts";
import { output } from "./output.ts";
import { receiveData, receiveFin } from "./receive.ts";
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt } from "./seq.ts";
import { State, acceptsData } from "./state.ts";
import type { Tcb } from "./tcb.ts";
import { resetKeepAlive } from "./timers.ts";

/** A segment for `tcb` (RFC 9293 §3.10.7), then whatever it calls for goes out. */
export function segmentArrives(tcb: Tcb, now: number, segment: TcpRepr): void {
  if (tcb.state === State.SYN_SENT) inputSynSent(tcb, now, segment);
  else if (tcb.state !== State.CLOSED) inputSynchronized(tcb, now, segment);
  if (tcb.state !== State.CLOSED) output(tcb, now);
}

/** RFC 9293 §3.10.7.3. */
function inputSynSent(tcb: Tcb, now: number, segment: TcpRepr): void {
  const flags = segment.flags;
  const stats = tcb.stats;
  if (flags & ACK && (seqLe(segment.ack, tcb.iss) || seqGt(segment.ack, tcb.sndMax))) {
    // An unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>, unless it is a RST itself.
    stats.drops.badAck++;
    if (!(flags & RST)) sendReset(tcb, segment.ack);
    return;
  }
  if (flags & RST) {
    // RFC 5961 §3.2 for SYN-SENT: a RST counts only if it acknowledges our SYN.
    if (flags & ACK) {
      stats.resetsReceived++;
      finish(tcb, systemError("ECONNREFUSED", "connect"));
    } else {
      stats.drops.badRst++;
    }
    return;
  }
  if (!(flags & SYN)) {
    stats.drops.unexpected++;
    return;
  }
  tcb.irs = segment.seq;
  tcb.rcvNxt = seqAdd(segment.seq, 1);
  tcb.rcvAdv = tcb.rcvNxt;
  tcb.rcvWup = tcb.rcvNxt;
  negotiate(tcb, segment);
  tcb.sndWnd = segment.window; // RFC 7323 §2.2: unscaled in a SYN.
  tcb.maxSndWnd = tcb.sndWnd;
  tcb.sndWl1 = segment.seq;
  tcb.sndWl2 = segment.ack;
  resetKeepAlive(tcb, now);
  if (flags & ACK) {
    tcb.sndUna = segment.ack;
    if (tcb.rttAt >= 0 && tcb.retries === 0) tcb.rtt.sample(now - tcb.rttAt);
    tcb.rttAt = -1;
    tcb.rtt.acknowledged();
    tcb.retries = 0;
    tcb.rtoAt = Infinity;
    tcb.state = State.ESTABLISHED;
    tcb.ackNow = true;
    tcb.user?.onEstablished();
    // Data carried by the SYN-ACK (rare) is taken as in ESTABLISHED.
    if (segment.payload.length > 0) receiveData(tcb, now, tcb.rcvNxt, segment.payload);
    if (flags & FIN) receiveFin(tcb, now);
  } else {
    // Simultaneous open: SYN-RECEIVED, and <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> goes out.
    tcb.state = State.SYN_RECEIVED;
    tcb.sndNxt = tcb.iss;
    tcb.rtoAt = Infinity;
  }
}

/** Whether the segment is acceptable (RFC 9293 §3.10.7.4, first check, the four cases). */
function acceptable(tcb: Tcb, seq: number, length: number): boolean {
  const window = Math.max(0, seqDiff(tcb.rcvAdv, tcb.rcvNxt));
  const rcvNxt = tcb.rcvNxt;
  // A segment without data: RFC 9293's test is RCV.NXT ≤ SEG.SEQ < RCV.NXT+RCV.WND. Like Linux
  // (tcp_sequence), we also take the right edge itself and anything from the RCV.NXT of our last
  // ACK on: a peer's ACK sent before ours arrived, or from a peer whose window we filled exactly,
  // is still its news about our data, and dropping it can deadlock two senders that both went back.
  if (length === 0) return seqGe(seq, tcb.rcvWup) && seqLe(seq, seqAdd(rcvNxt, window));
  if (window === 0) return false;
  const end = seqAdd(rcvNxt, window);
  return seqInRange(seq, rcvNxt, end) || seqInRange(seqAdd(seq, length - 1), rcvNxt, end);
}

/** RFC 9293 §3.10.7.4, for SYN-RECEIVED and the synchronized states. */
function inputSynchronized(tcb: Tcb, now: number, segment: TcpRepr): void {
  const flags = segment.flags;
  const seq = segment.seq;
  const stats = tcb.stats;
  const state = tcb.state;

  if (state === State.SYN_RECEIVED && flags & SYN && seq === tcb.irs) {
    if (!(flags & ACK)) {
      // The peer's SYN again: our SYN-ACK was lost. Send it again now.
      tcb.sndNxt = tcb.iss;
      return;
    }
    if (tcb.active && seqGt(segment.ack, tcb.sndUna) && seqLe(segment.ack, tcb.sndMax)) {
      // Simultaneous open (RFC 9293 §3.5, figure 8, line 5): the peer's SYN-ACK acknowledges our
      // SYN: ESTABLISHED, and an ACK answers it.
      completeHandshake(tcb, segment);
      processAck(tcb, now, segment);
      tcb.ackNow = true;
      return;
    }
  }

  // RFC 5961 §4.2: a SYN in a synchronized state (or SYN-RECEIVED), whatever its sequence
  // number, gets a challenge ACK and is dropped, so that a blind SYN cannot reset us.
  if (flags & SYN) {
    challengeAck(tcb, now);
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
    if (seq === tcb.rcvNxt) {
      stats.resetsReceived++;
      if (state === State.SYN_RECEIVED && !tcb.active) finish(tcb, undefined); // back to LISTEN: the listener forgets it
      else if (state === State.SYN_RECEIVED) finish(tcb, systemError("ECONNREFUSED", "connect"));
      else if (state === State.CLOSING || state === State.LAST_ACK) finish(tcb, undefined);
      else finish(tcb, systemError("ECONNRESET", "read"));
      return;
    }
    const window = Math.max(1, seqDiff(tcb.rcvAdv, tcb.rcvNxt));
    if (seqInRange(seq, tcb.rcvNxt, seqAdd(tcb.rcvNxt, window))) challengeAck(tcb, now);
    else stats.drops.badRst++;
    return;
  }

  const payload = segment.payload;
  const length = payload.length + (flags & FIN ? 1 : 0);
  if (!acceptable(tcb, seq, length)) {
    // RFC 9293 §3.10.7.4: "If RCV.WND is zero, no segments will be acceptable, but special
    // allowance should be made to accept valid ACKs": a zero-window probe's ACK is processed.
    const zeroWindowProbe = seqDiff(tcb.rcvAdv, tcb.rcvNxt) <= 0 && seq === tcb.rcvNxt && flags & ACK;
    stats.drops.outOfWindow++;
    if (zeroWindowProbe && tcb.state !== State.SYN_RECEIVED) processAck(tcb, now, segment);
    if (state === State.TIME_WAIT && flags & FIN) tcb.closeAt = now + tcb.options.timeWaitMs; // a FIN again: restart 2·MSL
    // "…an acknowledgment should be sent in reply": always for data (a retransmission we already
    // have), rate-limited for bare ACKs so that two stacks cannot ACK each other forever.
    if (length > 0) tcb.ackNow = true;
    else challengeAck(tcb, now, false);
    return;
  }
  resetKeepAlive(tcb, now);

  // RFC 9293 §3.10.7.4, fifth check: the ACK field.
  if (!(flags & ACK)) {
    stats.drops.noAck++;
    return;
  }
  if (state === State.SYN_RECEIVED) {
    if (!(seqGt(segment.ack, tcb.sndUna) && seqLe(segment.ack, tcb.sndMax))) {
      stats.drops.badAck++;
      sendReset(tcb, segment.ack);
      return;
    }
    completeHandshake(tcb, segment);
  }
  if (!processAck(tcb, now, segment)) return;
  if (tcb.state === State.CLOSED) return;

  switch (tcb.state) {
    case State.FIN_WAIT_1:
      if (tcb.finAcked) {
        tcb.state = State.FIN_WAIT_2;
        if (tcb.orphan) tcb.closeAt = now + tcb.options.finWait2TimeoutMs;
      }
      break;
    case State.CLOSING:
      if (tcb.finAcked) enterTimeWait(tcb, now);
      break;
    case State.LAST_ACK:
      if (tcb.finAcked) {
        finish(tcb, undefined);
        return;
      }
      break;
  }

  // Seventh check: the segment text.
  if (payload.length > 0) {
    if (!acceptsData(tcb.state)) {
      stats.drops.unexpected++;
    } else if (tcb.orphan) {
      // Nobody will read it: reset (RFC 2525 §2.17; Linux does the same after close()).
      abort(tcb, now, undefined);
      return;
    } else {
      receiveData(tcb, now, seq, payload);
    }
  }

  // Eighth check: FIN.
  if (flags & FIN) {
    const finSeq = seqAdd(seq, payload.length);
    if (finSeq === tcb.rcvNxt) receiveFin(tcb, now);
    else if (seqGt(finSeq, tcb.rcvNxt) && seqLt(finSeq, seqAdd(tcb.rcvAdv, 1))) tcb.pendingFin = finSeq;
  }
}

/** SYN-RECEIVED → ESTABLISHED (or FIN-WAIT-1 when the application already closed). */
function completeHandshake(tcb: Tcb, segment: TcpRepr): void {
  tcb.state = tcb.finQueued ? State.FIN_WAIT_1 : State.ESTABLISHED;
  tcb.sndWnd = (segment.flags & SYN ? segment.window : segment.window << tcb.sndShift);
  tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd);
  tcb.sndWl1 = segment.seq;
  tcb.sndWl2 = segment.ack;
  if (tcb.listener) tcb.listener.onEstablished(tcb);
  else tcb.user?.onEstablished();
}
