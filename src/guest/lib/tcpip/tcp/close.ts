/**
 * @module tcpip/tcp/close
 * How a connection ends: the application's CLOSE (RFC 9293 §3.10.4: a FIN after the buffered
 * data), its close of the socket (a reset when data would go unread, RFC 2525 §2.17), ABORT
 * (§3.10.5), TIME-WAIT (bounded by the host, as Linux's tcp_max_tw_buckets) and CLOSED. Guarantees:
 * `finish` runs once per connection, stops every timer, frees the send buffer and the reassembly
 * queue, releases the connection from the host, and tells the listener (a half-open connection)
 * or the socket last, so that whatever they do next sees a CLOSED connection.
 */

import { ACK, RST } from "../wire/tcp.ts";
import { ackSeq, sendAck } from "./emit.ts";
import { State } from "./state.ts";
import type { Tcb } from "./tcb.ts";

/** The application is done sending (RFC 9293 §3.10.4 CLOSE): a FIN follows the buffered data. */
export function shutdown(tcb: Tcb): void {
  if (tcb.finQueued) return;
  switch (tcb.state) {
    case State.SYN_SENT:
      // RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB.
      finish(tcb, undefined);
      return;
    case State.SYN_RECEIVED:
    case State.ESTABLISHED:
      tcb.finQueued = true;
      // RFC 9293 §3.10.4: in SYN-RECEIVED the FIN waits for the handshake; the state moves on then.
      if (tcb.state === State.ESTABLISHED) tcb.state = State.FIN_WAIT_1;
      return;
    case State.CLOSE_WAIT:
      tcb.finQueued = true;
      tcb.state = State.LAST_ACK;
      return;
    default:
      return;
  }
}

/**
 * The application closed the socket. Unread or arriving data makes it a reset (RFC 2525 §2.17,
 * as Linux does); otherwise the buffered data and a FIN still go out and the connection finishes
 * on its own.
 */
export function close(tcb: Tcb, now: number): void {
  tcb.orphan = true;
  tcb.user = undefined;
  if (tcb.state === State.CLOSED || tcb.state === State.TIME_WAIT) return;
  if (tcb.receiveBuffer.buffered > 0 || !tcb.reassembly.empty) {
    abort(tcb, now, undefined);
    return;
  }
  shutdown(tcb);
  if (tcb.state === State.FIN_WAIT_2) tcb.closeAt = now + tcb.options.finWait2TimeoutMs;
}

/** RFC 9293 §3.10.5 ABORT: a RST to the peer when synchronized, then CLOSED with `error`. */
export function abort(tcb: Tcb, _now: number, error: Error | undefined): void {
  if (tcb.state === State.CLOSED) return;
  if (tcb.state !== State.SYN_SENT && tcb.state !== State.TIME_WAIT) {
    tcb.sackCount = 0;
    tcb.host.emit(tcb, ackSeq(tcb), tcb.rcvNxt, RST | ACK, 0, false, 0, 0);
    tcb.stats.resetsSent++;
  }
  finish(tcb, error);
}

/** Both sides are done (RFC 9293 §3.10.7.4): TIME-WAIT for 2·MSL, or CLOSED at once when the host holds too many there. */
export function enterTimeWait(tcb: Tcb, now: number): void {
  if (!tcb.host.enterTimeWait(tcb)) {
    // Too many connections in TIME-WAIT (as Linux's tcp_max_tw_buckets): ACK the FIN and go.
    if (tcb.ackNow) sendAck(tcb);
    finish(tcb, undefined);
    return;
  }
  tcb.state = State.TIME_WAIT;
  tcb.closeAt = now + tcb.options.timeWaitMs;
  tcb.rtoAt = Infinity;
  tcb.persistAt = Infinity;
  tcb.keepAliveAt = Infinity;
  tcb.sendBuffer.shift(tcb.sendBuffer.length);
  tcb.reassembly.clear();
  const user = tcb.user;
  if (user) {
    // Both directions are done: the socket's `closed` resolves (unread bytes stay readable).
    user.onReadable();
    user.onClosed(undefined);
  }
}

/** CLOSED: forget the connection and tell whoever uses it. */
export function finish(tcb: Tcb, error: Error | undefined): void {
  if (tcb.state === State.CLOSED) return;
  const wasPassiveHalfOpen = tcb.state === State.SYN_RECEIVED && tcb.listener !== undefined;
  tcb.wasTimeWait = tcb.state === State.TIME_WAIT;
  tcb.state = State.CLOSED;
  tcb.rtoAt = tcb.persistAt = tcb.delayedAckAt = tcb.keepAliveAt = tcb.closeAt = Infinity;
  tcb.sendBuffer.shift(tcb.sendBuffer.length);
  tcb.reassembly.clear();
  if (error) tcb.receiveBuffer.clear();
  tcb.host.release(tcb);
  if (wasPassiveHalfOpen) tcb.listener!.onAbandoned(tcb);
  const user = tcb.user;
  tcb.user = undefined;
  user?.onClosed(error);
}
