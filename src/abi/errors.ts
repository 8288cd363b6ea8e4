/**
 * @module abi/errors
 * Every error code that crosses the ABI, in one table. They are values, never host exceptions: the
 * host answers a bad call with `{ errno, message }`, and reports a failed connection or flush with
 * an `errno` in its event; the guest runtime turns either into an `Error` with that `code`. The
 * codes are Node's (and POSIX's) names, so that guest libraries treat them like Node system
 * errors, and guest libraries that fail the same way (the in-guest TCP/IP stack) use the same
 * names. A code never changes meaning; messages may. A TLS connector's refusal of the server's
 * certificate crosses with OpenSSL's verification code (`TlsCertCode`), so that a guest can say
 * why; any other TLS failure as `EPROTO`, and any other code the host meets as `EIO`
 * (`deviceErrno`).
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
  /** A TLS connector's handshake failed for a reason other than the server's certificate (OpenSSL's `ERR_SSL_*`). */
  EPROTO: "EPROTO",
  /** An input/output error the host cannot name more precisely: every code not in these tables. */
  EIO: "EIO",
  /** The block device's backing store is full. */
  ENOSPC: "ENOSPC",
  /** The block device's backing store is over its quota. */
  EDQUOT: "EDQUOT",
  /** The block device's backing store is read-only. */
  EROFS: "EROFS",
} as const;

export type Errno = (typeof Errno)[keyof typeof Errno];

/**
 * Why a TLS connector refused the server's certificate: OpenSSL's verification results as Node
 * names them, and Node's own for a certificate that does not cover the server's name. Each is the
 * `code` of the guest's `connect()` error (and the `cause` of a `fetch` TypeError).
 */
export const TlsCertCode = {
  UNABLE_TO_GET_ISSUER_CERT: "the issuer of a certificate in the chain could not be found",
  UNABLE_TO_GET_CRL: "a certificate revocation list could not be found",
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: "a certificate's signature could not be decrypted",
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: "a revocation list's signature could not be decrypted",
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: "the issuer's public key could not be read",
  CERT_SIGNATURE_FAILURE: "a certificate's signature is invalid",
  CRL_SIGNATURE_FAILURE: "a revocation list's signature is invalid",
  CERT_NOT_YET_VALID: "a certificate is not valid yet",
  CERT_HAS_EXPIRED: "a certificate has expired",
  CRL_NOT_YET_VALID: "a revocation list is not valid yet",
  CRL_HAS_EXPIRED: "a revocation list has expired",
  ERROR_IN_CERT_NOT_BEFORE_FIELD: "a certificate's notBefore field is malformed",
  ERROR_IN_CERT_NOT_AFTER_FIELD: "a certificate's notAfter field is malformed",
  ERROR_IN_CRL_LAST_UPDATE_FIELD: "a revocation list's lastUpdate field is malformed",
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: "a revocation list's nextUpdate field is malformed",
  OUT_OF_MEM: "OpenSSL ran out of memory while verifying",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed and not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "the chain ends in a self-signed certificate that is not trusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the issuer of a certificate is not among the trusted ones",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate could not be verified (no chain to a trusted issuer)",
  CERT_CHAIN_TOO_LONG: "the chain is longer than allowed",
  CERT_REVOKED: "a certificate has been revoked",
  INVALID_CA: "a CA certificate is invalid",
  PATH_LENGTH_EXCEEDED: "a CA's path length constraint is exceeded",
  INVALID_PURPOSE: "a certificate may not be used for this purpose",
  CERT_UNTRUSTED: "the root is not trusted for this purpose",
  CERT_REJECTED: "the root is marked to reject this purpose",
  HOSTNAME_MISMATCH: "the certificate does not match the host name (OpenSSL's check)",
  ERR_TLS_CERT_ALTNAME_INVALID: "the certificate does not cover the server's name (the connector's `servername`)",
} as const;

export type TlsCertCode = keyof typeof TlsCertCode;

/** What a device error crosses the ABI as: an errno, or a TLS connector's certificate refusal. */
export type DeviceErrno = Errno | TlsCertCode;

/** Whether `code` is a code of the errno table. */
export function isErrno(code: unknown): code is Errno {
  return typeof code === "string" && Object.hasOwn(Errno, code);
}

/**
 * The code a device error crosses the ABI with: `code` (a Node system error's, or a TLS
 * certificate refusal's) when a table lists it, `EPROTO` for another TLS failure (OpenSSL's
 * `ERR_SSL_*`), `EIO` for anything else (a library's own code, none at all).
 */
export function deviceErrno(code: unknown): DeviceErrno {
  if (isErrno(code)) return code;
  if (typeof code !== "string") return Errno.EIO;
  if (Object.hasOwn(TlsCertCode, code)) return code as TlsCertCode;
  return code.startsWith("ERR_SSL_") ? Errno.EPROTO : Errno.EIO;
}

/** What a failed hypercall returns. Successful results are never objects with an `errno` key. */
export interface HypercallError {
  readonly errno: Errno;
  readonly message: string;
}

export function isHypercallError(value: unknown): value is HypercallError {
  return typeof value === "object" && value !== null && typeof (value as { errno?: unknown }).errno === "string";
}
