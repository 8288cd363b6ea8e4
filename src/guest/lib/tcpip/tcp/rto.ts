/**
 * @module tcpip/tcp/rto
 * The retransmission timeout (RFC 6298): SRTT and RTTVAR from RTT samples, RTO = SRTT + max(G,
 * 4·RTTVAR) clamped to [minimum, maximum], doubled on each expiry (§5.5) and recomputed from the
 * estimates on the next sample. Karn's algorithm (§3) is the caller's: it samples only segments
 * that were never retransmitted.
 *
 * Parameters: initial RTO 1 s (§2.1); minimum 200 ms, as Linux uses, where the RFC says 1 s (§2.4
 * "SHOULD", and it allows lower for low-latency paths); maximum 60 s (§2.5); clock granularity G
 * 1 ms, the loop clock's.
 */

const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;
const G = 1;

export interface RtoParameters {
  initialMs: number;
  minMs: number;
  maxMs: number;
}

export class RttEstimator {
  /** Smoothed RTT in ms, or -1 before the first sample. */
  srtt = -1;
  rttvar = 0;
  /** The RTO without backoff. */
  #base: number;
  /** How many times the timer expired since the last new acknowledgment. */
  backoff = 0;
  readonly #parameters: RtoParameters;

  constructor(parameters: RtoParameters) {
    this.#parameters = parameters;
    this.#base = parameters.initialMs;
  }

  /** The current timeout, backoff included. */
  get rto(): number {
    return Math.min(this.#parameters.maxMs, this.#base * 2 ** this.backoff);
  }

  /** A new RTT measurement `r` ms (RFC 6298 §2.2, §2.3). */
  sample(r: number): void {
    if (r < 0) return;
    if (this.srtt < 0) {
      // §2.2: the first measurement.
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      // §2.3: RTTVAR before SRTT, as the RFC orders them.
      this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - r);
      this.srtt = (1 - ALPHA) * this.srtt + ALPHA * r;
    }
    this.#base = Math.min(this.#parameters.maxMs, Math.max(this.#parameters.minMs, this.srtt + Math.max(G, K * this.rttvar)));
  }

  /** §5.5: the timer expired: back off (the RTO doubles, up to the maximum). */
  expired(): void {
    if (this.rto < this.#parameters.maxMs) this.backoff++;
  }

  /** New data was acknowledged: the backoff ends (§5.7 lets the RTO be recomputed from SRTT). */
  acknowledged(): void {
    this.backoff = 0;
  }
}
