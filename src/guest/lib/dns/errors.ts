/**
 * @module tsuki/dns/errors
 * `ZoneError`, a zone file that cannot be served (with the file, line and column of what is wrong
 * and how to fix it), and `WireError`, bytes that are not a well-formed DNS message: errors with a
 * stable `code`, in the shape every guest library's errors share (`CodedError`), their codes listed
 * in `DNS_ERROR_CODES` with what each means.
 */

import { CodedError } from "../../sdk/errors.ts";

/** Every code an error of tsuki/dns can have, and what it means. */
export const DNS_ERROR_CODES = {
  ERR_DNS_ZONE: "a zone file that cannot be served (ZoneError: file, line and column say where)",
  ERR_DNS_WIRE: "bytes that are not a well-formed DNS message (WireError: offset says where decoding stopped)",
} as const;

export type DNSErrorCode = keyof typeof DNS_ERROR_CODES;

export class ZoneError extends CodedError<"ERR_DNS_ZONE"> {
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(file: string, line: number, column: number, message: string) {
    super("ZoneError", "ERR_DNS_ZONE", `${file}:${line}:${column}: ${message}`);
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** Why a message could not be decoded; `offset` is where the decoder stopped. */
export class WireError extends CodedError<"ERR_DNS_WIRE"> {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super("WireError", "ERR_DNS_WIRE", `${message} (at byte ${offset})`);
    this.offset = offset;
  }
}
