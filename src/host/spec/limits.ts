/**
 * @module host/spec/limits
 * The numbers a run specification's limits may take, and the targets it may name: the one
 * table every input path (flags, a run configuration, tsukid's create API) and the tender read.
 * run-spec.ts checks values against it; nothing else does.
 */

/** Limits a unikernel gets when its specification gives none. */
export const LIMIT_DEFAULTS = { memoryMb: 128, cpuMs: 1000 } as const;
/** Memory limit (heap, buffers, WebAssembly: all of it), MiB. */
export const MEMORY_RANGE_MB = { min: 8, max: 16384 } as const;
/** Longest run without yielding, ms. */
export const CPU_RANGE_MS = { min: 1, max: 3_600_000 } as const;

export interface ConsoleLimits {
  /** Lines a second, sustained. */
  readonly rate: number;
  /** Lines that may come at once, after a quiet while. */
  readonly burst: number;
}

export const CONSOLE_DEFAULTS: ConsoleLimits = { rate: 50_000, burst: 100_000 };
export const CONSOLE_RATE_RANGE = { min: 1, max: 1_000_000 } as const;
export const CONSOLE_BURST_RANGE = { min: 1, max: 10_000_000 } as const;

/** The targets a unikernel runs on (tender/targets): the same image and ABI behind different walls. */
export const TARGET_NAMES = ["isolate", "unix", "process"] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** The limits of one run; a limit left out takes its default. */
export interface Limits {
  readonly memoryMb?: number;
  readonly cpuMs?: number;
  /** Console lines a second and at once, either or both (a rate alone gets a burst of two seconds of it). */
  readonly console?: Partial<ConsoleLimits>;
}
