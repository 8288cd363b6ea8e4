/**
 * @module tcpip/tcp/open
 * Opening a connection: the send sequence space from the ISS, an active open (SYN-SENT, RFC 9293
 * §3.10.1), a passive one (a SYN at a listener: SYN-RECEIVED, §3.10.7.2), and the peer's SYN
 * options taken on either path: MSS (§3.7.1, RFC 6691), window scale (RFC 7323 §2.2) and
 * SACK-permitted (RFC 2018 §2).
 */

import type { TcpRepr } from "../wire/tcp.ts";
import { seqAdd } from "./seq.ts";
import { State } from "./state.ts";
import { DEFAULT_MSS, type Tcb } from "./tcb.ts";
import { resetKeepAlive } from "./timers.ts";

/** The send sequence space starts at the ISS; the first data byte follows the SYN (RFC 9293 §3.4.1). */
function startSending(tcb: Tcb, iss: number): void {
  tcb.iss = iss;
  tcb.sndUna = iss;
  tcb.sndNxt = iss;
  tcb.sndMax = iss;
  tcb.bufferSeq = seqAdd(iss, 1);
  tcb.recover = iss;
}

/** An active open (RFC 9293 §3.10.1): SYN-SENT; the SYN goes out at the next output. */
export function openActive(tcb: Tcb, iss: number): void {
  tcb.active = true;
  startSending(tcb, iss);
  tcb.state = State.SYN_SENT;
  tcb.stats.activeOpens++;
}

/** A SYN arrived at a listener (RFC 9293 §3.10.7.2): SYN-RECEIVED; the SYN-ACK goes out at the next output. */
export function openPassive(tcb: Tcb, now: number, segment: TcpRepr, iss: number): void {
  startSending(tcb, iss);
  tcb.irs = segment.seq;
  tcb.rcvNxt = seqAdd(segment.seq, 1);
  tcb.rcvAdv = tcb.rcvNxt;
  tcb.rcvWup = tcb.rcvNxt;
  negotiate(tcb, segment);
  // RFC 7323 §2.2: the window of a SYN is never scaled.
  tcb.sndWnd = segment.window;
  tcb.maxSndWnd = tcb.sndWnd;
  tcb.sndWl1 = segment.seq;
  tcb.sndWl2 = segment.ack;
  tcb.state = State.SYN_RECEIVED;
  tcb.stats.passiveOpens++;
  resetKeepAlive(tcb, now);
}

/** Takes the peer's SYN options: MSS (RFC 9293 §3.7.1, RFC 6691) and window scale (RFC 7323 §2.2). */
export function negotiate(tcb: Tcb, segment: TcpRepr): void {
  const mss = segment.mss > 0 ? segment.mss : DEFAULT_MSS;
  tcb.sndMss = Math.max(64, Math.min(mss, tcb.rcvMss));
  if (segment.windowScale >= 0) {
    tcb.sndShift = segment.windowScale;
  } else {
    // RFC 7323 §2.2: both must send the option for either to scale.
    tcb.sndShift = 0;
    tcb.rcvShift = 0;
    tcb.offerWindowScale = false;
  }
  // RFC 2018 §2: SACK blocks only to a peer that sent SACK-permitted, and only if we did (or, on a
  // passive open, will).
  tcb.sackOk = tcb.options.sack && segment.sackPermitted;
  if (!tcb.sackOk) tcb.offerSackPermitted = false;
  tcb.cc.setMss(tcb.sndMss);
}
