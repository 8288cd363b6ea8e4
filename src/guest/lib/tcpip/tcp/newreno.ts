/**
 * @module tcpip/tcp/newreno
 * NewReno congestion control (RFC 5681, RFC 6582): slow start below ssthresh with appropriate byte
 * counting (RFC 3465, L = 2·SMSS per ACK), congestion avoidance of about one SMSS per RTT above it,
 * halving on loss, one segment after a timeout.
 */

import { WindowController } from "./congestion.ts";

export class NewReno extends WindowController {
  readonly name = "newreno";
  /** Bytes acknowledged in congestion avoidance not yet turned into window (RFC 5681 §3.1 byte counting). */
  #acked = 0;

  onAck(_now: number, acked: number, _rtt: number, _flight: number): void {
    const mss = this.mss;
    if (this.cwnd < this.ssthresh) {
      // RFC 5681 §3.1 equation 2, with RFC 3465's limit L = 2·SMSS.
      this.cwnd += Math.min(acked, 2 * mss);
      return;
    }
    // RFC 5681 §3.1: about one SMSS per RTT, by counting acknowledged bytes up to a window.
    this.#acked += acked;
    if (this.#acked >= this.cwnd) {
      this.#acked -= this.cwnd;
      this.cwnd += mss;
    }
  }

  onLoss(_now: number, flight: number): void {
    // RFC 5681 §3.2 equation 4 and step 3.
    this.ssthresh = Math.max(flight / 2, 2 * this.mss);
    this.cwnd = this.ssthresh + 3 * this.mss;
    this.#acked = 0;
  }

  onRecoveryEnd(_now: number, flight: number): void {
    // RFC 6582 §3.2 step 3, option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS).
    this.cwnd = Math.min(this.ssthresh, Math.max(flight, this.mss) + this.mss);
  }

  onTimeout(_now: number, flight: number): void {
    // RFC 5681 §3.1 equation 4, and the loss window of one segment.
    this.ssthresh = Math.max(flight / 2, 2 * this.mss);
    this.cwnd = this.mss;
    this.#acked = 0;
  }
}
