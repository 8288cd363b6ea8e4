/**
 * @module abi/errors
 * Every error code that crosses the ABI, in one table. They are values, never host exceptions: the
 * host answers a bad call with `{ errno, message }`, and reports a failed connection or flush with
 * an `errno` in its event; the guest runtime turns either into an `Error` with that `code`. The
 * codes are Node's (and POSIX's) names, so that guest libraries treat them like Node system
 * errors, and guest libraries that fail the same way (the in-guest TCP/IP stack) use the same
 * names. A code never changes meaning; messages may. A code the host meets that is not listed
 * here crosses as `EIO` (`deviceErrno`).
 */

export const Errno = {
  // The hypercall layer: the host's validation of every call.
  /** An argument has the wrong type, is out of range or is malformed. */
  EINVAL: "EINVAL",
  /** The handle does not name a resource this unikernel owns, or names one of another kind. */
  EBADF: "EBADF",
  /** No such hypercall in this ABI version. */
  ENOSYS: "ENOSYS",
  /** The unikernel has already exited (or its turn ran past its CPU limit); no further calls are served. */
  ESRCH: "ESRCH",
  /** A size limit of the ABI was exceeded (e.g. one console write over `LIMITS.consoleWrite`). */
  E2BIG: "E2BIG",
  /** Try again later: a connector at its connection limit, or the host out of descriptors for now. */
  EAGAIN: "EAGAIN",

  // Devices: why a send was refused, a connection ended or a flush failed.
  /** The binding does not allow it: a udp datagram to an address that is neither the fixed peer nor a recent sender. */
  EACCES: "EACCES",
  /** A write to a connection whose sending side is closed (by us, or reset by the peer). */
  EPIPE: "EPIPE",
  /** The peer reset the connection. */
  ECONNRESET: "ECONNRESET",
  /** The connector's endpoint (or the in-guest stack's peer) refused the connection. */
  ECONNREFUSED: "ECONNREFUSED",
  /** The connection was aborted on this side (the stack closing, a listener closed before accept). */
  ECONNABORTED: "ECONNABORTED",
  /** A connect or an established connection timed out (no answer, retransmissions exhausted). */
  ETIMEDOUT: "ETIMEDOUT",
  /** No route to the peer's host. */
  EHOSTUNREACH: "EHOSTUNREACH",
  /** The peer's host is down. */
  EHOSTDOWN: "EHOSTDOWN",
  /** No route to the peer's network. */
  ENETUNREACH: "ENETUNREACH",
  /** The network is down. */
  ENETDOWN: "ENETDOWN",
  /** The network dropped the connection on reset. */
  ENETRESET: "ENETRESET",
  /** The local address cannot be used (not configured yet, or no free port left). */
  EADDRNOTAVAIL: "EADDRNOTAVAIL",
  /** The local address and port are already in use. */
  EADDRINUSE: "EADDRINUSE",
  /** A send on a socket with no destination and no peer. */
  EDESTADDRREQ: "EDESTADDRREQ",
  /** An input/output error the host cannot name more precisely: every code not in this table. */
  EIO: "EIO",
  /** The block device's backing store is full. */
  ENOSPC: "ENOSPC",
  /** The block device's backing store is over its quota. */
  EDQUOT: "EDQUOT",
  /** The block device's backing store is read-only. */
  EROFS: "EROFS",
} as const;

export type Errno = (typeof Errno)[keyof typeof Errno];

/** Whether `code` is a code of the table. */
export function isErrno(code: unknown): code is Errno {
  return typeof code === "string" && Object.hasOwn(Errno, code);
}

/**
 * The code a device error crosses the ABI with: `code` (a Node system error's) when the table
 * lists it, `EIO` for anything else (a library's own code, an OpenSSL reason, none at all).
 */
export function deviceErrno(code: unknown): Errno {
  return isErrno(code) ? code : Errno.EIO;
}

/** What a failed hypercall returns. Successful results are never objects with an `errno` key. */
export interface HypercallError {
  readonly errno: Errno;
  readonly message: string;
}

export function isHypercallError(value: unknown): value is HypercallError {
  return typeof value === "object" && value !== null && typeof (value as { errno?: unknown }).errno === "string";
}
