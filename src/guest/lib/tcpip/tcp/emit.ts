/**
 * @module tcpip/tcp/emit
 * Sending one segment of a connection through the host. Every segment carries the current ACK and
 * the window we advertise, chosen here with receiver silly-window avoidance (RFC 9293 §3.8.6.2.2)
 * and never moving the right edge left (§3.8.6); an ACK-bearing segment carries SACK blocks for
 * the out-of-order data held (RFC 2018 §4), and leaves no ACK owed. A data segment is timed by
 * Karn's rule (RFC 6298 §3: one at a time, never a retransmission), counted, and arms the
 * retransmission timer. Also the segments sent outside `output`: bare ACKs, RSTs, and RFC 5961
 * §7's rate-limited challenge ACKs. Nothing here decides *whether* to send (that is `output.ts`,
 * `ack.ts` and `timers.ts`), and nothing here allocates per segment.
 */

import { ACK, FIN, MAX_SACK_BLOCKS, PSH, RST, SYN } from "../wire/tcp.ts";
import { seqAdd, seqDiff, seqGt, seqLt, seqMax } from "./seq.ts";
import type { Tcb } from "./tcb.ts";

/** The window to advertise, scaled for the header (RFC 9293 §3.8.6.2.2 receiver SWS avoidance); moves `rcvAdv`. */
function advertisedWindow(tcb: Tcb, syn: boolean): number {
  const capacity = tcb.options.receiveBuffer;
  const available = Math.max(0, capacity - tcb.receiveBuffer.buffered);
  const current = seqDiff(tcb.rcvAdv, tcb.rcvNxt);
  let window = available;
  // Move the right edge only by a worthwhile amount: min(RCV.BUFF/2, MSS).
  if (window > current && window - current < Math.min(capacity / 2, tcb.rcvMss)) window = Math.max(current, 0);
  if (window < current) window = current; // never shrink (RFC 9293 §3.8.6)
  if (syn) {
    const field = Math.min(window, 0xffff);
    tcb.rcvAdv = seqMax(tcb.rcvAdv, seqAdd(tcb.rcvNxt, field));
    return field;
  }
  const field = Math.min(Math.floor(window / 2 ** tcb.rcvShift), 0xffff);
  tcb.rcvAdv = seqMax(tcb.rcvAdv, seqAdd(tcb.rcvNxt, field * 2 ** tcb.rcvShift));
  return field;
}

/**
 * The sequence number of a segment without data: the highest sent, SND.NXT of RFC 9293 (ours goes
 * back on a timeout; a peer would find an older one below RCV.NXT and drop the ACK). Zero-window
 * probe bytes do not count: they lie beyond the peer's window.
 */
export function ackSeq(tcb: Tcb): number {
  return tcb.sndMax;
}

export function sendAck(tcb: Tcb): void {
  emit(tcb, ackSeq(tcb), ACK, 0, 0);
}

/** The option bytes SACK blocks take in our next segment (its data must leave room, RFC 9293 §3.7.1). */
export function sackSpace(tcb: Tcb): number {
  return tcb.sackOk && !tcb.reassembly.empty ? 4 + 8 * Math.min(tcb.reassembly.ranges, MAX_SACK_BLOCKS) : 0;
}

/** Sends one segment with the current ACK and window; an ACK goes with every segment, so none is owed afterwards. */
export function emit(tcb: Tcb, seq: number, flags: number, from: number, length: number): void {
  const syn = (flags & SYN) !== 0;
  const window = advertisedWindow(tcb, syn);
  tcb.sackCount = tcb.sackOk && !syn && flags & ACK && !tcb.reassembly.empty ? tcb.reassembly.blocks(tcb.sackBlocks, MAX_SACK_BLOCKS, tcb.latestOutOfOrder) : 0;
  tcb.host.emit(tcb, seq, tcb.rcvNxt, flags, window, syn, from, length);
  tcb.rcvWup = tcb.rcvNxt;
  if (flags & ACK) {
    tcb.ackNow = false;
    tcb.unackedBytes = 0;
    tcb.delayedAckAt = Infinity;
  }
}

/** Sends the data segment at `seq` (≤ `length` bytes, FIN added when it ends at our FIN); returns its end. */
export function sendData(tcb: Tcb, now: number, seq: number, length: number): number {
  const dataEnd = seqAdd(tcb.bufferSeq, tcb.sendBuffer.length);
  let flags = ACK;
  let end = seqAdd(seq, length);
  if (end === dataEnd && length > 0) flags |= PSH;
  if (tcb.finQueued && end === dataEnd) {
    flags |= FIN;
    end = seqAdd(end, 1);
  }
  if (seqLt(seq, tcb.sndMax)) {
    tcb.stats.retransmits++;
    // Karn: a retransmission must not be timed, nor the segment timed before it.
    if (tcb.rttAt >= 0) tcb.rttAt = -1;
  } else if (tcb.rttAt < 0) {
    tcb.rttAt = now;
    tcb.rttSeq = end;
  }
  emit(tcb, seq, flags, seqDiff(seq, tcb.bufferSeq), length);
  tcb.stats.bytesOut += length;
  if (seqGt(end, tcb.sndMax)) tcb.sndMax = end;
  if (tcb.rtoAt === Infinity) tcb.rtoAt = now + tcb.rtt.rto;
  return end;
}

/** <SEQ=`seq`><CTL=RST>: the answer to an unacceptable ACK before the connection is synchronized. */
export function sendReset(tcb: Tcb, seq: number): void {
  tcb.sackCount = 0;
  tcb.host.emit(tcb, seq, 0, RST, 0, false, 0, 0);
  tcb.stats.resetsSent++;
}

/**
 * RFC 5961 §7: an ACK in answer to a suspicious segment, at most `challengeAckLimit` a second.
 * `challenge` false: the same limited ACK for an unacceptable bare ACK (RFC 9293 §3.10.7.4),
 * counted apart.
 */
export function challengeAck(tcb: Tcb, now: number, challenge = true): void {
  if (now - tcb.challengeWindow >= 1000) {
    tcb.challengeWindow = now;
    tcb.challengeCount = 0;
  }
  if (tcb.challengeCount >= tcb.options.challengeAckLimit) {
    tcb.stats.challengeAcksSuppressed++;
    return;
  }
  tcb.challengeCount++;
  if (challenge) tcb.stats.challengeAcks++;
  else tcb.stats.outOfWindowAcks++;
  sendAck(tcb);
}
