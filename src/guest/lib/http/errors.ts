/**
 * @module tsuki/http/errors
 * What the request parsers return for malformed or unacceptable input: a value naming the status
 * to answer with and why, never a thrown exception (STYLE.md: malformed input is a value). Every
 * such answer closes the connection, since what follows on it can no longer be trusted.
 */

export interface ProtocolError {
  readonly kind: "error";
  /** 400, 408, 413, 414, 417, 431, 501 or 505. */
  readonly status: number;
  /** A short explanation, sent as the body of the error response. */
  readonly message: string;
}

export function protocolError(status: number, message: string): ProtocolError {
  return { kind: "error", status, message };
}
