/**
 * @module host/build/problems
 * How the build reports what it found: one line per problem, each with its stable code, capped so
 * that a package that uses `process` five hundred times, or a port with a thousand type errors,
 * gives a list a person reads to the end ("… and 480 more"). Every check of the build throws
 * through here, and checks that ran side by side report together in one error.
 */

import { type ErrorCodeName, type Problem, TsukiError } from "../common/errors.ts";

/** The most lines of one kind printed; the rest are counted. */
export const MAX_LISTED = 20;

export interface Found {
  readonly code: ErrorCodeName;
  /** What the lines are, e.g. "import(s) cannot work inside a unikernel". */
  readonly what: string;
  readonly lines: readonly string[];
}

/** The lines of one kind, at most `max` of them, then "and N more". */
export function capped(lines: readonly string[], max = MAX_LISTED): string[] {
  return lines.length <= max ? [...lines] : [...lines.slice(0, max), `and ${lines.length - max} more`];
}

/** Throws one error holding every kind found (its code is the first kind's); returns if nothing was found. */
export function throwFound(...found: readonly Found[]): void {
  const kinds = found.filter((f) => f.lines.length > 0);
  if (kinds.length === 0) return;
  const problems: Problem[] = kinds.flatMap((f) => capped(f.lines).map((message) => ({ code: `ERR_${f.code}`, message })));
  const message = kinds.map((f) => `${f.lines.length} ${f.what}:\n  ${capped(f.lines).join("\n  ")}`).join("\n");
  throw new TsukiError(kinds[0]!.code, message, kinds.flatMap((f) => f.lines), problems);
}
