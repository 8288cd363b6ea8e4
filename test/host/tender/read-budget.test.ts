/**
 * The read budget of one unikernel's connections (src/host/tender/devices/read-budget.ts): past
 * the limit every connection is paused at once, and once deliveries bring the total under half of
 * it each is asked to resume (it does if it still wants data); a closed connection is left alone.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { ReadBudget } from "../../../src/host/tender/devices/read-budget.ts";

function member(log: string[], name: string) {
  return { pause: () => void log.push(`pause ${name}`), resumeIfWanted: () => void log.push(`resume ${name}`) };
}

test("past the limit every connection pauses at once; under half of it every one is asked to resume, once", () => {
  const budget = new ReadBudget(100);
  const log: string[] = [];
  const a = member(log, "a");
  const b = member(log, "b");
  budget.join(a);
  budget.join(b);
  assert.equal(budget.take(60), true);
  assert.equal(budget.take(30), true);
  assert.deepEqual(log, []);
  assert.equal(budget.take(20), false, "110 of 100");
  assert.deepEqual(log, ["pause a", "pause b"]);
  assert.equal(budget.take(5), false);
  assert.deepEqual(log, ["pause a", "pause b"], "paused once");
  assert.equal(budget.open, false);
  budget.give(50);
  assert.deepEqual(log.slice(2), [], "65 is not under half");
  budget.give(20);
  assert.deepEqual(log.slice(2), ["resume a", "resume b"]);
  assert.equal(budget.open, true);
  budget.give(45);
  assert.deepEqual(log.slice(2), ["resume a", "resume b"], "once");
  assert.equal(budget.held, 0);
});

test("a connection that is forgotten (closed) is neither paused nor resumed", () => {
  const budget = new ReadBudget(10);
  const log: string[] = [];
  const c = member(log, "c");
  budget.join(c);
  budget.forget(c);
  budget.take(20);
  budget.give(20);
  assert.deepEqual(log, []);
});
