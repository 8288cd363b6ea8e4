/**
 * Test helpers shared by the runtime's conformance tests: a seeded PRNG, so every run sees the same
 * "random" inputs, and the assertion that a call throws a given DOMException.
 */

import assert from "node:assert/strict";
import { DOMException } from "../../../src/guest/runtime/web/dom-exception.ts";

/** mulberry32: a tiny seeded PRNG. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Asserts that `fn` throws the guest's DOMException with `name` and legacy `code`. */
export function assertDOMException(fn: () => unknown, name: string, code: number, message?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DOMException, message);
    assert.equal(error.name, name, message);
    assert.equal(error.code, code, message);
    return true;
  });
}
