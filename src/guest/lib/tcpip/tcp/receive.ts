/**
 * @module tcpip/tcp/receive
 * The receiving half of a connection once a segment passed the checks of `input.ts` (RFC 9293
 * §3.10.7.4, seventh and eighth checks): data is trimmed to what is new and within the window we
 * advertised, in-order bytes are copied into the receive buffer (with whatever the reassembly
 * queue then completes), out-of-order ones are held; the peer's FIN moves the state on. It decides
 * when an ACK is owed (RFC 1122 §4.2.3.2, RFC 5681 §4.2): at once for out-of-order data, for data
 * filling a gap and for a FIN, else at least every second full-sized segment or after the
 * delayed-ACK timeout. Guarantees: nothing beyond the advertised window is kept, and RCV.NXT moves
 * only over bytes handed to the receive buffer and over the FIN.
 */

import { enterTimeWait } from "./close.ts";
import { seqAdd, seqDiff, seqLt, seqMax } from "./seq.ts";
import { State } from "./state.ts";
import type { Tcb } from "./tcb.ts";

/** In-order or out-of-order data within the window (RFC 9293 §3.10.7.4, seventh check). */
export function receiveData(tcb: Tcb, now: number, seq: number, data: Uint8Array): void {
  const stats = tcb.stats;
  // Trim what we already have and what lies beyond the window.
  if (seqLt(seq, tcb.rcvNxt)) {
    const cut = seqDiff(tcb.rcvNxt, seq);
    if (cut >= data.length) {
      tcb.ackNow = true;
      return;
    }
    data = data.subarray(cut);
    seq = tcb.rcvNxt;
  }
  const room = seqDiff(seqMax(tcb.rcvAdv, tcb.rcvNxt), seq);
  if (room <= 0) {
    tcb.ackNow = true;
    return;
  }
  if (data.length > room) data = data.subarray(0, room);
  if (seq === tcb.rcvNxt) {
    tcb.receiveBuffer.append(data);
    tcb.rcvNxt = seqAdd(tcb.rcvNxt, data.length);
    stats.bytesIn += data.length;
    if (!tcb.reassembly.empty) {
      // RFC 5681 §4.2: a segment that fills a gap is ACKed at once.
      const before = tcb.rcvNxt;
      tcb.rcvNxt = tcb.reassembly.pop(tcb.rcvNxt, (bytes) => tcb.receiveBuffer.append(bytes));
      stats.bytesIn += seqDiff(tcb.rcvNxt, before);
      tcb.ackNow = true;
    } else {
      // RFC 1122 §4.2.3.2 / RFC 5681 §4.2: ACK at least every second full-sized segment, and
      // otherwise within the delayed-ACK timeout.
      tcb.unackedBytes += data.length;
      if (tcb.unackedBytes >= 2 * tcb.rcvMss || tcb.options.delayedAckMs === 0) tcb.ackNow = true;
      else if (tcb.delayedAckAt === Infinity) tcb.delayedAckAt = now + tcb.options.delayedAckMs;
    }
    if (tcb.pendingFin >= 0 && tcb.pendingFin === tcb.rcvNxt) receiveFin(tcb, now);
    tcb.host.notify(tcb);
  } else {
    // RFC 5681 §4.2: an out-of-order segment is ACKed at once (a duplicate ACK for the sender).
    stats.outOfOrderSegments++;
    if (tcb.reassembly.insert(seq, data)) tcb.latestOutOfOrder = seq;
    else stats.drops.reassembly++;
    tcb.ackNow = true;
  }
}

/** Our peer's FIN, in order (RFC 9293 §3.10.7.4, eighth check). */
export function receiveFin(tcb: Tcb, now: number): void {
  tcb.rcvNxt = seqAdd(tcb.rcvNxt, 1);
  tcb.pendingFin = -1;
  tcb.ackNow = true;
  tcb.eof = true;
  tcb.host.notify(tcb);
  switch (tcb.state) {
    case State.SYN_RECEIVED:
    case State.ESTABLISHED:
      tcb.state = State.CLOSE_WAIT;
      break;
    case State.FIN_WAIT_1:
      if (tcb.finAcked) enterTimeWait(tcb, now);
      else tcb.state = State.CLOSING; // simultaneous close
      break;
    case State.FIN_WAIT_2:
      enterTimeWait(tcb, now);
      break;
    case State.TIME_WAIT:
      tcb.closeAt = now + tcb.options.timeWaitMs;
      break;
  }
}
