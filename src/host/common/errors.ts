/**
 * @module host/common/errors
 * Errors a user of tsuki can cause, each with a stable `code` (never changes while messages may),
 * the exit code the CLI ends with, the HTTP status tsukid answers with, and a message that says
 * what was wrong, where, and what to do. Codes, exit codes and statuses come from the one table
 * of error-codes.ts; tsukid's `DaemonError` is a subclass of `TsukiError`.
 */

import { ERROR_CODES, type ErrorCodeName } from "./error-codes.ts";

export { ERROR_CODES, type ErrorCodeInfo, type ErrorCodeName, isErrorCodeName } from "./error-codes.ts";

/** One mistake, with its own stable code. */
export interface Problem {
  readonly code: string;
  readonly message: string;
}

/** The status of an error whose code the API never answers with (the table gives none): a tender's error, the client's to fix. */
const DEFAULT_STATUS = 422;

export class TsukiError extends Error {
  /** Stable: `ERR_` followed by a key of `ERROR_CODES`; the first problem's when there are several. */
  readonly code: `ERR_${ErrorCodeName}`;
  readonly exitCode: number;
  /** The HTTP status of tsukid's answer when this error ends a request. */
  readonly status: number;
  /** Every problem's message, when one step found several (e.g. one per bad import). */
  readonly details: readonly string[];
  /** Every problem with its own code: one step can find mistakes of several kinds. */
  readonly problems: readonly Problem[];

  constructor(code: ErrorCodeName, message: string, details: readonly string[] = [], problems?: readonly Problem[]) {
    super(message);
    this.name = "TsukiError";
    this.code = `ERR_${code}`;
    const info: { exit: number; status?: number } = ERROR_CODES[code];
    this.exitCode = info.exit;
    this.status = info.status ?? DEFAULT_STATUS;
    this.details = details;
    this.problems = problems ?? [message, ...details.slice(1)].map((text) => ({ code: this.code, message: text }));
  }
}
