/**
 * @module tcpip/dhcp/timing
 * When a DHCP client sends again. Pure functions of the attempt number, the times and a source of
 * random bytes, so a test can check every deadline with a virtual clock.
 */

/** RFC 2131 §4.1: the first retransmission 4 s after the first send, doubling up to 64 s, each ±1 s. */
export const FIRST_RETRANSMIT_MS = 4_000;
export const MAX_RETRANSMIT_MS = 64_000;
export const JITTER_MS = 1_000;
/** RFC 2131 §4.4.5: in RENEWING and REBINDING, wait half the time left, but at least 60 s. */
export const MIN_RENEW_RETRANSMIT_MS = 60_000;

/** A uniform integer in [-JITTER_MS, +JITTER_MS] from two random bytes. */
export function jitter(random: (bytes: Uint8Array) => void): number {
  const bytes = new Uint8Array(2);
  random(bytes);
  const value = (bytes[0]! << 8) | bytes[1]!;
  return Math.round((value / 0xffff) * 2 * JITTER_MS) - JITTER_MS;
}

/**
 * The delay before retransmission number `attempt + 1` of a message sent `attempt + 1` times so
 * far (attempt 0 is the first send): 4, 8, 16, 32, 64, 64, … seconds, each randomised by ±1 s
 * (RFC 2131 §4.1, "randomized by the value of a uniform random number chosen from the range -1
 * to +1").
 */
export function backoff(attempt: number, random: (bytes: Uint8Array) => void): number {
  const base = Math.min(MAX_RETRANSMIT_MS, FIRST_RETRANSMIT_MS * 2 ** Math.min(attempt, 4));
  return base + jitter(random);
}

/**
 * The next retransmission in RENEWING (until T2) or REBINDING (until expiry): half of the time
 * left, at least 60 s, and never past `limit` (RFC 2131 §4.4.5).
 */
export function renewRetransmit(now: number, limit: number): number {
  return Math.min(limit, now + Math.max(MIN_RENEW_RETRANSMIT_MS, (limit - now) / 2));
}

/** An infinite lease (RFC 2132 §9.2: 0xffffffff). */
export const INFINITE_LEASE = 0xffffffff;

/**
 * T1 and T2 in seconds for a lease of `lease` seconds: the server's values if they are ordered
 * (T1 ≤ T2 ≤ lease), else the defaults 0.5 × lease and 0.875 × lease (RFC 2131 §4.4.5).
 */
export function leaseTimers(lease: number, t1: number | undefined, t2: number | undefined): { t1: number; t2: number } {
  if (lease === INFINITE_LEASE) return { t1: INFINITE_LEASE, t2: INFINITE_LEASE };
  let renew = t1 ?? Math.floor(lease * 0.5);
  let rebind = t2 ?? Math.floor(lease * 0.875);
  if (rebind > lease) rebind = Math.floor(lease * 0.875);
  if (renew > rebind) renew = Math.min(Math.floor(lease * 0.5), rebind);
  return { t1: renew, t2: rebind };
}

/** A time `seconds` after `from` in ms, Infinity for an infinite lease. */
export function after(from: number, seconds: number): number {
  return seconds === INFINITE_LEASE ? Infinity : from + seconds * 1000;
}
