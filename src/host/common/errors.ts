/**
 * @module host/common/errors
 * Errors a user of tsuki can cause, each with a stable `code` (never changes while messages may),
 * the exit code the CLI ends with, and a message that says what was wrong, where, and what to do.
 */

import { ExitCode } from "../../abi/exit.ts";

export const ErrorCode = {
  // the command line
  UNKNOWN_COMMAND: ExitCode.USAGE,
  UNKNOWN_FLAG: ExitCode.USAGE,
  FLAG_VALUE: ExitCode.USAGE,
  MISSING_ARGUMENT: ExitCode.USAGE,
  // devices and limits
  DEV_MALFORMED: ExitCode.CONFIG,
  DEV_ORIGIN: ExitCode.CONFIG,
  DEV_BOUND_TWICE: ExitCode.CONFIG,
  DEV_UNBOUND: ExitCode.CONFIG,
  DEV_UNDECLARED: ExitCode.CONFIG,
  DEV_WRONG_KIND: ExitCode.CONFIG,
  DEV_UNSUPPORTED: ExitCode.CONFIG,
  DEV_OPEN: ExitCode.CONFIG,
  // net devices: attaching a TAP interface (no /dev/net/tun or addon, not allowed, in use, other)
  TAP_UNAVAILABLE: ExitCode.CONFIG,
  TAP_PERMISSION: ExitCode.CONFIG,
  TAP_BUSY: ExitCode.CONFIG,
  TAP_OPEN: ExitCode.CONFIG,
  // the run configuration file (tsuki run --config)
  CONFIG_FILE: ExitCode.CONFIG,
  CONFIG_SYNTAX: ExitCode.CONFIG,
  CONFIG_KEY: ExitCode.CONFIG,
  CONFIG_TAG: ExitCode.CONFIG,
  CONFIG_VALUE: ExitCode.CONFIG,
  // targets: the process target cannot build a wall it promises on this host
  SANDBOX_UNAVAILABLE: ExitCode.CONFIG,
  // targets: the memory guard (the isolate and process targets' --mem) cannot be built on this host
  MEMORY_GUARD_UNAVAILABLE: ExitCode.CONFIG,
  // images
  IMAGE_NOT_FOUND: ExitCode.BAD_IMAGE,
  IMAGE_TRUNCATED: ExitCode.BAD_IMAGE,
  IMAGE_MALFORMED: ExitCode.BAD_IMAGE,
  IMAGE_TAMPERED: ExitCode.BAD_IMAGE,
  IMAGE_MANIFEST: ExitCode.BAD_IMAGE,
  IMAGE_ABI: ExitCode.BAD_IMAGE,
  // building
  BUILD_INPUT: ExitCode.USAGE,
  BUILD_IMPORT: ExitCode.BAD_IMAGE,
  BUILD_GLOBAL: ExitCode.BAD_IMAGE,
  BUILD_TYPE: ExitCode.BAD_IMAGE,
  BUILD_DECLARATION: ExitCode.BAD_IMAGE,
  BUILD_ASSETS: ExitCode.BAD_IMAGE,
  // scaffolding
  NEW_EXISTS: ExitCode.USAGE,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

/** One mistake, with its own stable code. */
export interface Problem {
  readonly code: string;
  readonly message: string;
}

export class TsukiError extends Error {
  /** Stable: `ERR_` followed by a key of `ErrorCode`; the first problem's when there are several. */
  readonly code: `ERR_${ErrorCodeName}`;
  readonly exitCode: number;
  /** Every problem's message, when one step found several (e.g. one per bad import). */
  readonly details: readonly string[];
  /** Every problem with its own code: one step can find mistakes of several kinds. */
  readonly problems: readonly Problem[];

  constructor(code: ErrorCodeName, message: string, details: readonly string[] = [], problems?: readonly Problem[]) {
    super(message);
    this.name = "TsukiError";
    this.code = `ERR_${code}`;
    this.exitCode = ErrorCode[code];
    this.details = details;
    this.problems = problems ?? [message, ...details.slice(1)].map((text) => ({ code: this.code, message: text }));
  }
}
