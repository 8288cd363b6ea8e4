/**
 * @module tcpip/dns-stub-errors
 * The stub resolver's errors: `DnsError`, with the stable codes of Node's `dns` module, in the
 * shape every guest library's errors share (`CodedError`); `RESOLVER_ERROR_CODES` lists them with
 * what each means (the message when no detail is given).
 */

import { CodedError } from "../../sdk/errors.ts";

/** Every code a `DnsError` can have (Node's `dns` codes), and what it means. */
export const RESOLVER_ERROR_CODES = {
  ENOTFOUND: "the domain name does not exist (NXDOMAIN)",
  ENODATA: "the name exists but has no records of this type",
  ETIMEOUT: "no server answered in time",
  ESERVFAIL: "the server failed (SERVFAIL)",
  EREFUSED: "the server refused the query (REFUSED)",
  EFORMERR: "the server could not read the query (FORMERR)",
  ENOTIMP: "the server does not implement the query (NOTIMP)",
  EBADRESP: "the answer was malformed",
  EBADNAME: "not a domain name",
  ETRUNCATED: "the answer was truncated (TC) and no TCP connector was given to retry over TCP",
  ECONNREFUSED: "the query could not be sent",
} as const;

export type DnsErrorCode = keyof typeof RESOLVER_ERROR_CODES;

/** A failed lookup: `code` is stable (Node's dns codes), `syscall` `queryA` etc., `hostname` what was asked. */
export class DnsError extends CodedError<DnsErrorCode> {
  readonly syscall: string;
  readonly hostname: string;

  constructor(code: DnsErrorCode, syscall: string, hostname: string, detail?: string, options?: { cause?: unknown }) {
    super("DnsError", code, `${syscall} ${code} ${hostname}: ${detail || RESOLVER_ERROR_CODES[code]}`, options);
    this.syscall = syscall;
    this.hostname = hostname;
  }
}
