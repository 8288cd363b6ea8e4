/**
 * @module tcpip/tcp/timers
 * A connection's timers, as absolute deadlines in its fields (Infinity when off), run by `poll`:
 * TIME-WAIT's end (and an orphaned FIN-WAIT-2's), retransmission (RFC 6298 §5: back off, go back
 * to SND.UNA, slow start; give up after `maxRetransmissions` or `userTimeoutMs`, RFC 1122
 * §4.2.3.5), persist (RFC 9293 §3.8.6.1: zero-window probes backing off to `maxRtoMs`, never
 * giving up while the peer answers, RFC 1122 §4.2.2.17), keep-alive (RFC 1122 §4.2.3.6) and the
 * delayed ACK. Clock-free: `poll(now)` runs what is due, sends, and returns the next deadline;
 * `deadline` tells the transport when to call again without running anything.
 */

import { ACK } from "../wire/tcp.ts";
import { retransmitFirst } from "./ack.ts";
import { abort, finish } from "./close.ts";
import { emit, sackSpace, sendData } from "./emit.ts";
import { systemError } from "../../../sdk/errors.ts";
import { output } from "./output.ts";
import { seqAdd, seqDiff, seqGt } from "./seq.ts";
import { State, canSendData } from "./state.ts";
import type { Tcb } from "./tcb.ts";

/** Runs what is due at `now`, then output; returns the next deadline. */
export function poll(tcb: Tcb, now: number): number {
  if (tcb.closeAt <= now) {
    finish(tcb, undefined);
    return Infinity;
  }
  if (tcb.rtoAt <= now) onRetransmitTimeout(tcb, now);
  if (tcb.state === State.CLOSED) return Infinity;
  if (tcb.persistAt <= now) onPersist(tcb, now);
  if (tcb.keepAliveAt <= now) onKeepAlive(tcb, now);
  if (closed(tcb)) return Infinity;
  if (tcb.delayedAckAt <= now) {
    tcb.delayedAckAt = Infinity;
    tcb.ackNow = true;
  }
  output(tcb, now);
  return deadline(tcb);
}

/** Whether `tcb` is CLOSED (a function, so that the state is read again after a timer that may have closed it). */
function closed(tcb: Tcb): boolean {
  return tcb.state === State.CLOSED;
}

/** The earliest timer, Infinity when none runs. */
export function deadline(tcb: Tcb): number {
  return Math.min(tcb.rtoAt, tcb.persistAt, tcb.delayedAckAt, tcb.keepAliveAt, tcb.closeAt);
}

/** The peer showed it is there (an acceptable segment, the handshake): the idle time starts again. */
export function resetKeepAlive(tcb: Tcb, now: number): void {
  tcb.keepAliveProbes = 0;
  if (tcb.keepAlive) tcb.keepAliveAt = now + tcb.keepAlive.idleMs;
}

function onRetransmitTimeout(tcb: Tcb, now: number): void {
  tcb.rtoAt = Infinity;
  if (tcb.sndMax === tcb.sndUna) return;
  // Only a zero-window probe outstanding: the persist timer's business, not a loss.
  if (tcb.sndNxt === tcb.sndUna && tcb.sndWnd === 0 && tcb.state !== State.SYN_SENT && tcb.state !== State.SYN_RECEIVED) return;
  const stats = tcb.stats;
  const options = tcb.options;
  stats.timeouts++;
  tcb.retries++;
  tcb.rtt.expired();
  tcb.rttAt = -1;
  if (tcb.state === State.SYN_SENT || tcb.state === State.SYN_RECEIVED) {
    if (tcb.retries > options.synRetries) {
      stats.timedOut++;
      if (tcb.state === State.SYN_RECEIVED && !tcb.active) finish(tcb, undefined);
      else finish(tcb, systemError(tcb.softError ?? "ETIMEDOUT", "connect"));
      return;
    }
    tcb.sndNxt = tcb.iss;
    return;
  }
  if (tcb.retransmitSince < 0) tcb.retransmitSince = now;
  // RFC 1122 §4.2.3.5 (R2) and RFC 9293 §3.8.3: give up after too many retransmissions or the user timeout.
  if (tcb.retries > options.maxRetransmissions || now - tcb.retransmitSince >= options.userTimeoutMs) {
    stats.timedOut++;
    abort(tcb, now, systemError(tcb.softError ?? "ETIMEDOUT", "read"));
    return;
  }
  // RFC 5681 §3.1 / RFC 6582 §4: after a timeout, slow start from one segment; `recover` keeps
  // duplicate ACKs of the old flight from starting a fast retransmit. Not when the peer's window is
  // what holds the data back: a closed window is flow control, not congestion.
  if (tcb.sndWnd > seqDiff(tcb.sndNxt, tcb.sndUna) - tcb.sndMss) {
    tcb.cc.onTimeout(now, seqDiff(tcb.sndMax, tcb.sndUna));
    tcb.recover = tcb.sndNxt;
  }
  tcb.inRecovery = false;
  tcb.dupAcks = 0;
  // RFC 2018 §8 / RFC 6675 §5.1: after a timeout the receiver may have reneged: start afresh.
  tcb.scoreboard.clear();
  // Go back: resend from the first unacknowledged byte.
  tcb.sndNxt = tcb.sndUna;
  if (tcb.state === State.TIME_WAIT || tcb.state === State.FIN_WAIT_2) return;
  retransmitFirst(tcb, now);
}

/** RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: a zero-window probe, backing off; never gives up while ACKed. */
function onPersist(tcb: Tcb, now: number): void {
  tcb.persistAt = Infinity;
  if (!canSendData(tcb.state) && tcb.state !== State.FIN_WAIT_1 && tcb.state !== State.LAST_ACK && tcb.state !== State.CLOSING) return;
  const dataEnd = seqAdd(tcb.bufferSeq, tcb.sendBuffer.length);
  if (!seqGt(dataEnd, tcb.sndNxt)) return;
  tcb.stats.persistProbes++;
  const usable = Math.min(tcb.sndWnd, tcb.cc.cwnd) - seqDiff(tcb.sndNxt, tcb.sndUna);
  if (usable > 0) {
    // A small window held back by SWS avoidance: send what fits (RFC 9293 §3.8.6.2.1 override timeout).
    tcb.sndNxt = sendData(tcb, now, tcb.sndNxt, Math.min(usable, seqDiff(dataEnd, tcb.sndNxt), tcb.sndMss - sackSpace(tcb)));
    return;
  }
  // One byte beyond the window. SND.NXT and the highest sent stay (so ACKs keep a sequence number
  // the peer accepts); the byte is sent again later if refused, or counts as sent once ACKed.
  emit(tcb, tcb.sndNxt, ACK, seqDiff(tcb.sndNxt, tcb.bufferSeq), 1);
  tcb.probeEnd = seqAdd(tcb.sndNxt, 1);
  tcb.persistBackoff++;
  tcb.persistAt = now + Math.min(tcb.options.maxRtoMs, tcb.rtt.rto * 2 ** tcb.persistBackoff);
}

/** RFC 1122 §4.2.3.6: a probe <SEQ=SND.UNA−1> after the idle time; abort after `count` unanswered. */
function onKeepAlive(tcb: Tcb, now: number): void {
  const keepAlive = tcb.keepAlive;
  tcb.keepAliveAt = Infinity;
  if (!keepAlive || (tcb.state !== State.ESTABLISHED && tcb.state !== State.CLOSE_WAIT)) return;
  if (tcb.sndMax !== tcb.sndUna) {
    // Data in flight: the retransmission timer watches the peer.
    tcb.keepAliveAt = now + keepAlive.intervalMs;
    return;
  }
  if (tcb.keepAliveProbes >= keepAlive.count) {
    tcb.stats.timedOut++;
    abort(tcb, now, systemError("ETIMEDOUT", "read"));
    return;
  }
  tcb.keepAliveProbes++;
  tcb.stats.keepAliveProbes++;
  emit(tcb, seqAdd(tcb.sndUna, -1), ACK, 0, 0);
  tcb.keepAliveAt = now + keepAlive.intervalMs;
}
