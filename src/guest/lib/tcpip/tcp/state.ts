/**
 * @module tcpip/tcp/state
 * The connection states of RFC 9293 §3.3.2 (LISTEN is the listener's, not a connection's).
 */

export const State = {
  CLOSED: 0,
  SYN_SENT: 1,
  SYN_RECEIVED: 2,
  ESTABLISHED: 3,
  FIN_WAIT_1: 4,
  FIN_WAIT_2: 5,
  CLOSE_WAIT: 6,
  CLOSING: 7,
  LAST_ACK: 8,
  TIME_WAIT: 9,
} as const;

export type State = (typeof State)[keyof typeof State];

export const STATE_NAMES: readonly string[] = ["CLOSED", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"];

/** States in which we may still send data (and retransmit it). */
export function canSendData(state: State): boolean {
  return state === State.ESTABLISHED || state === State.CLOSE_WAIT;
}

/** Synchronized states (RFC 9293 §3.5): after the handshake. */
export function isSynchronized(state: State): boolean {
  return state >= State.ESTABLISHED;
}

/** States in which received data is accepted (RFC 9293 §3.10.7.4, seventh check). */
export function acceptsData(state: State): boolean {
  return state === State.ESTABLISHED || state === State.FIN_WAIT_1 || state === State.FIN_WAIT_2;
}
