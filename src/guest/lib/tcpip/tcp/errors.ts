/**
 * @module tcpip/tcp/errors
 * Node-shaped system errors for the socket API: a stable `code`, the `syscall`, and for connects the
 * `address` and `port` (`connect ECONNREFUSED 10.0.0.2:80`).
 */

export interface SystemError extends Error {
  code: string;
  syscall: string;
  address?: string;
  port?: number;
}

export function systemError(code: string, syscall: string, address?: string, port?: number): SystemError {
  const where = address === undefined ? "" : port === undefined ? ` ${address}` : ` ${address}:${port}`;
  const error = new Error(`${syscall} ${code}${where}`) as SystemError;
  error.code = code;
  error.syscall = syscall;
  if (address !== undefined) error.address = address;
  if (port !== undefined) error.port = port;
  return error;
}
