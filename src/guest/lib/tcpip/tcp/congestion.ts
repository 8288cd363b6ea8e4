/**
 * @module tcpip/tcp/congestion
 * The congestion-control interface: one controller per connection owns `cwnd` and `ssthresh` and
 * is told of acknowledgments and losses. Loss *detection* and the fast-recovery mechanics
 * (RFC 5681 §3.2, RFC 6582) are the connection's; the controller decides only the window sizes,
 * so NewReno (RFC 5681) and CUBIC (RFC 9438) plug into the same recovery.
 */

export interface CongestionController {
  readonly name: string;
  /** The congestion window in bytes. */
  readonly cwnd: number;
  /** The slow-start threshold in bytes. */
  readonly ssthresh: number;
  /** The sender MSS changed (after the handshake). */
  setMss(mss: number): void;
  /** `acked` bytes of new data were acknowledged outside recovery; `rtt` the smoothed RTT (ms, -1 if none), `flight` the bytes in flight before the ACK. */
  onAck(now: number, acked: number, rtt: number, flight: number): void;
  /** A loss detected by duplicate ACKs: enter fast recovery (RFC 5681 §3.2 step 2–3). */
  onLoss(now: number, flight: number): void;
  /** Another duplicate ACK in fast recovery: inflate the window by one segment (RFC 5681 §3.2 step 4). */
  onDuplicateAck(): void;
  /** A partial ACK in fast recovery (RFC 6582 §3.2 step 5): deflate by the amount acknowledged, add back one segment. */
  onPartialAck(acked: number): void;
  /** Fast recovery ends with a full ACK (RFC 6582 §3.2 step 3). */
  onRecoveryEnd(now: number, flight: number): void;
  /** The retransmission timer expired (RFC 5681 §3.1 equation 4; RFC 9438 §4.8). */
  onTimeout(now: number, flight: number): void;
}

/** RFC 6928: the initial window, ten segments capped at 14,600 bytes (min(10·MSS, max(2·MSS, 14600))). */
export function initialWindow(mss: number): number {
  return Math.min(10 * mss, Math.max(2 * mss, 14600));
}

export type CongestionControlName = "cubic" | "newreno";

/**
 * What every controller here shares: the window starts at the initial window and follows the
 * SMSS, and fast recovery inflates it by a segment per duplicate ACK (RFC 5681 §3.2 step 4) and
 * deflates it on a partial ACK (RFC 6582 §3.2 step 5). Controllers differ in growth and reduction.
 */
export abstract class WindowController implements CongestionController {
  abstract readonly name: CongestionControlName;
  cwnd: number;
  ssthresh = Infinity;
  /** The sender MSS in bytes. */
  protected mss: number;

  constructor(mss: number) {
    this.mss = mss;
    this.cwnd = initialWindow(mss);
  }

  setMss(mss: number): void {
    this.mss = mss;
    this.cwnd = Math.max(this.cwnd, initialWindow(mss));
  }

  onDuplicateAck(): void {
    this.cwnd += this.mss;
  }

  onPartialAck(acked: number): void {
    this.cwnd = Math.max(this.mss, this.cwnd - acked + (acked >= this.mss ? this.mss : 0));
  }

  abstract onAck(now: number, acked: number, rtt: number, flight: number): void;
  abstract onLoss(now: number, flight: number): void;
  abstract onRecoveryEnd(now: number, flight: number): void;
  abstract onTimeout(now: number, flight: number): void;
}
