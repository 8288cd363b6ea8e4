/**
 * Linear time, asserted without a wall-clock bound: `run(n)` and `run(factor × n)` are each timed
 * at their best of several tries, and the second may take at most `slack` times `factor` the
 * first. Work that grows with n takes about `factor` times as long; work that grows with n² takes
 * `factor²` (64 for the default 8), far past the bound, however fast or busy the machine is. `n`
 * must make `run(n)` take long enough to be timed (a millisecond or more).
 */

import assert from "node:assert/strict";

export function assertLinear(run: (n: number) => void, n: number, what: string, { factor = 8, slack = 3, tries = 7 } = {}): void {
  const best = (size: number) => {
    let min = Infinity;
    for (let i = 0; i < tries; i++) {
      const t0 = performance.now();
      run(size);
      min = Math.min(min, performance.now() - t0);
    }
    return min;
  };
  run(n); // warm up: compiled code, caches
  const small = best(n);
  const large = best(n * factor);
  assert.ok(small >= 0.2, `${what}: n = ${n} takes ${small.toFixed(3)} ms, too little to time; give a larger n`);
  assert.ok(large / small <= factor * slack, `${what}: ${factor}× the input took ${(large / small).toFixed(1)}× the time (${small.toFixed(2)} → ${large.toFixed(2)} ms); linear work takes about ${factor}×`);
}
