/**
 * IPv4 reassembly (fragments.ts): in-order, out-of-order and duplicate fragments complete a
 * datagram; overlaps, inconsistent lengths, datagrams past 65,535 bytes and endless fragments are
 * dropped and counted, and memory stays within the limits whatever arrives.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Reassembler } from "../../../../src/guest/lib/tcpip/fragments.ts";
import { prng } from "../../runtime/seeded.ts";

const HEADER = new Uint8Array(20).fill(0x45, 0, 1);
const data = (length: number, seed = 1) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 255);

function add(r: Reassembler, now: number, offset: number, more: boolean, payload: Uint8Array, id = 1) {
  return r.add(now, 0x0a000001, 0x0a000002, 17, id, offset, more, HEADER, payload);
}

describe("reassembly", () => {
  test("fragments in order complete the datagram", () => {
    const r = new Reassembler();
    const whole = data(3000);
    assert.equal(add(r, 0, 0, true, whole.subarray(0, 1480)), undefined);
    assert.equal(add(r, 0, 1480, true, whole.subarray(1480, 2960)), undefined);
    const done = add(r, 0, 2960, false, whole.subarray(2960));
    assert.ok(done);
    assert.deepEqual(done.payload, whole);
    assert.equal(r.active, 0);
    assert.equal(r.bytes, 0);
  });

  test("fragments in any order complete the datagram", () => {
    const random = prng(7);
    for (let round = 0; round < 50; round++) {
      const r = new Reassembler();
      const whole = data(8 * Math.floor(1 + random() * 2000), round);
      const pieces: [number, Uint8Array][] = [];
      for (let offset = 0; offset < whole.length; ) {
        const size = Math.min(whole.length - offset, 8 * Math.floor(1 + random() * 100));
        pieces.push([offset, whole.subarray(offset, offset + size)]);
        offset += size;
      }
      pieces.sort(() => random() - 0.5);
      let done;
      for (const [offset, piece] of pieces) done = add(r, 0, offset, offset + piece.length < whole.length, piece);
      assert.ok(done, `round ${round}`);
      assert.deepEqual(done.payload, whole);
    }
  });

  test("an exact duplicate is ignored", () => {
    const r = new Reassembler();
    const whole = data(16);
    add(r, 0, 0, true, whole.subarray(0, 8));
    assert.equal(add(r, 0, 0, true, whole.subarray(0, 8)), undefined);
    assert.ok(add(r, 0, 8, false, whole.subarray(8)));
    assert.equal(r.stats.drops["duplicate"], 1);
  });

  test("an overlapping fragment drops the whole datagram and its later fragments", () => {
    const r = new Reassembler();
    const whole = data(24);
    add(r, 0, 0, true, whole.subarray(0, 16));
    assert.equal(add(r, 0, 8, true, data(8)), undefined);
    assert.equal(r.stats.drops["overlap"], 1);
    assert.equal(add(r, 0, 16, false, whole.subarray(16)), undefined);
    assert.equal(r.stats.drops["condemned"], 1);
    assert.equal(r.bytes, 0);
  });

  test("a condemned datagram is forgotten at its timeout", () => {
    const r = new Reassembler({ timeout: 1000 });
    add(r, 0, 0, true, data(16));
    add(r, 0, 8, true, data(16));
    assert.equal(r.poll(500), 1000);
    r.poll(1000);
    assert.equal(r.active, 0);
    const whole = data(16);
    add(r, 2000, 0, true, whole.subarray(0, 8));
    assert.ok(add(r, 2000, 8, false, whole.subarray(8)));
  });

  test("a datagram ending past 65,535 bytes is dropped (ping of death)", () => {
    const r = new Reassembler();
    assert.equal(add(r, 0, 65528, false, data(16)), undefined);
    assert.equal(r.stats.drops["too-long"], 1);
    assert.equal(r.bytes, 0);
  });

  test("a middle fragment whose length is not a multiple of 8 is dropped", () => {
    const r = new Reassembler();
    assert.equal(add(r, 0, 0, true, data(10)), undefined);
    assert.equal(r.stats.drops["bad-fragment-length"], 1);
  });

  test("two different last fragments, or data past the last, drop the datagram", () => {
    const r = new Reassembler();
    add(r, 0, 16, false, data(8));
    assert.equal(add(r, 0, 32, false, data(8)), undefined);
    assert.equal(r.stats.drops["inconsistent-length"], 1);
    const s = new Reassembler();
    add(s, 0, 16, false, data(8));
    assert.equal(add(s, 0, 24, true, data(8)), undefined);
    assert.equal(s.stats.drops["inconsistent-length"], 1);
  });

  test("an incomplete datagram times out after 30 s and reports its first fragment", () => {
    const r = new Reassembler();
    add(r, 0, 0, true, data(8));
    assert.equal(r.poll(29_999), 30_000);
    const expired: Uint8Array[] = [];
    assert.equal(r.poll(30_000, (header, start) => expired.push(header, start)), Infinity);
    assert.equal(expired.length, 2);
    assert.deepEqual(expired[1], data(8));
    assert.equal(r.active, 0);
    assert.equal(r.bytes, 0);
    assert.equal(r.stats.drops["timeout"], 1);
  });

  test("at most 16 reassemblies at once: the oldest is evicted", () => {
    const r = new Reassembler();
    for (let id = 0; id < 40; id++) add(r, 0, 0, true, data(8), id);
    assert.equal(r.active, 16);
    assert.equal(r.stats.drops["evicted"], 24);
  });

  test("buffers never exceed the byte limit", () => {
    const r = new Reassembler({ maxBytes: 100_000 });
    for (let id = 0; id < 40; id++) {
      add(r, 0, 60_000, true, data(8), id);
      assert.ok(r.bytes <= 100_000, `${r.bytes}`);
    }
  });

  test("endless tiny fragments stop at 128 per datagram", () => {
    const r = new Reassembler();
    for (let i = 0; i < 1000; i++) add(r, 0, 16 * i, true, data(8));
    assert.equal(r.stats.drops["too-many-fragments"], 1);
    assert.equal(r.stats.drops["condemned"], 1000 - 129);
    assert.equal(r.bytes, 0);
  });

  test("random fragments keep memory bounded and never throw", () => {
    const random = prng(99);
    const r = new Reassembler();
    for (let i = 0; i < 20_000; i++) {
      const offset = 8 * Math.floor(random() * 8200);
      const length = random() < 0.5 ? 8 * Math.floor(1 + random() * 200) : Math.floor(random() * 1600);
      add(r, i, offset, random() < 0.8, data(length), Math.floor(random() * 40));
      assert.ok(r.bytes <= r.maxBytes);
      assert.ok(r.active <= r.maxDatagrams);
    }
  });
});
