/**
 * @module tcpip/tcp/control
 * What the socket, the listener and the transport may do to a connection, in one place: open it,
 * hand it segments and ICMP errors, run its output and timers, and the application's calls
 * (shutdown, close, abort, a read that may open the window, keep-alive). The protocol modules do
 * the work; the control block (`tcb.ts`) only holds the state.
 */

import type { ResolvedOptions } from "./options.ts";
import { finish } from "./close.ts";
import { systemError } from "../../../sdk/errors.ts";
import { seqAdd, seqDiff, seqInRange } from "./seq.ts";
import { State } from "./state.ts";
import type { Tcb } from "./tcb.ts";
import { resetKeepAlive } from "./timers.ts";

export { abort, close, shutdown } from "./close.ts";
export { segmentArrives as input } from "./input.ts";
export { openActive, openPassive } from "./open.ts";
export { output } from "./output.ts";
export { deadline, poll } from "./timers.ts";

/** The application read bytes: whether the window opened enough to tell the peer (RFC 9293 §3.8.6.2.2). */
export function onRead(tcb: Tcb): boolean {
  if (tcb.state === State.CLOSED || tcb.state === State.TIME_WAIT) return false;
  const available = tcb.options.receiveBuffer - tcb.receiveBuffer.buffered;
  const advertised = seqDiff(tcb.rcvAdv, tcb.rcvNxt);
  if (available - advertised >= Math.min(tcb.options.receiveBuffer / 2, 2 * tcb.rcvMss)) {
    tcb.ackNow = true;
    return true;
  }
  return false;
}

/** Turns keep-alive on or off for this connection (the socket's setKeepAlive). */
export function setKeepAlive(tcb: Tcb, now: number, keepAlive: ResolvedOptions["keepAlive"]): void {
  tcb.keepAlive = keepAlive;
  tcb.keepAliveAt = Infinity;
  if (keepAlive) resetKeepAlive(tcb, now);
}

/** An ICMP error about a segment of ours (RFC 1122 §4.2.3.9, RFC 5927 §4.1: `seq` must be in flight). */
export function icmpError(tcb: Tcb, hard: string | undefined, soft: string, seq: number): void {
  if (!seqInRange(seq, tcb.sndUna, seqAdd(tcb.sndMax, 1))) return;
  if (tcb.state === State.SYN_SENT && hard !== undefined) {
    finish(tcb, systemError(hard, "connect"));
    return;
  }
  tcb.softError = soft;
}
