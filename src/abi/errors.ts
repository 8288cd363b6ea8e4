/**
 * @module abi/errors
 * Error codes a hypercall can return. They are values, never host exceptions: the host answers a
 * bad call with `{ errno, message }` and the guest runtime turns that into an `Error` with a `code`.
 * The codes are Node's (and POSIX's) names so that guest libraries can treat them like Node
 * system errors. A code never changes meaning; messages may.
 */

export const Errno = {
  /** An argument has the wrong type, is out of range or is malformed. */
  EINVAL: "EINVAL",
  /** The handle does not name a resource this unikernel owns, or names one of another kind. */
  EBADF: "EBADF",
  /** No such hypercall in this ABI version. */
  ENOSYS: "ENOSYS",
  /** The unikernel has already exited; no further calls are served. */
  ESRCH: "ESRCH",
  /** A size limit of the ABI was exceeded (e.g. one console write over `LIMITS.consoleWrite`). */
  E2BIG: "E2BIG",
  /** Try again later (reserved for non-blocking device calls). */
  EAGAIN: "EAGAIN",
} as const;

export type Errno = (typeof Errno)[keyof typeof Errno];

/** What a failed hypercall returns. Successful results are never objects with an `errno` key. */
export interface HypercallError {
  readonly errno: Errno;
  readonly message: string;
}

export function isHypercallError(value: unknown): value is HypercallError {
  return typeof value === "object" && value !== null && typeof (value as { errno?: unknown }).errno === "string";
}
