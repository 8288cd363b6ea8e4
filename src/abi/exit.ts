/**
 * @module abi/exit
 * How a unikernel's life ends: the kinds of exit, the exit code each maps to, and the range of
 * codes a guest may choose itself. The tender turns every end into an `ExitStatus` with a code
 * (the tender's own process exit code when it runs one unikernel) and a one-line reason.
 *
 * Guest codes are 0–125, as a shell reserves 126 and up. Codes the tender chooses stay out of
 * the way of ordinary programs: 1 like Node for a crash, sysexits(3) for configuration and image
 * errors, 128+signal for what a signal would have meant on a real process.
 */

export const ExitCode = {
  OK: 0,
  /** The guest aborted: an uncaught exception, an unhandled rejection or `abort()`. */
  ABORTED: 1,
  /** `tsuki` was called wrongly (unknown flag, malformed value). EX_USAGE. */
  USAGE: 64,
  /** The image is missing, truncated, tampered with or of an ABI this tender does not speak. EX_DATAERR. */
  BAD_IMAGE: 65,
  /** The tender failed in a way that is not the guest's fault. EX_SOFTWARE. */
  INTERNAL: 70,
  /** The run configuration does not fit the image (device bindings, limits). EX_CONFIG. */
  CONFIG: 78,
  /** Stopped by SIGINT. */
  SIGINT: 130,
  /** Exceeded its memory limit (as if killed: 128 + SIGKILL). */
  OUT_OF_MEMORY: 137,
  /** Stopped by SIGTERM. */
  SIGTERM: 143,
  /** Ran longer than its CPU budget without yielding (128 + SIGXCPU). */
  CPU_LIMIT: 152,
} as const;

/** The largest exit code a guest may pass to `exit()`. */
export const MAX_GUEST_EXIT_CODE = 125;

export type ExitKind =
  | "returned" // start() settled and nothing was left to wait for
  | "exit" // the guest called exit(code)
  | "aborted" // uncaught exception, unhandled rejection, abort(reason)
  | "out-of-memory" // the isolate's heap limit was reached
  | "cpu-limit" // ran past --cpu-ms without yielding
  | "stopped" // the operator stopped it (signal, tender shutdown)
  | "boot-failed" // the image or its configuration could not be booted
  | "crashed"; // the target failed underneath the guest

export interface ExitStatus {
  readonly kind: ExitKind;
  readonly code: number;
  /** One line, for people: which of the above, and why. */
  readonly reason: string;
}
