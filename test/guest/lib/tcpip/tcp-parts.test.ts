// The small pieces of TCP on their own: sequence arithmetic, ISNs, the RTO estimator, both
// congestion controllers, reassembly, the send and receive buffers.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Cubic } from "../../../../src/guest/lib/tcpip/tcp/cubic.ts";
import { IsnGenerator, halfSipHash } from "../../../../src/guest/lib/tcpip/tcp/isn.ts";
import { NewReno } from "../../../../src/guest/lib/tcpip/tcp/newreno.ts";
import { Reassembly } from "../../../../src/guest/lib/tcpip/tcp/reassembly.ts";
import { ReceiveBuffer } from "../../../../src/guest/lib/tcpip/tcp/receive-buffer.ts";
import { RttEstimator } from "../../../../src/guest/lib/tcpip/tcp/rto.ts";
import { Scoreboard } from "../../../../src/guest/lib/tcpip/tcp/scoreboard.ts";
import { SendBuffer } from "../../../../src/guest/lib/tcpip/tcp/send-buffer.ts";
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt, seqMax, seqMin } from "../../../../src/guest/lib/tcpip/tcp/seq.ts";
import { prng, testData } from "./sim.ts";

describe("sequence numbers", () => {
  test("compare across the 2^32 wrap", () => {
    const top = 0xfffffff0;
    const wrapped = seqAdd(top, 0x20);
    assert.equal(wrapped, 0x10);
    assert.ok(seqLt(top, wrapped) && seqLe(top, wrapped) && seqGt(wrapped, top) && seqGe(wrapped, top));
    assert.equal(seqDiff(wrapped, top), 0x20);
    assert.equal(seqDiff(top, wrapped), -0x20);
    assert.equal(seqMax(top, wrapped), wrapped);
    assert.equal(seqMin(top, wrapped), top);
    assert.ok(seqInRange(0x5, top, wrapped));
    assert.ok(!seqInRange(wrapped, top, wrapped));
    assert.equal(seqAdd(5, -10), 0xfffffffb);
  });
});

describe("initial sequence numbers (RFC 6528)", () => {
  const random = prng(3);
  const fill = (bytes: Uint8Array) => bytes.forEach((_, i) => (bytes[i] = Math.floor(random() * 256)));

  test("differ by 4-tuple and by key, and advance with the clock at 250 per ms", () => {
    const isn = new IsnGenerator(fill);
    const a = isn.next(1000, 1, 80, 2, 50000);
    assert.notEqual(a, isn.next(1000, 1, 80, 2, 50001));
    assert.notEqual(a, isn.next(1000, 1, 80, 3, 50000));
    assert.equal(isn.next(1001, 1, 80, 2, 50000), (a + 250) >>> 0);
    assert.notEqual(a, new IsnGenerator(fill).next(1000, 1, 80, 2, 50000));
  });

  test("HalfSipHash-2-4 is a keyed function of every word", () => {
    const h = halfSipHash([1, 2], [3, 4, 5]);
    assert.equal(h, halfSipHash([1, 2], [3, 4, 5]));
    assert.notEqual(h, halfSipHash([1, 3], [3, 4, 5]));
    assert.notEqual(h, halfSipHash([1, 2], [3, 4, 6]));
    assert.ok(h >= 0 && h < 2 ** 32);
    // Outputs spread over all 32 bits.
    let or = 0;
    let and = 0xffffffff;
    for (let i = 0; i < 64; i++) {
      const v = halfSipHash([7, 9], [i, 0, 0]);
      or |= v;
      and &= v;
    }
    assert.equal(or >>> 0, 0xffffffff);
    assert.equal(and, 0);
  });
});

describe("RTO (RFC 6298)", () => {
  const parameters = { initialMs: 1000, minMs: 200, maxMs: 60_000 };
  test("1 s before a sample; SRTT = R, RTTVAR = R/2 on the first (§2.2); clamped to the minimum", () => {
    const rtt = new RttEstimator(parameters);
    assert.equal(rtt.rto, 1000);
    rtt.sample(100);
    assert.equal(rtt.srtt, 100);
    assert.equal(rtt.rttvar, 50);
    assert.equal(rtt.rto, 300);
    for (let i = 0; i < 50; i++) rtt.sample(10);
    assert.equal(rtt.rto, 200);
  });
  test("§2.3 smoothing, §5.5 doubling up to 60 s, reset by a new acknowledgment", () => {
    const rtt = new RttEstimator(parameters);
    rtt.sample(400);
    rtt.sample(200);
    assert.equal(rtt.rttvar, 0.75 * 200 + 0.25 * 200);
    assert.equal(rtt.srtt, 0.875 * 400 + 0.125 * 200);
    const base = rtt.rto;
    rtt.expired();
    assert.equal(rtt.rto, 2 * base);
    for (let i = 0; i < 20; i++) rtt.expired();
    assert.equal(rtt.rto, 60_000);
    rtt.acknowledged();
    assert.equal(rtt.rto, base);
  });
});

describe("congestion control", () => {
  const mss = 1000;
  for (const Controller of [NewReno, Cubic]) {
    test(`${Controller.name}: initial window 10 segments (RFC 6928), slow start doubles per RTT, loss and timeout reduce`, () => {
      const cc = new Controller(mss);
      assert.equal(cc.cwnd, 10_000);
      let now = 0;
      for (let rtt = 0; rtt < 3; rtt++) {
        const window = cc.cwnd;
        for (let acked = 0; acked < window; acked += 2 * mss) cc.onAck(now, 2 * mss, 100, window);
        now += 100;
      }
      assert.equal(cc.cwnd, 80_000);
      cc.onLoss(now, 80_000);
      const expected = Controller === NewReno ? 40_000 : 56_000;
      assert.equal(cc.ssthresh, expected);
      assert.equal(cc.cwnd, expected + 3 * mss);
      cc.onDuplicateAck();
      assert.equal(cc.cwnd, expected + 4 * mss);
      cc.onRecoveryEnd(now, 10_000);
      assert.ok(cc.cwnd <= expected);
      cc.onTimeout(now, 50_000);
      assert.equal(cc.cwnd, mss);
    });
  }

  test("NewReno: about one segment per RTT in congestion avoidance", () => {
    const cc = new NewReno(mss);
    cc.onLoss(0, 40_000);
    cc.onRecoveryEnd(0, 20_000);
    const start = cc.cwnd;
    for (let i = 0; i < start / mss; i++) cc.onAck(0, mss, 100, start);
    assert.equal(cc.cwnd, start + mss);
  });

  test("CUBIC: concave regrowth toward W_max, then convex probing beyond it (RFC 9438 §4.2)", () => {
    const cc = new Cubic(mss);
    for (let i = 0; i < 90; i++) cc.onAck(0, mss, 100, 0); // slow start to 100 segments
    assert.equal(cc.cwnd, 100_000);
    cc.onLoss(0, 100_000);
    cc.onRecoveryEnd(0, 50_000);
    assert.equal(cc.cwnd, 70_000);
    // K = cbrt(100·0.3/0.4) ≈ 4.2 s: by then the window is back near W_max, and grows past it after.
    const grow = (from: number, to: number) => {
      for (let t = from; t < to; t += 100) {
        const window = cc.cwnd;
        for (let acked = 0; acked < window; acked += mss) cc.onAck(t, mss, 100, window);
      }
    };
    grow(0, 2000);
    const halfway = cc.cwnd;
    assert.ok(halfway > 85_000 && halfway < 100_000, `halfway ${halfway}`);
    grow(2000, 4200);
    assert.ok(Math.abs(cc.cwnd - 100_000) < 5_000, `at K ${cc.cwnd}`);
    grow(4200, 8000);
    assert.ok(cc.cwnd > 110_000, `after K ${cc.cwnd}`);
  });
});

describe("reassembly", () => {
  test("holds out-of-order ranges, trims overlaps, delivers in order once the gap fills", () => {
    const r = new Reassembly(8);
    const data = testData(100);
    const base = 0xffffffc0; // across the wrap
    assert.ok(r.insert(seqAdd(base, 50), data.subarray(50, 70)));
    assert.ok(r.insert(seqAdd(base, 60), data.subarray(60, 90))); // overlaps the end
    assert.ok(r.insert(seqAdd(base, 40), data.subarray(40, 55))); // overlaps the start
    assert.ok(r.insert(seqAdd(base, 52), data.subarray(52, 58))); // inside
    assert.equal(r.bytes, 50);
    const out: Uint8Array[] = [];
    assert.equal(r.pop(seqAdd(base, 30), (d) => out.push(d.slice())), seqAdd(base, 30), "nothing continues from 30");
    const next = r.pop(seqAdd(base, 45), (d) => out.push(d.slice()));
    assert.equal(next, seqAdd(base, 90));
    assert.deepEqual(Buffer.concat(out), Buffer.from(data.subarray(45, 90)));
    assert.ok(r.empty);
    assert.equal(r.bytes, 0);
  });

  test("a new range covering several swallows them; past the limit a segment is dropped", () => {
    const r = new Reassembly(3);
    const data = testData(200);
    r.insert(10, data.subarray(10, 20));
    r.insert(30, data.subarray(30, 40));
    r.insert(50, data.subarray(50, 60));
    assert.equal(r.insert(70, data.subarray(70, 80)), false);
    assert.ok(r.insert(5, data.subarray(5, 45)));
    assert.equal(r.ranges, 2);
    assert.equal(r.bytes, 50);
    assert.ok(r.insert(60, data.subarray(60, 70)), "touching a range extends it: no new gap");
    assert.ok(r.insert(45, data.subarray(45, 50)), "filling between two ranges joins them");
    assert.equal(r.ranges, 1);
    const out: Uint8Array[] = [];
    assert.equal(r.pop(5, (d) => out.push(d.slice())), 70);
    assert.deepEqual(Buffer.concat(out), Buffer.from(data.subarray(5, 70)));
  });

  test("random segments of a stream, in any order, with overlaps and duplicates, come out as the stream", () => {
    const random = prng(11);
    const data = testData(50_000, 12);
    for (let round = 0; round < 20; round++) {
      const r = new Reassembly(1000);
      const pieces: [number, number][] = [];
      for (let at = 0; at < data.length; ) {
        const n = 1 + Math.floor(random() * 1500);
        pieces.push([at, Math.min(data.length, at + n)]);
        at += n;
      }
      for (let i = 0; i < 200; i++) {
        const start = Math.floor(random() * data.length);
        pieces.push([start, Math.min(data.length, start + 1 + Math.floor(random() * 3000))]);
      }
      pieces.sort(() => random() - 0.5);
      const base = 0xffff0000 + round * 7;
      const out: Uint8Array[] = [];
      let next = base;
      for (const [from, to] of pieces) {
        // As the connection does: in-order bytes are taken directly, then what the gap held.
        if (seqGt(seqAdd(base, to), next)) {
          if (seqGe(next, seqAdd(base, from))) {
            out.push(data.subarray(seqDiff(next, base), to));
            next = r.pop(seqAdd(base, to), (d) => out.push(d.slice()));
          } else {
            assert.ok(r.insert(seqAdd(base, from), data.subarray(from, to)));
          }
        }
      }
      assert.equal(seqDiff(next, base), data.length);
      assert.deepEqual(Buffer.concat(out), Buffer.from(data));
    }
  });
});

describe("SACK scoreboard", () => {
  test("merges blocks, ignores blocks outside (SND.UNA, highest sent], prunes on cumulative ACKs, finds holes", () => {
    const board = new Scoreboard();
    const una = 0xffffff00; // across the wrap
    const at = (n: number) => seqAdd(una, n);
    board.add([at(300), at(400), at(100), at(200)], 2, una, at(1000));
    board.add([at(200), at(250)], 1, una, at(1000)); // touches [100, 200): merged
    board.add([at(50), at(0)], 1, una, at(1000)); // inverted: ignored
    board.add([una, at(10)], 1, una, at(1000)); // not above SND.UNA (a D-SACK): ignored
    board.add([at(900), at(1100)], 1, una, at(1000)); // beyond what was sent: ignored
    assert.equal(board.bytes, 250);
    assert.equal(board.high, at(400));
    const hole: [number, number] = [0, 0];
    assert.ok(board.nextHole(una, hole));
    assert.deepEqual(hole, [una, at(100)]);
    assert.ok(board.nextHole(at(120), hole));
    assert.deepEqual(hole, [at(250), at(300)]);
    assert.ok(!board.nextHole(at(400), hole), "nothing above the highest SACKed byte is a hole");
    assert.equal(board.sackedBetween(at(150), at(350)), 100 + 50);
    board.prune(at(150));
    assert.equal(board.bytes, 200);
    board.prune(at(500));
    assert.ok(board.empty);
  });

  test("holds a bounded number of ranges", () => {
    const board = new Scoreboard();
    for (let i = 0; i < 100; i++) board.add([i * 100 + 10, i * 100 + 20], 1, 0, 1_000_000);
    assert.equal(board.bytes, 32 * 10);
  });
});

describe("buffers", () => {
  test("the send buffer copies any range across chunks, and after acknowledgments", () => {
    const data = testData(10_000, 4);
    const b = new SendBuffer();
    for (let at = 0; at < data.length; at += 777) b.push(data.slice(at, Math.min(data.length, at + 777)));
    assert.equal(b.length, 10_000);
    const random = prng(5);
    let base = 0;
    for (let i = 0; i < 500; i++) {
      if (random() < 0.1) {
        const n = Math.floor(random() * 300);
        b.shift(n);
        base += n;
      }
      if ((b.length as number) === 0) break;
      const from = Math.floor(random() * b.length);
      const length = Math.min(b.length - from, Math.floor(random() * 2000));
      const out = new Uint8Array(length + 3);
      b.copyTo(from, length, out, 3);
      assert.deepEqual(out.subarray(3), data.subarray(base + from, base + from + length));
    }
    assert.throws(() => b.copyTo(0, b.length + 1, new Uint8Array(b.length + 1), 0), RangeError);
  });

  test("the receive buffer coalesces appended segments into one read", () => {
    const b = new ReceiveBuffer();
    const data = testData(200_000, 6);
    for (let at = 0; at < data.length; at += 1460) b.append(data.subarray(at, Math.min(data.length, at + 1460)));
    assert.equal(b.buffered, 200_000);
    const out: Uint8Array[] = [];
    for (let chunk = b.take(); chunk; chunk = b.take()) out.push(chunk);
    assert.ok(out.length <= 4, `${out.length} reads`);
    assert.deepEqual(Buffer.concat(out), Buffer.from(data));
    assert.equal(b.buffered, 0);
    b.append(new Uint8Array([1, 2, 3]));
    const small = b.take()!;
    b.append(new Uint8Array([4]));
    assert.deepEqual([...small], [1, 2, 3], "a small read is a copy: the accumulator is reused");
  });
});
