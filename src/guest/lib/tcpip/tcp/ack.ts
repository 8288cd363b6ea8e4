/**
 * @module tcpip/tcp/ack
 * The ACK field of an acceptable segment, and the loss recovery it drives. `processAck` checks the
 * acknowledgment (RFC 9293 §3.10.7.4 fifth check, RFC 5961 §5.2), frees acknowledged bytes, takes
 * RTT samples by Karn's rule (RFC 6298 §3), restarts or stops the retransmission timer (§5.2–5.3),
 * feeds the congestion controller (only while the window is used, RFC 7661), updates the send
 * window from the newest segment, and detects loss: three duplicate ACKs (RFC 5681 §3.2), or, with
 * SACK, more than two segments SACKed (RFC 6675 §5). Recovery is then SACK-based (a simplified
 * RFC 6675: the holes below the highest SACKed byte are taken as lost and resent while the pipe is
 * below the window) or NewReno's (RFC 6582, "Impatient" timer). The congestion controller only
 * sizes the window; when to resend is decided here.
 */

import { FIN, SYN, type TcpRepr } from "../wire/tcp.ts";
import { challengeAck, sackSpace, sendData } from "./emit.ts";
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax } from "./seq.ts";
import type { Tcb } from "./tcb.ts";

/** RFC 9293 §3.10.7.4 fifth check and RFC 5961 §5.2; RFC 5681 / RFC 6582 loss detection. Returns false to drop the segment. */
export function processAck(tcb: Tcb, now: number, segment: TcpRepr): boolean {
  const ack = segment.ack;
  const stats = tcb.stats;
  if (seqGt(ack, tcb.sndMax)) {
    if (tcb.probeEnd >= 0 && seqGt(tcb.probeEnd, tcb.sndMax) && seqLe(ack, tcb.probeEnd)) {
      // The peer took our zero-window probe byte: it is sent data now.
      tcb.sndMax = ack;
      tcb.probeEnd = -1;
    } else {
      // It acknowledges data never sent: ACK back, drop.
      stats.drops.badAck++;
      challengeAck(tcb, now);
      return false;
    }
  }
  // RFC 5961 §5.2: acceptable only if SND.UNA − MAX.SND.WND ≤ SEG.ACK.
  if (seqLt(ack, seqAdd(tcb.sndUna, -Math.max(tcb.maxSndWnd, 1)))) {
    stats.drops.badAck++;
    challengeAck(tcb, now);
    return false;
  }
  const window = segment.window << tcb.sndShift;
  const flight = seqDiff(tcb.sndMax, tcb.sndUna);
  if (tcb.sackOk && segment.sackCount > 0) tcb.scoreboard.add(segment.sackBlocks, segment.sackCount, seqMax(ack, tcb.sndUna), tcb.sndMax);
  if (seqGt(ack, tcb.sndUna)) {
    const acked = seqDiff(ack, tcb.sndUna);
    if (seqGt(ack, tcb.bufferSeq)) {
      const n = Math.min(seqDiff(ack, tcb.bufferSeq), tcb.sendBuffer.length);
      tcb.sendBuffer.shift(n);
      tcb.bufferSeq = seqAdd(tcb.bufferSeq, n);
    }
    if (tcb.finQueued && seqGt(ack, tcb.finSeq)) tcb.finAcked = true;
    // RFC 6298 §3 (Karn): the timed segment was never retransmitted, or timing was cancelled.
    if (tcb.rttAt >= 0 && seqGe(ack, tcb.rttSeq)) {
      tcb.rtt.sample(now - tcb.rttAt);
      tcb.rttAt = -1;
    }
    tcb.rtt.acknowledged();
    tcb.retries = 0;
    tcb.retransmitSince = -1;
    if (tcb.probeEnd >= 0 && seqLe(tcb.probeEnd, ack)) tcb.probeEnd = -1;
    tcb.sndUna = ack;
    if (seqLt(tcb.sndNxt, ack)) tcb.sndNxt = ack;
    tcb.scoreboard.prune(ack);
    tcb.dupAcks = 0;
    // RFC 6298 §5.2, §5.3: stop the timer when all is acknowledged, else restart it.
    // (A zero-window probe byte beyond SND.NXT is the persist timer's, not this one's.)
    let restartTimer = true;
    if (tcb.inRecovery) {
      if (seqGe(ack, tcb.recover)) {
        // RFC 6582 §3.2 step 3: a full acknowledgment ends recovery.
        tcb.inRecovery = false;
        tcb.cc.onRecoveryEnd(now, seqDiff(tcb.sndMax, ack));
      } else if (tcb.sackRecovery) {
        // RFC 6675 §5: a partial ACK in SACK recovery: the holes the scoreboard shows are sent by
        // the output, as the pipe allows; the timer restarts as for any new acknowledgment.
        if (seqLt(tcb.rexmitHigh, ack)) tcb.rexmitHigh = ack;
      } else {
        // Step 5: a partial acknowledgment: the next hole is lost too; resend it now. Only the
        // first one restarts the timer (the "Impatient" variant, RFC 6582 §4): with many holes
        // and no SACK, a timeout and go-back-N repair them faster than one per round trip.
        tcb.cc.onPartialAck(acked);
        restartTimer = tcb.partialAcks++ === 0;
        const due = tcb.rtoAt;
        retransmitFirst(tcb, now);
        if (!restartTimer) tcb.rtoAt = due;
      }
    } else if (2 * flight >= tcb.cc.cwnd) {
      // The window grows only while it is used (RFC 7661 §4.3, Linux's tcp_is_cwnd_limited): an
      // application-limited sender must not build a window it never tested.
      tcb.cc.onAck(now, acked, tcb.rtt.srtt, flight);
    }
    if (tcb.sndNxt === tcb.sndUna) tcb.rtoAt = Infinity;
    else if (restartTimer) tcb.rtoAt = now + tcb.rtt.rto;
    tcb.persistBackoff = 0;
    tcb.user?.onWritable();
  } else if (ack === tcb.sndUna && segment.payload.length === 0 && !(segment.flags & (SYN | FIN)) && window === tcb.sndWnd && tcb.sndMax !== tcb.sndUna) {
    // RFC 5681 §2: a duplicate ACK.
    tcb.dupAcks++;
    if (tcb.dupAcks === 3 && !tcb.inRecovery) {
      // RFC 6582 §3.2 step 2: only when the ACK covers more than the old `recover` (it is not an
      // echo of the flight of an earlier episode).
      if (seqGe(ack, tcb.recover)) enterRecovery(tcb, now, flight);
    } else if (tcb.dupAcks > 3 && tcb.inRecovery && !tcb.sackRecovery) {
      // RFC 5681 §3.2 step 4: each further duplicate means a segment left the network.
      tcb.cc.onDuplicateAck();
    }
  }
  // RFC 6675 §5: with SACK, loss is also inferred once more than (DupThresh − 1)·SMSS bytes above
  // SND.UNA are SACKed, even if the duplicate ACKs did not all qualify (their window changed).
  if (!tcb.inRecovery && tcb.sackOk && ack === tcb.sndUna && tcb.sndMax !== tcb.sndUna && tcb.scoreboard.bytes > 2 * tcb.sndMss && seqGe(ack, tcb.recover)) enterRecovery(tcb, now, flight);
  // RFC 1122 §4.2.2.17: a peer that answers with a zero window is alive: probing goes on forever.
  if (window === 0 && ack === tcb.sndUna) tcb.retries = 0;
  // RFC 9293 §3.10.7.4: update the send window from the newest segment only.
  if (seqLt(tcb.sndWl1, segment.seq) || (tcb.sndWl1 === segment.seq && seqLe(tcb.sndWl2, ack))) {
    tcb.sndWnd = window;
    tcb.sndWl1 = segment.seq;
    tcb.sndWl2 = ack;
    if (window > tcb.maxSndWnd) tcb.maxSndWnd = window;
    if (window > 0) {
      tcb.persistAt = Infinity;
      tcb.persistBackoff = 0;
    }
  }
  return true;
}

/**
 * Fast retransmit and the start of fast recovery (RFC 5681 §3.2 steps 2–3, RFC 6582 §3.2): SACK
 * based (RFC 6675) when the peer reports what it holds, NewReno's otherwise.
 */
function enterRecovery(tcb: Tcb, now: number, flight: number): void {
  tcb.inRecovery = true;
  tcb.partialAcks = 0;
  tcb.recover = tcb.sndNxt;
  tcb.cc.onLoss(now, flight);
  tcb.stats.fastRetransmits++;
  tcb.sackRecovery = tcb.sackOk && !tcb.scoreboard.empty;
  if (tcb.sackRecovery) {
    // RFC 6675 §5 step 4: the first hole goes out at once; the rest as the pipe allows.
    tcb.rexmitHigh = tcb.sndUna;
    retransmitHoles(tcb, now, true);
  } else {
    retransmitFirst(tcb, now);
  }
}

/**
 * RFC 6675 §4 "pipe", simplified: the bytes in flight are those sent and not cumulatively
 * acknowledged, less those SACKed, less the holes below the highest SACKed byte not yet
 * retransmitted (taken as lost, as FACK does).
 */
export function pipe(tcb: Tcb): number {
  const board = tcb.scoreboard;
  let bytes = seqDiff(tcb.sndNxt, tcb.sndUna) - board.bytes;
  if (!board.empty) {
    const from = seqMax(tcb.rexmitHigh, tcb.sndUna);
    const high = board.high;
    if (seqGt(high, from)) bytes -= seqDiff(high, from) - board.sackedBetween(from, high);
  }
  return bytes;
}

/** RFC 6675 §5 (NextSeg rule 1): retransmits the holes the scoreboard shows while the pipe is below the window. */
export function retransmitHoles(tcb: Tcb, now: number, first: boolean): void {
  const hole = tcb.hole;
  const mss = tcb.sndMss - sackSpace(tcb);
  const window = Math.floor(Math.min(tcb.cc.ssthresh, tcb.cc.cwnd));
  while (first || pipe(tcb) + mss <= window) {
    first = false;
    if (!tcb.scoreboard.nextHole(seqMax(tcb.rexmitHigh, tcb.sndUna), hole)) return;
    const length = Math.min(mss, seqDiff(hole[1], hole[0]));
    sendData(tcb, now, hole[0], length);
    tcb.rexmitHigh = seqAdd(hole[0], length);
  }
}

/** Sends the first unacknowledged segment again (fast retransmit, partial ACK, timeout). */
export function retransmitFirst(tcb: Tcb, now: number): void {
  const available = seqDiff(seqAdd(tcb.bufferSeq, tcb.sendBuffer.length), tcb.sndUna);
  // Within the peer's window (at least a byte, a probe when it is closed).
  const length = Math.max(0, Math.min(tcb.sndMss - sackSpace(tcb), available, Math.max(tcb.sndWnd, 1)));
  if (length === 0 && !(tcb.finQueued && !tcb.finAcked)) return;
  const end = sendData(tcb, now, tcb.sndUna, length);
  if (seqGt(end, tcb.sndNxt)) tcb.sndNxt = end;
  tcb.rtoAt = now + tcb.rtt.rto;
}
