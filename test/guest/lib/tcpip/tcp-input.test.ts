// Bad and hostile input, one test each: malformed segments, impossible flags, segments without ACK,
// blind RST/SYN/data injection (RFC 5961), challenge-ACK rate limit, SYN flood against the backlog,
// segments for listeners and closed ports (RFC 9293 §3.10.7.1–2), and window trimming.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SystemError, TcpConnection } from "../../../../src/guest/lib/tcpip/tcp/index.ts";
import { ACK, FIN, PSH, RST, SYN } from "../../../../src/guest/lib/tcpip/wire/tcp.ts";
import { ADDRESS_A, ADDRESS_B, type Pair, Sim, collect, flagNames, injectToServer, last, pair, prng, record, segment, states } from "./sim.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** a's next SEQ and ACK as b expects them. */
function numbers(p: Pair): { seq: number; ack: number } {
  const a = last(p.seen, "a");
  return { seq: (a.seq + a.length) >>> 0, ack: a.ack };
}

/** Segments b sent after `mark`. */
const fromB = (p: Pair, mark: number) => p.seen.slice(mark).filter((s) => s.from === "b");

describe("tcp bad input", () => {
  test("a bad checksum is dropped and counted, without a reply", async () => {
    const p = await pair();
    const { seq, ack } = numbers(p);
    const bytes = segment({ sourcePort: p.clientPort, destinationPort: 80, seq, ack, flags: ACK | PSH, payload: text("evil") }, ADDRESS_A, ADDRESS_B);
    bytes[16] = bytes[16]! ^ 1;
    const mark = p.seen.length;
    const got = collect(p.server);
    p.sim.inject(p.sim.b, ADDRESS_A, bytes);
    await p.sim.runFor(500);
    assert.equal(p.sim.b.tcp.stats.drops.checksum, 1);
    assert.equal(got.length, 0);
    assert.equal(fromB(p, mark).length, 0);
  });

  test("truncated segments and bad data offsets are dropped as malformed", async () => {
    const p = await pair();
    p.sim.inject(p.sim.b, ADDRESS_A, new Uint8Array(12));
    const bad = segment({ sourcePort: p.clientPort, destinationPort: 80, seq: 1, flags: ACK }, ADDRESS_A, ADDRESS_B);
    bad[12] = 0x30;
    p.sim.inject(p.sim.b, ADDRESS_A, bad);
    await p.sim.runFor(10);
    assert.equal(p.sim.b.tcp.stats.drops.malformed, 2);
    assert.deepEqual(states(p.sim.b), ["ESTABLISHED"]);
  });

  test("SYN+FIN and SYN+RST are dropped at the wire, even by a listener", async () => {
    const sim = new Sim();
    const seen = record(sim);
    sim.b.tcp.listen(80);
    for (const flags of [SYN | FIN, SYN | RST, SYN | FIN | RST | ACK]) sim.inject(sim.b, ADDRESS_A, segment({ sourcePort: 1000, destinationPort: 80, seq: 5, flags }, ADDRESS_A, ADDRESS_B));
    await sim.runFor(100);
    assert.equal(sim.b.tcp.stats.drops.badFlags, 3);
    assert.equal(seen.length, 0);
    assert.equal(sim.b.tcp.stats.connections, 0);
  });

  test("a segment without ACK in a synchronized state is dropped (RFC 9293 §3.10.7.4)", async () => {
    const p = await pair();
    const { seq } = numbers(p);
    const got = collect(p.server);
    injectToServer(p, { seq, flags: PSH, payload: text("no ack") });
    await p.sim.runFor(100);
    assert.equal(p.sim.b.tcp.stats.drops.noAck, 1);
    assert.equal(got.length, 0);
  });

  test("a RST outside the window is dropped silently; the connection stays (RFC 5961 §3.2)", async () => {
    const p = await pair();
    const { seq } = numbers(p);
    const mark = p.seen.length;
    injectToServer(p, { seq: seq + 5_000_000, flags: RST });
    injectToServer(p, { seq: seq - 10, flags: RST });
    await p.sim.runFor(100);
    assert.equal(p.sim.b.tcp.stats.drops.badRst, 2);
    assert.equal(fromB(p, mark).length, 0);
    assert.deepEqual(states(p.sim.b), ["ESTABLISHED"]);
  });

  test("a RST in the window but not at RCV.NXT gets a challenge ACK, not a reset (RFC 5961 §3.2)", async () => {
    const p = await pair();
    const { seq, ack } = numbers(p);
    const mark = p.seen.length;
    injectToServer(p, { seq: seq + 1000, flags: RST });
    await p.sim.runFor(100);
    const replies = fromB(p, mark);
    assert.equal(replies.length, 1);
    assert.equal(flagNames(replies[0]!.flags), ".");
    assert.equal(replies[0]!.ack, seq, "the challenge ACK carries RCV.NXT");
    assert.equal(replies[0]!.seq, ack);
    assert.equal(p.sim.b.tcp.stats.challengeAcks, 1);
    assert.deepEqual(states(p.sim.b), ["ESTABLISHED"]);
    assert.deepEqual(states(p.sim.a), ["ESTABLISHED"], "the real peer ignores the challenge ACK");
    // The exact RST resets.
    injectToServer(p, { seq, flags: RST });
    await p.sim.runFor(10);
    assert.equal(((await p.server.closed) as SystemError).code, "ECONNRESET");
  });

  test("a SYN on an established connection gets a challenge ACK, whatever its sequence number (RFC 5961 §4.2)", async () => {
    const p = await pair();
    const { seq } = numbers(p);
    const mark = p.seen.length;
    injectToServer(p, { seq: seq + 77, flags: SYN });
    injectToServer(p, { seq: seq - 100_000, flags: SYN });
    await p.sim.runFor(100);
    assert.equal(fromB(p, mark).length, 2);
    assert.ok(fromB(p, mark).every((s) => s.flags === ACK));
    assert.equal(p.sim.b.tcp.stats.challengeAcks, 2);
    assert.deepEqual(states(p.sim.b), ["ESTABLISHED"]);
  });

  test("challenge ACKs are rate-limited per connection (RFC 5961 §7)", async () => {
    const p = await pair({ tcp: { challengeAckLimit: 10 } });
    const { seq } = numbers(p);
    const mark = p.seen.length;
    for (let i = 1; i <= 50; i++) injectToServer(p, { seq: seq + i * 100, flags: RST });
    await p.sim.runFor(100);
    assert.equal(fromB(p, mark).length, 10);
    assert.equal(p.sim.b.tcp.stats.challengeAcks, 10);
    assert.equal(p.sim.b.tcp.stats.challengeAcksSuppressed, 40);
    await p.sim.runFor(1000);
    injectToServer(p, { seq: seq + 100, flags: RST });
    await p.sim.runFor(10);
    assert.equal(p.sim.b.tcp.stats.challengeAcks, 11, "a new second, a new allowance");
  });

  test("data acknowledging bytes never sent is dropped and answered with an ACK (RFC 5961 §5.2)", async () => {
    const p = await pair();
    const { seq, ack } = numbers(p);
    const got = collect(p.server);
    const mark = p.seen.length;
    injectToServer(p, { seq, ack: ack + 100_000, flags: ACK | PSH, payload: text("injected") });
    await p.sim.runFor(100);
    assert.equal(got.length, 0);
    assert.equal(p.sim.b.tcp.stats.drops.badAck, 1);
    assert.equal(fromB(p, mark)[0]?.flags, ACK);
  });

  test("data with an ACK older than SND.UNA − MAX.SND.WND is dropped (RFC 5961 §5.2)", async () => {
    const p = await pair();
    const { seq, ack } = numbers(p);
    const got = collect(p.server);
    injectToServer(p, { seq, ack: ack - 0x40000000, flags: ACK | PSH, payload: text("injected") });
    await p.sim.runFor(100);
    assert.equal(got.length, 0);
    assert.equal(p.sim.b.tcp.stats.drops.badAck, 1);
    // A plausible one (just below SND.UNA) is accepted: its data is delivered.
    injectToServer(p, { seq, ack: ack - 10, flags: ACK | PSH, payload: text("fine") });
    await p.sim.runFor(100);
    assert.equal(new TextDecoder().decode(got.bytes()), "fine");
  });

  test("a SYN flood is bounded by the backlog: dropped SYNs are counted, memory stays bounded, a real client gets in later", async () => {
    const sim = new Sim({ tcp: { synRetries: 2 } });
    const listener = sim.b.tcp.listen(80, { backlog: 64 });
    const random = prng(99);
    for (let i = 0; i < 10_000; i++) {
      const source = (0x0b000000 + Math.floor(random() * 0xffffff)) >>> 0;
      sim.inject(sim.b, source, segment({ sourcePort: 1024 + Math.floor(random() * 60000), destinationPort: 80, seq: Math.floor(random() * 2 ** 32), flags: SYN, mss: 1460 }, source, ADDRESS_B));
    }
    await sim.runFor(10);
    assert.equal(sim.b.tcp.stats.connections, 64);
    assert.equal(listener.halfOpen, 64);
    assert.equal(sim.b.tcp.stats.synBacklogDrops, 10_000 - 64);
    assert.equal(sim.b.tcp.stats.drops.backlog, 10_000 - 64);
    // The half-open connections give up after their SYN-ACK retries (1 + 2 + 4 s).
    await sim.runFor(8000);
    assert.equal(sim.b.tcp.stats.connections, 0);
    assert.equal(listener.halfOpen, 0);
    let client: TcpConnection | undefined;
    void sim.a.tcp.connect("10.0.0.2", 80).then((c) => (client = c));
    assert.ok(await sim.run(() => client !== undefined, 1000));
  });

  test("a listener answers an ACK with a RST <SEQ=SEG.ACK> and ignores a RST (RFC 9293 §3.10.7.2)", async () => {
    const sim = new Sim();
    const seen = record(sim);
    sim.b.tcp.listen(80);
    sim.inject(sim.b, ADDRESS_A, segment({ sourcePort: 1000, destinationPort: 80, seq: 5, ack: 12345, flags: ACK }, ADDRESS_A, ADDRESS_B));
    sim.inject(sim.b, ADDRESS_A, segment({ sourcePort: 1000, destinationPort: 80, seq: 5, flags: RST }, ADDRESS_A, ADDRESS_B));
    await sim.runFor(10);
    assert.equal(seen.length, 1);
    assert.equal(flagNames(seen[0]!.flags), "R");
    assert.equal(seen[0]!.seq, 12345);
    assert.equal(sim.b.tcp.stats.connections, 0);
  });

  test("a segment for a closed port gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (RFC 9293 §3.10.7.1); a RST gets nothing", async () => {
    const sim = new Sim();
    const seen = record(sim);
    sim.inject(sim.b, ADDRESS_A, segment({ sourcePort: 1000, destinationPort: 9, seq: 100, flags: PSH, payload: text("12345") }, ADDRESS_A, ADDRESS_B));
    sim.inject(sim.b, ADDRESS_A, segment({ sourcePort: 1000, destinationPort: 9, seq: 100, flags: RST }, ADDRESS_A, ADDRESS_B));
    await sim.runFor(10);
    assert.equal(seen.length, 1);
    assert.equal(flagNames(seen[0]!.flags), "R.");
    assert.equal(seen[0]!.seq, 0);
    assert.equal(seen[0]!.ack, 105);
    assert.equal(sim.b.tcp.stats.drops.noConnection, 2);
  });

  test("data beyond the window is dropped and ACKed; data overlapping what arrived is trimmed", async () => {
    const p = await pair({ tcpB: { receiveBuffer: 4096 } });
    const { seq, ack } = numbers(p);
    const got = collect(p.server);
    const mark = p.seen.length;
    injectToServer(p, { seq: seq + 8192, ack, flags: ACK, payload: text("far away") });
    await p.sim.runFor(10);
    assert.equal(p.sim.b.tcp.stats.drops.outOfWindow, 1);
    assert.equal(fromB(p, mark)[0]?.ack, seq);
    injectToServer(p, { seq, ack, flags: ACK, payload: text("hello") });
    injectToServer(p, { seq: seq + 3, ack, flags: ACK, payload: text("lo, world") });
    await p.sim.runFor(100);
    assert.equal(new TextDecoder().decode(got.bytes()), "hello, world");
  });

  test("a flood of out-of-order segments holds a bounded number of ranges", async () => {
    const p = await pair({ tcpB: { maxReassemblyRanges: 8 } });
    const { seq, ack } = numbers(p);
    for (let i = 1; i <= 100; i++) injectToServer(p, { seq: seq + i * 100, ack, flags: ACK, payload: new Uint8Array(10) });
    await p.sim.runFor(10);
    assert.equal(p.sim.b.tcp.stats.outOfOrderSegments, 100);
    assert.equal(p.sim.b.tcp.stats.drops.reassembly, 92);
  });

  test("fuzz: 20,000 random segments at a connection and a listener never throw; every one is used or counted", async () => {
    const p = await pair();
    const { seq, ack } = numbers(p);
    const random = prng(2024);
    const pick = <T>(values: T[]): T => values[Math.floor(random() * values.length)]!;
    let thrown = 0;
    for (let i = 0; i < 20_000; i++) {
      const flags = Math.floor(random() * 256);
      const fields = {
        sourcePort: random() < 0.8 ? p.clientPort : 1 + Math.floor(random() * 65535),
        destinationPort: random() < 0.9 ? 80 : Math.floor(random() * 65536),
        seq: pick([seq, seq + Math.floor(random() * 70000) - 35000, Math.floor(random() * 2 ** 32)]),
        ack: pick([ack, ack + Math.floor(random() * 2000) - 1000, Math.floor(random() * 2 ** 32)]),
        flags,
        window: Math.floor(random() * 65536),
        payload: new Uint8Array(random() < 0.5 ? 0 : Math.floor(random() * 1400)),
        mss: random() < 0.3 ? Math.floor(random() * 65536) : -1,
        windowScale: random() < 0.3 ? Math.floor(random() * 256) : -1,
      };
      const bytes = segment(fields, ADDRESS_A, ADDRESS_B);
      if (random() < 0.1) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        p.sim.inject(p.sim.b, ADDRESS_A, bytes);
      } catch {
        thrown++;
      }
      if (i % 1000 === 0) await p.sim.runFor(10);
    }
    await p.sim.runFor(200_000);
    assert.equal(thrown, 0);
    const stats = p.sim.b.tcp.stats;
    assert.equal(stats.segmentsIn >= 20_000, true);
    assert.ok(stats.connections <= 128 + 1, `${stats.connections} connections`);
    assert.ok(states(p.sim.b).every((s) => s !== "CLOSED"));
  });
});
