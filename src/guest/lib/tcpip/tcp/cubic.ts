/**
 * @module tcpip/tcp/cubic
 * CUBIC congestion control (RFC 9438), the default. Windows are kept in bytes and converted to
 * segments for the cubic function. Parameters: C = 0.4, β_cubic = 0.7 (§4.6), fast convergence
 * (§4.7), the Reno-friendly estimate W_est with α_cubic = 3(1−β)/(1+β) until W_est reaches W_max,
 * then 1 (§4.3). Slow start is standard (RFC 5681, with RFC 3465's L = 2·SMSS); HyStart++ is not
 * implemented. Fast recovery itself is NewReno's (RFC 6582), which RFC 9438 §4.6 allows.
 */

import { WindowController } from "./congestion.ts";

const C = 0.4;
const BETA = 0.7;
const ALPHA_FRIENDLY = (3 * (1 - BETA)) / (1 + BETA);

export class Cubic extends WindowController {
  readonly name = "cubic";
  /** W_max in segments, the window before the last reduction. */
  #wMax = 0;
  /** Start of the current congestion-avoidance epoch (ms), or -1. */
  #epochStart = -1;
  /** K in seconds. */
  #k = 0;
  /** The Reno-friendly estimate, in segments. */
  #wEst = 0;

  /** W_cubic(t) in segments, `t` in seconds since the epoch began (RFC 9438 §4.2, equation 1). */
  #wCubic(t: number): number {
    const d = t - this.#k;
    return C * d * d * d + this.#wMax;
  }

  onAck(now: number, acked: number, rtt: number, _flight: number): void {
    const mss = this.mss;
    if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(acked, 2 * mss);
      return;
    }
    const cwndSegments = this.cwnd / mss;
    if (this.#epochStart < 0) {
      // §4.2: a new epoch starts with the first ACK in congestion avoidance.
      this.#epochStart = now;
      this.#wEst = cwndSegments;
      if (cwndSegments >= this.#wMax) {
        this.#wMax = cwndSegments;
        this.#k = 0;
      } else {
        this.#k = Math.cbrt((this.#wMax - cwndSegments) / C);
      }
    }
    const segmentsAcked = acked / mss;
    // §4.3: the Reno-friendly region.
    const alpha = this.#wEst >= this.#wMax ? 1 : ALPHA_FRIENDLY;
    this.#wEst += (alpha * segmentsAcked) / cwndSegments;
    const t = (now - this.#epochStart) / 1000;
    const rttSeconds = rtt > 0 ? rtt / 1000 : 0;
    const cubic = this.#wCubic(t);
    if (cubic < this.#wEst) {
      this.cwnd = Math.max(this.cwnd, this.#wEst * mss);
      return;
    }
    // §4.4 / §4.5: grow toward W_cubic(t + RTT), clamped to [cwnd, 1.5·cwnd].
    const target = Math.min(Math.max(this.#wCubic(t + rttSeconds), cwndSegments), 1.5 * cwndSegments);
    this.cwnd += ((target - cwndSegments) / cwndSegments) * segmentsAcked * mss;
  }

  #reduce(): void {
    const mss = this.mss;
    const cwndSegments = this.cwnd / mss;
    // §4.7: fast convergence.
    this.#wMax = cwndSegments < this.#wMax ? (cwndSegments * (1 + BETA)) / 2 : cwndSegments;
    // §4.6: ssthresh = cwnd · β_cubic, at least two segments.
    this.ssthresh = Math.max(this.cwnd * BETA, 2 * mss);
    this.#epochStart = -1;
  }

  onLoss(_now: number, _flight: number): void {
    this.#reduce();
    this.cwnd = this.ssthresh + 3 * this.mss;
  }

  onRecoveryEnd(_now: number, _flight: number): void {
    this.cwnd = this.ssthresh;
  }

  onTimeout(_now: number, _flight: number): void {
    // §4.8: as a congestion event for W_max and ssthresh, then one segment.
    this.#reduce();
    this.cwnd = this.mss;
  }
}
