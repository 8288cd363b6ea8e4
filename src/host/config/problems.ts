/**
 * @module host/config/problems
 * Mistakes in a run configuration file. Each has a stable code, the key it is about as a path
 * (`devices.web`, `args.hosts[1]`), its line and column, and a message that says what is wrong
 * there and how to fix it. A file is checked in full, so one run reports every mistake, in the
 * order of the file.
 */

import { TsukiError } from "../common/errors.ts";

export type ConfigCode = "CONFIG_SYNTAX" | "CONFIG_KEY" | "CONFIG_TAG" | "CONFIG_VALUE";

export interface ConfigProblem {
  readonly code: `ERR_${ConfigCode}`;
  /** The key the mistake is about, as a path (`devices.web`); "" for the file as a whole. */
  readonly key: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly message: string;
}

/**
 * Every mistake found in one file. `code` and `message` are the first mistake's, `details` holds
 * every message and `problems` every mistake with its own code, key and position.
 */
export class ConfigError extends TsukiError {
  declare readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const first = problems[0]!;
    super(first.code.slice("ERR_".length) as ConfigCode, first.message, problems.map((p) => p.message), problems);
    this.name = "ConfigError";
  }
}

/** One step of a key path: a map key or a list index. */
export type KeySegment = string | number;

/** `["devices", "web"]` → `devices.web`; `["args", "hosts", 1]` → `args.hosts[1]`; odd keys are quoted. */
export function keyPath(segments: readonly KeySegment[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Edit distance (insertions, deletions, substitutions), for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** The candidate closest to `word` if it is close enough to be a likely typo (or a prefix), else undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3))) return best;
  return candidates.find((c) => lower.length >= 3 && c.toLowerCase().startsWith(lower));
}
