/**
 * @module tcpip/tcp/stats
 * Counters of one TCP instance: what went in and out, what was dropped and why, and the defences
 * that fired. Plain numbers, read any time.
 */

export interface TcpDrops {
  /** Shorter than a header or a data offset outside the segment. */
  malformed: number;
  checksum: number;
  /** SYN with FIN or RST (impossible combinations). */
  badFlags: number;
  /** A malformed option (bad length). */
  badOptions: number;
  /** Port 0. */
  badPort: number;
  /** Not for any connection or listener (a RST answered it). */
  noConnection: number;
  /** Outside the receive window (RFC 9293 §3.10.7.4 first check). */
  outOfWindow: number;
  /** No ACK bit in a synchronized state. */
  noAck: number;
  /** An ACK for data never sent, or too old (RFC 5961 §5.2). */
  badAck: number;
  /** RSTs not exactly at RCV.NXT and outside the window, or in a state that ignores them. */
  badRst: number;
  /** SYNs to a listener whose backlog was full. */
  backlog: number;
  /** Out-of-order segments dropped for the reassembly limit. */
  reassembly: number;
  /** Segments a state cannot use (LISTEN without SYN, data after the peer's FIN, …). */
  unexpected: number;
}

export interface TcpStats {
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Segments sent again (by timeout, fast retransmit or partial ACK). */
  retransmits: number;
  fastRetransmits: number;
  timeouts: number;
  activeOpens: number;
  passiveOpens: number;
  resetsSent: number;
  resetsReceived: number;
  challengeAcks: number;
  /** Challenge ACKs (and ACKs to unacceptable bare ACKs) not sent because of the rate limit (RFC 5961 §7). */
  challengeAcksSuppressed: number;
  /** ACKs answering unacceptable segments without data (keep-alive probes, stale ACKs). */
  outOfWindowAcks: number;
  /** SYNs dropped because the listener's backlog was full (also in `drops.backlog`). */
  synBacklogDrops: number;
  outOfOrderSegments: number;
  persistProbes: number;
  keepAliveProbes: number;
  /** Connections aborted for too many retransmissions, the user timeout or keep-alive. */
  timedOut: number;
  /** Connections currently in the table (TIME-WAIT included). */
  connections: number;
  /** Of which in TIME-WAIT. */
  timeWait: number;
  /** Connections closed at once instead of entering TIME-WAIT, because `maxTimeWait` were there. */
  timeWaitOverflows: number;
  drops: TcpDrops;
}

export function newStats(): TcpStats {
  return {
    segmentsIn: 0,
    segmentsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    retransmits: 0,
    fastRetransmits: 0,
    timeouts: 0,
    activeOpens: 0,
    passiveOpens: 0,
    resetsSent: 0,
    resetsReceived: 0,
    challengeAcks: 0,
    challengeAcksSuppressed: 0,
    outOfWindowAcks: 0,
    synBacklogDrops: 0,
    outOfOrderSegments: 0,
    persistProbes: 0,
    keepAliveProbes: 0,
    timedOut: 0,
    connections: 0,
    timeWait: 0,
    timeWaitOverflows: 0,
    drops: {
      malformed: 0,
      checksum: 0,
      badFlags: 0,
      badOptions: 0,
      badPort: 0,
      noConnection: 0,
      outOfWindow: 0,
      noAck: 0,
      badAck: 0,
      badRst: 0,
      backlog: 0,
      reassembly: 0,
      unexpected: 0,
    },
  };
}
