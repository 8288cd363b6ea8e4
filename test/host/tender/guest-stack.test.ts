/**
 * What of a guest's exception reaches its console: the stacks below are shaped as isolated-vm,
 * the process target's child and the unix target produce them; only the guest's header and
 * frames may remain.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { guestStack, withoutFrames } from "../../../src/host/tender/guest/guest-stack.ts";

const GUEST = ["RangeError: Array buffer allocation failed", "    at new ArrayBuffer (<anonymous>)", "    at tsuki:image/t/main.js:17:26", "    at async Promise.all (index 0)", "    at Object.start (tsuki:image/t/main.js:18:5)", "    at A (tsuki:runtime:28:5985)"];

describe("guestStack", () => {
  test("everything below isolated-vm's boundary goes", () => {
    const stack = [...GUEST, "    at (<isolated-vm boundary>)", "    at #turn (file:///srv/tsuki/src/host/tender/targets/isolate.ts:169:7)", "    at Array.map (<anonymous>)"].join("\n");
    assert.equal(guestStack(stack), GUEST.join("\n"));
  });

  test("a stack isolated-vm gave from the host alone (the guest's error had none) keeps only the header", () => {
    const stack = ["Error: stackless", "    at file:///srv/tsuki/src/host/tender/targets/isolate.ts:120:34", "    at new Promise (<anonymous>)", "    at Module._compile (node:internal/modules/cjs/loader:1929:14)", "    at /tsuki/child.js:477:26"].join("\n");
    assert.equal(guestStack(stack), "Error: stackless");
  });

  test("the unix target's host frames below the guest's go, built-ins the guest called stay", () => {
    const stack = [...GUEST, "    at Script.runInContext (node:vm:149:12)", "    at new Promise (<anonymous>)", "    at UnixGuest.dispatch (/srv/tsuki/src/host/tender/targets/unix.ts:80:5)"].join("\n");
    assert.equal(guestStack(stack), GUEST.join("\n"));
  });

  test("a message over several lines is the guest's and stays whole", () => {
    assert.equal(guestStack("Error: one\ntwo\n    at f (tsuki:image/t/main.js:1:1)\n    at g (/srv/host.js:1:1)"), "Error: one\ntwo\n    at f (tsuki:image/t/main.js:1:1)");
  });
});

describe("withoutFrames", () => {
  test("drops JavaScript and native frames from a dead child's stderr, keeps what it said", () => {
    const stderr = "tsuki child: Error: boom\n    at serve (/tsuki/child.js:1:2)\nFATAL ERROR: Reached heap limit\n 1: 0xb8d0a3 node::Abort() [/tsuki/node]\n 2: 0xa1b2c3 v8::Fatal [/tsuki/node]";
    assert.equal(withoutFrames(stderr), "tsuki child: Error: boom\nFATAL ERROR: Reached heap limit");
  });
});
