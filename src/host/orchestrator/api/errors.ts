/**
 * @module host/orchestrator/api/errors
 * Errors of tsukid's API, each with a stable `code` (messages may improve, codes never change),
 * the HTTP status the local API answers with, and the exit code the `tsuki` client ends with, all
 * from the host's one table of codes (host/common/error-codes.ts). Errors the tender raises
 * (`ERR_DEV_*`, `ERR_IMAGE_*`, `ERR_FLAG_VALUE`) cross the API with their own codes and the
 * problems they list.
 *
 * Every error body is short whatever caused it (`errorBody`): a message quotes what it found, and
 * input can be large (an image's manifest with a million keys, a 60 MB key), so the message is cut
 * at ERROR_LIMITS.messageBytes, the problems after ERROR_LIMITS.problems (the last one saying how
 * many more there were), each at ERROR_LIMITS.problemBytes, all counted as encoded in the JSON
 * answer: a body is never much over 11 KiB.
 */

import { ExitCode } from "../../../abi/index.ts";
import { type ErrorCodeName, type Problem, TsukiError } from "../../common/errors.ts";

/**
 * An error of tsukid itself (its API, store, certificates), as opposed to one the tender raised:
 * a `TsukiError` whose code, HTTP status and exit code come from the host's one table
 * (host/common/error-codes.ts). A class of its own so that the daemon can tell its own refusals
 * from what a tender threw.
 */
export class DaemonError extends TsukiError {
  constructor(code: ErrorCodeName, message: string) {
    super(code, message);
    this.name = "DaemonError";
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
  // The daemon's own errors, and the tender's (its configuration and image errors are the client's
  // to fix: 422, with their problems): the status the table gives their code.
  if (error instanceof TsukiError) return { status: error.status, body: short(error.code, error.message, error.problems, error.exitCode) };
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
