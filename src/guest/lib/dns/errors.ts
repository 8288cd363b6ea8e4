/**
 * @module tsuki/dns/errors
 * `ZoneError`, a zone file that cannot be served (with the file, line and column of what is wrong
 * and how to fix it), and `WireError`, bytes that are not a well-formed DNS message.
 */

export class ZoneError extends Error {
  readonly code = "ERR_DNS_ZONE" as const;
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(file: string, line: number, column: number, message: string) {
    super(`${file}:${line}:${column}: ${message}`);
    this.name = "ZoneError";
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** Why a message could not be decoded; `offset` is where the decoder stopped. */
export class WireError extends Error {
  readonly code = "ERR_DNS_WIRE" as const;
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = "WireError";
    this.offset = offset;
  }
}
