/**
 * The event batch encoding the isolate target uses to carry events into a guest: what goes in
 * comes out, payloads keep their order and bytes, and each decoded payload is a copy of its own.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { type GuestEvent, decodeEventBatch, encodeEventBatch } from "../../src/abi/index.ts";

const remote = { address: "127.0.0.1", port: 40000, family: "IPv4" as const };

test("a mixed batch decodes to the events encoded, payloads in order", () => {
  const events: GuestEvent[] = [
    { type: "timer" },
    { type: "accept", device: 1, handle: 9, remote },
    { type: "data", handle: 9, bytes: new Uint8Array([1, 2, 3]) },
    { type: "data", handle: 10, bytes: new Uint8Array(0) },
    { type: "datagram", device: 2, bytes: new TextEncoder().encode("é\u0000\n"), from: { address: "::1", port: 53, family: "IPv6" } },
    { type: "end", handle: 9 },
    { type: "closed", handle: 10, errno: "ECONNRESET" },
    { type: "closed", handle: 11 },
    { type: "flushed", device: 3 },
    { type: "data", handle: 9, bytes: new Uint8Array(70_000).fill(7) },
  ];
  const batch = encodeEventBatch(events);
  assert.equal(batch.bytes?.length, 3 + 0 + 4 + 70_000);
  assert.deepEqual(decodeEventBatch(batch.json, batch.bytes!.buffer as ArrayBuffer), events);
  assert.deepEqual(decodeEventBatch(batch.json, batch.bytes), events);
});

test("a batch without payloads carries no buffer", () => {
  const events: GuestEvent[] = [{ type: "timer" }, { type: "writable", handle: 4 }];
  const batch = encodeEventBatch(events);
  assert.equal(batch.bytes, undefined);
  assert.deepEqual(decodeEventBatch(batch.json, undefined), events);
});

test("each decoded payload owns its bytes: keeping one does not keep the batch", () => {
  const events: GuestEvent[] = [
    { type: "data", handle: 1, bytes: new Uint8Array([1, 2]) },
    { type: "data", handle: 2, bytes: new Uint8Array([3, 4, 5]) },
  ];
  const batch = encodeEventBatch(events);
  const decoded = decodeEventBatch(batch.json, batch.bytes) as { bytes: Uint8Array }[];
  assert.equal(decoded[0]!.bytes.buffer.byteLength, 2);
  assert.equal(decoded[1]!.bytes.buffer.byteLength, 3);
  assert.notEqual(decoded[0]!.bytes.buffer, batch.bytes!.buffer);
});
