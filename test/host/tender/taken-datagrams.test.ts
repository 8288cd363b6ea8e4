/**
 * The isolate target's deferred udp sends, host side: what the guest runtime hands over after a
 * turn becomes one `datagram.send` per datagram through the one validator, and a batch the guest
 * got wrong (it is the guest's data) is refused and counted there, never trusted.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { type HypercallError, isHypercallError } from "../../../src/abi/index.ts";
import { type DeviceCalls, NO_DEVICES } from "../../../src/host/tender/devices/calls.ts";
import { type HypercallHost, makeHypercall } from "../../../src/host/tender/hypercalls.ts";
import { sendTakenDatagrams } from "../../../src/host/tender/targets/isolate.ts";

function fake() {
  const sent: [number, number[], string, number][] = [];
  const rejected: [string, string][] = [];
  const devices: DeviceCalls = {
    ...NO_DEVICES,
    send: (handle, bytes, address, port): undefined | HypercallError => {
      if (handle !== 1) return { errno: "EBADF", message: "not mine" } as HypercallError;
      sent.push([handle, [...bytes], address, port]);
      return undefined;
    },
  };
  const host: HypercallHost = {
    alive: () => true,
    exit: () => undefined,
    abort: () => undefined,
    console: () => undefined,
    monotonic: () => 0,
    armTimer: () => undefined,
    asset: () => undefined,
    rejected: (call, errno) => void rejected.push([call, errno]),
    devices,
  };
  const results: unknown[] = [];
  const validator = makeHypercall(host);
  const hypercall = (call: string, ...args: unknown[]) => {
    const result = validator(call, ...args);
    results.push(result);
    return result;
  };
  return { sent, rejected, results, hypercall };
}

test("each datagram taken after a turn is one datagram.send, with its own bytes", () => {
  const { sent, rejected, hypercall } = fake();
  sendTakenDatagrams([JSON.stringify([1, "127.0.0.1", 4000, 2, 1, "::1", 53, 0, 1, "10.0.0.1", 9, 3]), new Uint8Array([1, 2, 3, 4, 5])], hypercall);
  assert.deepEqual(sent, [
    [1, [1, 2], "127.0.0.1", 4000],
    [1, [], "::1", 53],
    [1, [3, 4, 5], "10.0.0.1", 9],
  ]);
  assert.deepEqual(rejected, []);
});

test("each taken datagram is validated on its own: a bad one is refused and counted, the others go out", () => {
  const { sent, rejected, results, hypercall } = fake();
  sendTakenDatagrams([JSON.stringify([7, "127.0.0.1", 1, 1, 1, "127.0.0.1", 70000, 1, 1, 5, 1, 1, 1, "127.0.0.1", 2, 1]), new Uint8Array(4)], hypercall);
  assert.deepEqual(sent, [[1, [0], "127.0.0.1", 2]]);
  assert.deepEqual(rejected, [
    ["datagram.send", "EBADF"],
    ["datagram.send", "EINVAL"],
    ["datagram.send", "EINVAL"],
  ]);
  assert.ok(results.slice(0, 3).every(isHypercallError));
});

test("a malformed batch is refused by the validator and counted, and nothing is sent", () => {
  const batches: unknown[] = [
    null,
    "x",
    [],
    ["[1]", new Uint8Array(1)],
    ["not json", new Uint8Array(1)],
    ['{"0":1}', new Uint8Array(1)],
    ["[]", new Uint8Array(1)],
    [JSON.stringify([1, "127.0.0.1", 1, 1]), [1]],
    [JSON.stringify([1, "127.0.0.1", 1, 1]), new Uint16Array(1)],
    [JSON.stringify([1, "127.0.0.1", 1, 1]), new Uint8Array(1), "extra"],
  ];
  for (const batch of batches) {
    const { sent, rejected, hypercall } = fake();
    sendTakenDatagrams(batch, hypercall);
    assert.deepEqual(sent, [], JSON.stringify(batch));
    assert.deepEqual(rejected, [["datagram.send", "EINVAL"]], JSON.stringify(batch));
  }
});

test("lengths that do not fit the bytes are refused without reading past them", () => {
  const { sent, rejected, hypercall } = fake();
  sendTakenDatagrams([JSON.stringify([1, "127.0.0.1", 1, 2, 1, "127.0.0.1", 1, -1, 1, "127.0.0.1", 1, 1.5, 1, "127.0.0.1", 1, "1", 1, "127.0.0.1", 1, 5, 1, "127.0.0.1", 1, 1]), new Uint8Array([8, 9, 10])], hypercall);
  assert.deepEqual(sent, [
    [1, [8, 9], "127.0.0.1", 1],
    [1, [10], "127.0.0.1", 1],
  ]);
  assert.equal(rejected.length, 4);
});
