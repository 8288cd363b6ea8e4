/**
 * The messages between tsukid's control thread and its tender threads (tender-protocol.ts): a
 * boot error that crosses answers the API exactly as if it had been thrown on the control thread
 * (status, code, message, problems, exit code), whatever its class; an image's assets cross in
 * one buffer and come out byte for byte; and what a thread sends is checked, so that a malformed
 * message is refused with what is wrong with it.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Manifest } from "../../../src/abi/index.ts";
import { TsukiError } from "../../../src/host/common/errors.ts";
import { DaemonError, errorBody } from "../../../src/host/orchestrator/api/errors.ts";
import { NO_FIGURES, carryError, checkFromWorker, packImage, rebuildError, unpackImage } from "../../../src/host/orchestrator/supervision/tender-protocol.ts";
import { BindingsError } from "../../../src/host/spec/bindings.ts";

/** What crosses a thread: the carried error, through structured clone. */
const across = (error: unknown) => rebuildError(structuredClone(carryError(error)));

describe("boot errors across a thread", () => {
  test("answer the API as they would have on the control thread: tender errors (subclasses too), daemon errors, anything else", () => {
    const errors: unknown[] = [
      new TsukiError("IMAGE_MALFORMED", "the image's main.js does not compile: x"),
      new TsukiError("SANDBOX_UNAVAILABLE", "no walls", [], [{ code: "ERR_SANDBOX_UNAVAILABLE", message: "one" }, { code: "ERR_SANDBOX_UNAVAILABLE", message: "two" }]),
      new BindingsError([{ code: "DEV_UNBOUND", text: 'device "web" is not bound' }, { code: "DEV_UNDECLARED", text: 'device "x" is not declared' }]),
      new DaemonError("IMAGE_NOT_FOUND", "no such image"),
      Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" }),
      "a string thrown",
    ];
    for (const error of errors) {
      const rebuilt = across(error);
      assert.deepEqual(errorBody(rebuilt), errorBody(error), String(error));
      if (error instanceof Error) assert.equal(rebuilt.name, error.name);
    }
    assert.ok(across(errors[2]) instanceof TsukiError);
    assert.equal((across(errors[2]) as TsukiError).problems.length, 2);
  });
});

describe("images across a thread", () => {
  test("come out with every asset byte for byte, from one buffer that can be transferred", () => {
    const tar = new Uint8Array([9, 9, 1, 2, 3, 9, 4, 5, 9]);
    const image = { sha256: "ab".repeat(32), size: tar.length, manifest: { name: "x" } as unknown as Manifest, entry: "export default 1;", assets: [tar.subarray(2, 5), tar.subarray(5, 5), tar.subarray(6, 8)] };
    const packed = packImage(image);
    assert.equal(packed.assets.byteLength, 5);
    const moved = structuredClone(packed, { transfer: [packed.assets] });
    assert.equal(packed.assets.byteLength, 0, "transferred, not copied");
    const back = unpackImage(moved);
    assert.deepEqual(back.assets.map((a) => [...a]), [[1, 2, 3], [], [4, 5]]);
    assert.equal(back.entry, image.entry);
  });
});

describe("what a tender thread sends", () => {
  const booted = { type: "booted", id: 3, addresses: { web: { address: "127.0.0.1", port: 8080, family: "IPv4" } }, links: {}, figures: NO_FIGURES };

  test("is taken when well formed", () => {
    assert.deepEqual(checkFromWorker(booted), booted);
    const messages = [
      { type: "ready", tid: 1234, nice: 5, problem: null },
      { type: "ready", tid: null, nice: null, problem: "not Linux" },
      { type: "exited", id: 3, status: { kind: "crashed", code: 70, reason: "crashed: x" }, figures: { ...NO_FIGURES, heap: { used: 1, limit: 2 }, memory: { heap: 1, external: 2, reserved: 3, used: 6, limit: 8 }, cpuTime: { cpuMs: 1.5, wallMs: 2 } } },
      { type: "console", lines: [[3, 1, "hello", 1700000000000], [3, 2, "", 1700000000001], [3, 2, "tsuki: 5 console lines of web dropped (rate 1/s, burst 2)", 1700000000002, 1]] },
      { type: "stats", req: 1, figures: [[3, { ...NO_FIGURES, devices: { web: { kind: "listener", bytesIn: 1, bytesOut: 2, connections: 0, connectionsTotal: 1 } }, rejectedCalls: { EBADF: 2 } }]] },
      { type: "boot-failed", id: 4, error: carryError(new TsukiError("DEV_OPEN", "cannot listen")) },
    ];
    for (const m of messages) assert.deepEqual(checkFromWorker(m), m);
  });

  test("is refused, saying why, when it is not", () => {
    const bad: [unknown, RegExp][] = [
      [null, /message: not an object/],
      [{ type: "hello" }, /unknown message type "hello"/],
      [{ ...booted, id: 0 }, /booted: not an id/],
      [{ ...booted, id: "3" }, /booted: not an id/],
      [{ ...booted, addresses: { web: { address: "127.0.0.1", port: "80" } } }, /port of web: not a number/],
      [{ ...booted, figures: { ...NO_FIGURES, connections: Number.NaN } }, /connections: not a number/],
      [{ ...booted, figures: { ...NO_FIGURES, memory: { heap: 1, external: 2, reserved: "3", used: 6, limit: 8 } } }, /memory.reserved: not a number/],
      [{ ...booted, figures: { ...NO_FIGURES, devices: { web: { kind: "listener", bytesIn: "1" } } } }, /device web's bytesIn: not a number/],
      [{ type: "exited", id: 3, status: { kind: "crashed", code: 70 }, figures: NO_FIGURES }, /status.reason: not a string/],
      [{ type: "console", lines: [[3, 3, "x", 1]] }, /console: a malformed line/],
      [{ type: "console", lines: [[3, 2, "x", 1, 2]] }, /console: a malformed line/],
      [{ ...booted, figures: { ...NO_FIGURES, console: undefined } }, /console: not an object/],
      [{ ...booted, figures: { ...NO_FIGURES, console: { ...NO_FIGURES.console, droppedRate: "9" } } }, /console.droppedRate: not a number/],
      [{ type: "stats", req: 1, figures: [[3]] }, /stats: a malformed pair/],
      [{ type: "boot-failed", id: 4, error: { ...carryError(new Error("x")), kind: "host" } }, /error.kind/],
    ];
    for (const [message, why] of bad) assert.throws(() => checkFromWorker(message), why, JSON.stringify(message));
  });
});
