/**
 * @module host/orchestrator/api/errors
 * Errors of tsukid's API, each with a stable `code` (messages may improve, codes never change),
 * the HTTP status the local API answers with, and the exit code the `tsuki` client ends with.
 * Errors the tender raises (`ERR_DEV_*`, `ERR_IMAGE_*`, `ERR_FLAG_VALUE`) cross the API with
 * their own codes and the problems they list.
 *
 * Every error body is short whatever caused it (`errorBody`): a message quotes what it found, and
 * input can be large (an image's manifest with a million keys, a 60 MB key), so the message is cut
 * at ERROR_LIMITS.messageBytes, the problems after ERROR_LIMITS.problems (the last one saying how
 * many more there were), each at ERROR_LIMITS.problemBytes, all counted as encoded in the JSON
 * answer: a body is never much over 11 KiB.
 */

import { ExitCode } from "../../../abi/index.ts";
import { type Problem, TsukiError } from "../../common/errors.ts";

/** sysexits(3) codes the client uses beyond those of src/abi/exit.ts. */
const EX_NOINPUT = 66;
const EX_UNAVAILABLE = 69;
const EX_CANTCREAT = 73;
const EX_TEMPFAIL = 75;
const EX_NOPERM = 77;

export const DaemonErrorCode = {
  /** Not JSON, wrong types, unknown keys, an unknown route. */
  REQUEST_MALFORMED: { status: 400, exit: ExitCode.USAGE },
  /** A value of the right type but out of range (memory, CPU, priority, target, restart policy). */
  REQUEST_VALUE: { status: 400, exit: ExitCode.USAGE },
  /** A body larger than the daemon accepts (images: --max-image). */
  REQUEST_TOO_LARGE: { status: 413, exit: ExitCode.USAGE },
  NAME_INVALID: { status: 400, exit: ExitCode.USAGE },
  NAME_TAKEN: { status: 409, exit: EX_CANTCREAT },
  NOT_FOUND: { status: 404, exit: EX_NOINPUT },
  /** A create binds a block volume that does not exist: `tsuki block create` it first. */
  BLOCK_NOT_FOUND: { status: 404, exit: EX_NOINPUT },
  /** A block volume that a unikernel binds cannot be destroyed: destroy the unikernel first. */
  BLOCK_IN_USE: { status: 409, exit: EX_TEMPFAIL },
  /** The create names an image by SHA-256 that the daemon does not hold: upload it first. */
  IMAGE_UNKNOWN: { status: 404, exit: ExitCode.BAD_IMAGE },
  /** The uploaded bytes do not hash to the SHA-256 they were sent under. */
  IMAGE_HASH: { status: 400, exit: ExitCode.BAD_IMAGE },
  /** A tenant (with its sub-tenants) made more requests a second than the daemon takes: wait (Retry-After). */
  RATE_LIMITED: { status: 429, exit: EX_TEMPFAIL },
  /** As many image uploads are under way as the daemon takes (in all, or for this tenant): try again. */
  UPLOADS_BUSY: { status: 429, exit: EX_TEMPFAIL },
  /** A unikernel's console already has as many followers as it takes. */
  CONSOLE_BUSY: { status: 429, exit: EX_TEMPFAIL },
  /** The daemon holds as many tenants' connections as it takes (all together, or this tenant's): tsuki daemon --max-authenticated, --max-tenant-connections. */
  CONNECTION_LIMIT: { status: 429, exit: EX_TEMPFAIL },
  /** The daemon trusts keys and the image carries no signature. */
  IMAGE_UNSIGNED: { status: 403, exit: ExitCode.BAD_IMAGE },
  /** The signature is malformed, for another image, by an untrusted key, or does not verify. */
  SIGNATURE_INVALID: { status: 403, exit: ExitCode.BAD_IMAGE },
  /** The client cannot reach the daemon's socket. */
  DAEMON_UNREACHABLE: { status: 503, exit: EX_UNAVAILABLE },
  /** Another daemon already answers on the socket. */
  DAEMON_RUNNING: { status: 409, exit: EX_UNAVAILABLE },
  /** The metrics listener (--metrics ADDR:PORT) cannot listen: the address is in use or not on this host. */
  METRICS_LISTEN: { status: 500, exit: ExitCode.CONFIG },
  /** The process may open too few files for what it was asked to serve (RLIMIT_NOFILE against the descriptor reserve). */
  DESCRIPTORS: { status: 500, exit: ExitCode.CONFIG },
  /** The state directory cannot be made, read or locked. */
  STATE_DIR: { status: 500, exit: ExitCode.CONFIG },
  /** A certificate or key file that cannot be read or parsed (tsuki ca / cert, --cert, --key, --ca). */
  CERT_FILE: { status: 400, exit: ExitCode.CONFIG },
  /** A client chain the daemon cannot map to a tenant: no tenant certificate, a bad name, no or a malformed policy. */
  CERT_INVALID: { status: 403, exit: EX_NOPERM },
  /** A policy that is malformed or out of range (policy file, --max-unikernels, …, or in a certificate). */
  POLICY_INVALID: { status: 400, exit: ExitCode.USAGE },
  /** A tenant certificate whose policy does not fit inside its parent's. */
  POLICY_EXCEEDS_PARENT: { status: 403, exit: EX_NOPERM },
  /** A create that would take a tenant (or one of its ancestors) past its budget: unikernels, memory, storage. */
  POLICY_BUDGET: { status: 403, exit: EX_NOPERM },
  /** A create that asks for what the policy does not allow: a target, a listen address or port, a device kind. */
  POLICY_DENIED: { status: 403, exit: EX_NOPERM },
  /** Client side: the daemon refused our certificate because another CA issued it. */
  TLS_CERT_UNTRUSTED: { status: 403, exit: EX_NOPERM },
  /** Client side: the daemon refused our certificate (or one of its chain) because it has expired or is not valid yet. */
  TLS_CERT_EXPIRED: { status: 403, exit: EX_NOPERM },
  /** Client side: the daemon wants a client certificate and we sent none. */
  TLS_CERT_REQUIRED: { status: 403, exit: EX_NOPERM },
  /** Client side: the daemon's certificate is not issued by the CA we trust, or not for the host we asked for. */
  TLS_SERVER_UNTRUSTED: { status: 403, exit: EX_NOPERM },
  /** Client side: any other TLS failure (a protocol version below 1.3, a broken handshake). */
  TLS_HANDSHAKE: { status: 503, exit: EX_UNAVAILABLE },
  /** A bug in tsukid. */
  INTERNAL: { status: 500, exit: ExitCode.INTERNAL },
} as const;

export type DaemonErrorCodeName = keyof typeof DaemonErrorCode;

export class DaemonError extends Error {
  /** Stable: `ERR_` and a key of DaemonErrorCode, or a tender's code carried over the API. */
  readonly code: string;
  readonly status: number;
  readonly exitCode: number;
  readonly problems: readonly Problem[];

  constructor(code: DaemonErrorCodeName, message: string) {
    super(message);
    this.name = "DaemonError";
    this.code = `ERR_${code}`;
    this.status = DaemonErrorCode[code].status;
    this.exitCode = DaemonErrorCode[code].exit;
    this.problems = [{ code: this.code, message }];
  }
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly problems: readonly Problem[]; readonly exit: number };
}

/** How long an error body may grow (`errorBody`); bytes as encoded in the JSON text. */
export const ERROR_LIMITS = { messageBytes: 1024, problems: 16, problemBytes: 512, codeBytes: 64 } as const;

/** Any error as the API's error body and HTTP status: ours, the tender's, or unforeseen (500); always short. */
export function errorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof DaemonError) return { status: error.status, body: short(error.code, error.message, error.problems, error.exitCode) };
  // The tender's configuration and image errors are the client's to fix: 422, with their problems.
  if (error instanceof TsukiError) return { status: 422, body: short(error.code, error.message, error.problems, error.exitCode) };
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: short("ERR_INTERNAL", `tsukid failed unexpectedly: ${message}`, [{ code: "ERR_INTERNAL", message }], ExitCode.INTERNAL) };
}

function short(code: string, message: string, problems: readonly Problem[], exit: number): ErrorBody {
  const { messageBytes, problemBytes, codeBytes } = ERROR_LIMITS;
  const kept = problems.length > ERROR_LIMITS.problems ? problems.slice(0, ERROR_LIMITS.problems - 1) : problems;
  const listed = kept.map((p) => ({ code: clip(String(p.code), codeBytes), message: clip(String(p.message), problemBytes) }));
  if (kept.length < problems.length) listed.push({ code: listed[0]?.code ?? clip(code, codeBytes), message: `… and ${problems.length - kept.length} more problems (only the first ${kept.length} are listed)` });
  return { error: { code: clip(code, codeBytes), message: clip(message, messageBytes), problems: listed, exit } };
}

/** `text` cut so that its JSON encoding fits in `max` bytes, saying how much was cut. */
export function clip(text: string, max: number): string {
  const size = (t: string) => Buffer.byteLength(JSON.stringify(t)) - 2;
  if (text.length <= max && size(text) <= max) return text;
  const note = (n: number) => `… (${text.length - n} more characters)`;
  // Every character encodes to at least one byte: start from `max` and shrink until it fits.
  let n = Math.min(text.length, max);
  while (n > 0 && size(text.slice(0, n)) + size(note(n)) > max) n = Math.floor(n * 0.8);
  // Not half of a surrogate pair.
  const last = text.charCodeAt(n - 1);
  if (last >= 0xd800 && last <= 0xdbff) n--;
  return text.slice(0, n) + note(n);
}

/** An error answer received by the client, rebuilt with its code, problems and exit code. */
export class RemoteError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly problems: readonly Problem[];

  constructor(body: ErrorBody["error"]) {
    super(body.message);
    this.name = "RemoteError";
    this.code = body.code;
    this.exitCode = body.exit;
    this.problems = body.problems.length > 0 ? body.problems : [{ code: body.code, message: body.message }];
  }

  static from(error: DaemonError): RemoteError {
    return new RemoteError({ code: error.code, message: error.message, problems: error.problems, exit: error.exitCode });
  }
}
