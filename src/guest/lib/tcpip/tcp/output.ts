/**
 * @module tcpip/tcp/output
 * What a connection sends when it runs (after a segment arrived, a socket call, or a timer): the
 * SYN or SYN-ACK while opening; then new data cut into segments of at most the send MSS (less the
 * SACK option's room), as far as both the congestion window (in SACK recovery: the pipe against
 * ssthresh, RFC 6675 §5) and the peer's window allow, held back by sender silly-window avoidance
 * (RFC 9293 §3.8.6.2.1) and Nagle (RFC 1122 §4.2.3.4); the FIN after the last byte; an ACK if one
 * is still owed. When data waits on a closed window with nothing in flight, it arms the persist
 * timer (RFC 9293 §3.8.6.1): no ACK is coming to open the window, so a probe must ask for one.
 */

import { ACK, SYN } from "../wire/tcp.ts";
import { pipe, retransmitHoles } from "./ack.ts";
import { emit, sackSpace, sendAck, sendData } from "./emit.ts";
import { seqAdd, seqDiff, seqGt } from "./seq.ts";
import { State, canSendData } from "./state.ts";
import type { Tcb } from "./tcb.ts";

/** Sends what the state, the windows, Nagle and pending ACKs call for. */
export function output(tcb: Tcb, now: number): void {
  const state = tcb.state;
  if (state === State.SYN_SENT || state === State.SYN_RECEIVED) {
    if (tcb.sndNxt === tcb.iss) {
      const flags = state === State.SYN_SENT ? SYN : SYN | ACK;
      if (tcb.rttAt < 0 && tcb.retries === 0) {
        tcb.rttAt = now;
        tcb.rttSeq = seqAdd(tcb.iss, 1);
      }
      emit(tcb, tcb.iss, flags, 0, 0);
      if (tcb.retries > 0) tcb.stats.retransmits++;
      tcb.sndNxt = seqAdd(tcb.iss, 1);
      tcb.sndMax = tcb.sndNxt;
      tcb.rtoAt = now + tcb.rtt.rto;
    } else if (tcb.ackNow && state === State.SYN_RECEIVED) {
      emit(tcb, tcb.sndNxt, ACK, 0, 0);
    }
    return;
  }
  if (canSendData(state) || state === State.FIN_WAIT_1 || state === State.CLOSING || state === State.LAST_ACK) outputData(tcb, now);
  if (tcb.ackNow && tcb.state !== State.CLOSED) sendAck(tcb);
}

function outputData(tcb: Tcb, now: number): void {
  const mss = tcb.sndMss - sackSpace(tcb);
  const dataEnd = seqAdd(tcb.bufferSeq, tcb.sendBuffer.length);
  const sackRecovery = tcb.inRecovery && tcb.sackRecovery;
  if (sackRecovery) retransmitHoles(tcb, now, false);
  for (;;) {
    const sndNxt = tcb.sndNxt;
    const unsent = seqDiff(dataEnd, sndNxt);
    const inFlight = seqDiff(sndNxt, tcb.sndUna);
    // The congestion window bounds the pipe (RFC 6675 §5: cwnd = ssthresh in SACK recovery), the
    // peer's window the sequence space.
    const usable = sackRecovery
      ? Math.min(Math.floor(Math.min(tcb.cc.ssthresh, tcb.cc.cwnd)) - pipe(tcb), tcb.sndWnd - inFlight)
      : Math.floor(Math.min(tcb.sndWnd, tcb.cc.cwnd)) - inFlight;
    if (unsent > 0) {
      let length = Math.min(mss, unsent, usable);
      if (length <= 0) break;
      if (length < mss && length < unsent) {
        // RFC 9293 §3.8.6.2.1: a window-limited small segment waits unless it is at least half the
        // largest window the peer offered (the persist timer forces it eventually).
        if (length < tcb.maxSndWnd / 2) break;
      } else if (length < mss && !tcb.noDelay && inFlight > 0 && !tcb.finQueued) {
        // RFC 1122 §4.2.3.4 (Nagle): a small last segment waits while data is unacknowledged.
        break;
      }
      tcb.sndNxt = sendData(tcb, now, sndNxt, length);
      continue;
    }
    if (tcb.finQueued && unsent === 0) {
      // The FIN alone (it occupies sequence space but needs no window).
      tcb.sndNxt = sendData(tcb, now, sndNxt, 0);
    }
    break;
  }
  // RFC 9293 §3.8.6.1: data waits for a window and nothing is in flight to bring one: probe.
  if (tcb.sndNxt === tcb.sndUna && seqGt(dataEnd, tcb.sndNxt) && tcb.rtoAt === Infinity && tcb.persistAt === Infinity) {
    tcb.persistAt = now + Math.min(tcb.options.maxRtoMs, tcb.rtt.rto * 2 ** tcb.persistBackoff);
  }
}
