/**
 * @module guest/sdk/errors
 * The one shape of a system error in a unikernel, as Node's: an `Error` with a stable `code` (an
 * errno name, `src/abi/errors.ts`), the `syscall` that failed, and for a socket the `address` and
 * `port` (`connect ECONNREFUSED 10.0.0.2:80`). The guest runtime throws it for a hypercall the host
 * refused and for a device's failure (a write after the peer reset, a flush that failed); the
 * in-guest TCP/IP stack throws it for the same failures of its own sockets, so a library handles
 * either the same way (by `code`).
 */

export interface SystemError extends Error {
  code: string;
  syscall: string;
  address?: string;
  port?: number;
}

/** Where a system error happened and what more to say: the message reads `syscall code address:port: detail`. */
export interface SystemErrorDetail {
  readonly address?: string | undefined;
  readonly port?: number | undefined;
  readonly detail?: string | undefined;
}

/** A system error with `code` from `syscall`, shaped like Node's. */
export function systemError(code: string, syscall: string, where: SystemErrorDetail = {}): SystemError {
  const { address, port, detail } = where;
  const at = address === undefined ? "" : port === undefined ? ` ${address}` : ` ${address}:${port}`;
  const error = new Error(`${syscall} ${code}${at}${detail === undefined ? "" : `: ${detail}`}`) as SystemError;
  error.code = code;
  error.syscall = syscall;
  if (address !== undefined) error.address = address;
  if (port !== undefined) error.port = port;
  return error;
}

/** Whether `error` is a system error (an `Error` with a string `code` and `syscall`), whoever made it. */
export function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string" && typeof (error as { syscall?: unknown }).syscall === "string";
}

/**
 * The one shape of a guest library's error (tsuki/kv's `KVError`, tsuki/dns's `ZoneError` and
 * `WireError`, tsuki/tcpip's `DnsError`): an `Error` whose `name` is its class and whose `code` is
 * stable, one of the library's table of codes (`KV_ERROR_CODES`, `DNS_ERROR_CODES`,
 * `RESOLVER_ERROR_CODES`: code → what it means). Messages may improve; codes do not change.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(name: string, code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
    this.code = code;
  }
}
