// Every state transition of RFC 9293 §3.3.2 (simultaneous open and close included), and the timers:
// retransmission with backoff and give-up, TIME-WAIT, FIN-WAIT-2, persist, keep-alive, delayed
// ACKs, Nagle, fast retransmit.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SystemError, TcpConnection } from "../../../../src/guest/lib/tcpip/tcp/index.ts";
import { ACK, FIN } from "../../../../src/guest/lib/tcpip/wire/tcp.ts";
import { ADDRESS_A, Sim, collect, flagNames, last, pair, record, segment, states, testData } from "./sim.ts";

/** Runs until `until`, noting every distinct state each host passes through. */
async function watchStates(sim: Sim, until: () => boolean, limit = 120_000): Promise<{ a: string[]; b: string[] }> {
  const a: string[] = [];
  const b: string[] = [];
  const note = () => {
    for (const [host, list] of [[sim.a, a], [sim.b, b]] as const) {
      const s = states(host).join(",") || "CLOSED";
      if (list[list.length - 1] !== s) list.push(s);
    }
  };
  note();
  assert.ok(
    await sim.run(() => {
      note();
      return until();
    }, limit),
  );
  return { a, b };
}

describe("tcp state machine", () => {
  test("active and passive open: SYN-SENT and SYN-RECEIVED to ESTABLISHED, with MSS and window scale", async () => {
    const sim = new Sim({ tcp: { receiveBuffer: 4 * 1024 * 1024 } });
    const seen = record(sim);
    sim.b.tcp.listen(80);
    let client: TcpConnection | undefined;
    void sim.a.tcp.connect("10.0.0.2", 80).then((c) => (client = c));
    const path = await watchStates(sim, () => client !== undefined && states(sim.b)[0] === "ESTABLISHED");
    assert.deepEqual(path.a, ["SYN-SENT", "ESTABLISHED"], "connect() enters SYN-SENT at once");
    assert.deepEqual(path.b, ["CLOSED", "SYN-RECEIVED", "ESTABLISHED"]);
    assert.deepEqual(seen.slice(0, 3).map((s) => flagNames(s.flags)), ["S", "S.", "."]);
    assert.equal(seen[0]!.mss, 1460);
    assert.equal(seen[0]!.windowScale, 7, "4 MiB needs a shift of 7 (RFC 7323 §2.3)");
    assert.equal(seen[1]!.windowScale, 7);
    assert.equal(seen[0]!.window, 65535, "the window of a SYN is not scaled");
    assert.equal(seen[2]!.window, (4 * 1024 * 1024) >> 7, "after the handshake the scaled window is the whole buffer");
  });

  test("SACK: both SYNs carry SACK-permitted; ACKs for held out-of-order data carry exactly the held ranges, the newest first (RFC 2018 §4)", async () => {
    const { sim, client, seen } = await pair({ link: { delayMs: 1 } });
    assert.ok(seen.length >= 2);
    const wire: { from: string; blocks: number[]; length: number; seq: number }[] = [];
    // Drop the 2nd and 5th data segments of a burst: the receiver holds [3rd–4th] and [6th–…].
    let data = 0;
    sim.tap = (s) => {
      const length = s.repr.payload.length;
      wire.push({ from: s.from, blocks: s.repr.sackBlocks.slice(0, 2 * s.repr.sackCount), length, seq: s.repr.seq });
      if (s.from === "a" && length > 0) {
        data++;
        if (data === 2 || data === 5) return false;
      }
      return true;
    };
    void client.write(new Uint8Array(8 * 1460));
    await sim.runFor(30);
    const sent = wire.filter((w) => w.from === "a" && w.length > 0);
    const acks = wire.filter((w) => w.from === "b" && w.blocks.length > 0);
    assert.ok(acks.length >= 2, "ACKs carry SACK blocks while data is held");
    const third = sent[2]!.seq;
    const sixth = sent[5]!.seq;
    assert.deepEqual(acks[0]!.blocks, [third, third + 1460]);
    const lastWithTwo = acks.find((a) => a.blocks.length === 4)!;
    assert.deepEqual(lastWithTwo.blocks, [sixth, sixth + 1460, third, third + 2 * 1460], "the newest range first, then the others");
    await sim.runFor(2000);
    const tail = wire.filter((w) => w.from === "b").at(-1)!;
    assert.deepEqual(tail.blocks, [], "no blocks once the gaps are filled");
  });

  test("SACK off: no SACK-permitted offered, no blocks sent", async () => {
    const sim = new Sim({ tcpB: { sack: false } });
    const seen: { flags: number; sackPermitted: boolean }[] = [];
    sim.tap = (s) => void seen.push({ flags: s.repr.flags, sackPermitted: s.repr.sackPermitted });
    sim.b.tcp.listen(80);
    let client: TcpConnection | undefined;
    void sim.a.tcp.connect("10.0.0.2", 80).then((c) => (client = c));
    assert.ok(await sim.run(() => client !== undefined, 1000));
    assert.equal(seen[0]!.sackPermitted, true, "a offers");
    assert.equal(seen[1]!.sackPermitted, false, "b does not answer it");
  });

  test("simultaneous open: both SYN-SENT, both SYN-RECEIVED, both ESTABLISHED (RFC 9293 §3.5 figure 8)", async () => {
    const sim = new Sim();
    const seen = record(sim);
    let a: TcpConnection | undefined;
    let b: TcpConnection | undefined;
    void sim.a.tcp.connect("10.0.0.2", 5000, { localPort: 6000 }).then((c) => (a = c));
    void sim.b.tcp.connect("10.0.0.1", 6000, { localPort: 5000 }).then((c) => (b = c));
    const path = await watchStates(sim, () => a !== undefined && b !== undefined);
    assert.deepEqual(path.a, ["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"]);
    assert.deepEqual(path.b, ["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"]);
    assert.deepEqual(seen.slice(0, 4).map((s) => flagNames(s.flags)), ["S", "S", "S.", "S."]);
    void a!.write("ping");
    const got = collect(b!);
    await sim.runFor(100);
    assert.equal(new TextDecoder().decode(got.bytes()), "ping");
  });

  test("active close FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → CLOSED after 2·MSL; passive CLOSE-WAIT → LAST-ACK → CLOSED", async () => {
    const { sim, client, server } = await pair({ tcp: { timeWaitMs: 10_000 } });
    void client.end();
    const atServer = collect(server);
    const first = await watchStates(sim, () => atServer.done && states(sim.a)[0] === "FIN-WAIT-2");
    assert.deepEqual(first.a, ["FIN-WAIT-1", "FIN-WAIT-2"], "end() enters FIN-WAIT-1 at once");
    assert.deepEqual(first.b, ["ESTABLISHED", "CLOSE-WAIT"]);
    void server.end();
    const start = sim.now;
    const second = await watchStates(sim, () => sim.a.tcp.stats.connections === 0, 20_000);
    assert.deepEqual(second.a, ["FIN-WAIT-2", "TIME-WAIT", "CLOSED"]);
    assert.deepEqual(second.b, ["LAST-ACK", "CLOSED"], "end() in CLOSE-WAIT enters LAST-ACK at once");
    assert.ok(sim.now - start >= 10_000 && sim.now - start < 10_100, `TIME-WAIT lasted ${sim.now - start}`);
    assert.equal(await client.closed, undefined);
    assert.equal(await server.closed, undefined);
  });

  test("simultaneous close: FIN-WAIT-1 → CLOSING → TIME-WAIT on both sides", async () => {
    const { sim, client, server } = await pair({ tcp: { timeWaitMs: 1000 } });
    void client.end();
    void server.end();
    const path = await watchStates(sim, () => sim.a.tcp.stats.connections === 0 && sim.b.tcp.stats.connections === 0, 5000);
    assert.deepEqual(path.a, ["FIN-WAIT-1", "CLOSING", "TIME-WAIT", "CLOSED"]);
    assert.deepEqual(path.b, ["FIN-WAIT-1", "CLOSING", "TIME-WAIT", "CLOSED"]);
  });

  test("TIME-WAIT answers a retransmitted FIN with an ACK and restarts its timer", async () => {
    const { sim, client, server, seen } = await pair({ tcp: { timeWaitMs: 10_000 } });
    void client.end();
    void server.end();
    assert.ok(await sim.run(() => states(sim.a)[0] === "TIME-WAIT", 1000));
    const fin = seen.find((s) => s.from === "b" && s.flags & FIN)!;
    await sim.runFor(8000);
    const before = seen.length;
    sim.inject(sim.a, 0x0a000002, segment({ sourcePort: 80, destinationPort: client.local.port, seq: fin.seq, ack: fin.ack, flags: FIN | ACK }, 0x0a000002, ADDRESS_A));
    await sim.runFor(100);
    assert.equal(flagNames(seen[before]!.flags), ".");
    await sim.runFor(5000);
    assert.deepEqual(states(sim.a), ["TIME-WAIT"], "restarted: still there 13 s after entering");
    await sim.runFor(5000);
    assert.equal(sim.a.tcp.stats.connections, 0);
  });

  test("TIME-WAIT is bounded: past maxTimeWait a connection ACKs the FIN and closes at once", async () => {
    const sim = new Sim({ tcpA: { maxTimeWait: 3, timeWaitMs: 60_000 } });
    // The server ends after the client's end: the client closes actively and enters TIME-WAIT.
    void (async () => {
      for await (const c of sim.b.tcp.listen(81)) {
        void (async () => {
          for await (const _ of c);
          await c.end();
        })();
      }
    })();
    for (let i = 0; i < 5; i++) {
      let c: TcpConnection | undefined;
      void sim.a.tcp.connect("10.0.0.2", 81).then((x) => (c = x));
      assert.ok(await sim.run(() => c !== undefined, 1000));
      const got = collect(c!);
      void c!.end();
      assert.ok(await sim.run(() => got.done && sim.b.tcp.stats.connections === 0, 1000), `round ${i}`);
    }
    assert.equal(sim.a.tcp.stats.timeWait, 3);
    assert.equal(sim.a.tcp.stats.timeWaitOverflows, 2);
    assert.equal(sim.a.tcp.stats.connections, 3);
    await sim.runFor(61_000);
    assert.equal(sim.a.tcp.stats.timeWait, 0);
    assert.equal(sim.a.tcp.stats.connections, 0);
  });

  test("a closed socket in FIN-WAIT-2 is dropped after finWait2TimeoutMs", async () => {
    const { sim, client } = await pair({ tcp: { finWait2TimeoutMs: 3000 } });
    client.close();
    assert.ok(await sim.run(() => states(sim.a)[0] === "FIN-WAIT-2", 1000));
    await sim.runFor(2500);
    assert.deepEqual(states(sim.a), ["FIN-WAIT-2"]);
    await sim.runFor(1000);
    assert.equal(sim.a.tcp.stats.connections, 0);
  });

  test("a new SYN for a 4-tuple in TIME-WAIT opens a new connection (RFC 9293 §3.6.1)", async () => {
    const sim = new Sim({ tcp: { timeWaitMs: 60_000 } });
    const listener = sim.a.tcp.listen(80);
    const accepted: TcpConnection[] = [];
    void (async () => {
      for await (const c of listener) {
        accepted.push(c as TcpConnection);
        void (c as TcpConnection).end();
      }
    })();
    let first: TcpConnection | undefined;
    void sim.b.tcp.connect("10.0.0.1", 80, { localPort: 40000 }).then((c) => (first = c));
    assert.ok(await sim.run(() => first !== undefined, 1000));
    // The server closes first (TIME-WAIT on its side); the client answers the end of stream.
    const drained = collect(first!);
    assert.ok(await sim.run(() => drained.done, 1000));
    void first!.end();
    assert.ok(await sim.run(() => states(sim.a)[0] === "TIME-WAIT" && sim.b.tcp.stats.connections === 0, 5000), `${states(sim.a)} ${states(sim.b)}`);
    await sim.runFor(1000);
    let second: TcpConnection | undefined;
    void sim.b.tcp.connect("10.0.0.1", 80, { localPort: 40000 }).then((c) => (second = c));
    assert.ok(await sim.run(() => second !== undefined && accepted.length === 2, 5000));
  });

  test("100 connections opened, used and closed (orderly, simultaneous, after close()) under 10% loss all finish and leave nothing behind", async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const sim = new Sim({ seed, link: { loss: 0.1, reorder: 0.1, duplicate: 0.05, jitterMs: 2 }, tcp: { timeWaitMs: 2000 } });
      // The server ends first (simultaneous close when the client does too) or answers the client's end.
      void (async () => {
        for await (const c of sim.b.tcp.listen(80)) {
          void (async () => {
            if (seed % 3 === 0) await c.end("early");
            let n = 0;
            try {
              for await (const chunk of c) n += chunk.length;
            } catch {}
            if (seed % 3 !== 0) await c.end(`reply ${n}`).catch(() => {});
          })();
        }
      })();
      let done = 0;
      for (let i = 0; i < 20; i++) {
        let client: TcpConnection | undefined;
        void sim.a.tcp.connect("10.0.0.2", 80).then((c) => (client = c));
        assert.ok(await sim.run(() => client !== undefined, 600_000));
        const got = collect(client!);
        if (seed % 2) void client!.end(`hello ${i}`);
        else {
          void client!.write(`hello ${i}`);
          await sim.runFor(50);
          void client!.end();
        }
        assert.ok(await sim.run(() => got.done, 600_000));
        if (seed === 5) client!.close();
        if (got.error === undefined) done++;
      }
      await sim.runFor(200_000);
      assert.equal(done, 20);
      assert.deepEqual(states(sim.a), [], `seed ${seed}`);
      assert.deepEqual(states(sim.b), [], `seed ${seed}`);
    }
  });

  test("a RST from the peer ends the connection with ECONNRESET", async () => {
    const { sim, client, server } = await pair();
    await client.write("unread");
    await sim.runFor(50);
    server.close(); // unread data: the stack resets
    const closed = await Promise.race([client.closed, sim.runFor(100).then(() => client.closed)]);
    assert.equal((closed as SystemError).code, "ECONNRESET");
    assert.equal(sim.a.tcp.stats.resetsReceived, 1);
    assert.equal(sim.a.tcp.stats.connections, 0);
  });
});

describe("tcp timers", () => {
  test("retransmission backs off exponentially and gives up with ETIMEDOUT (RFC 6298 §5.5, RFC 1122 §4.2.3.5)", async () => {
    const { sim, client, seen } = await pair({ tcp: { maxRetransmissions: 5 } });
    let dead = false;
    sim.tap = (s) => {
      seen.push({ from: s.from, at: s.at, seq: s.repr.seq, ack: s.repr.ack, flags: s.repr.flags, window: s.repr.window, length: s.repr.payload.length, mss: -1, windowScale: -1 });
      return !dead;
    };
    dead = true;
    const before = seen.length;
    void client.write("lost").catch(() => {});
    let error: Error | undefined;
    void client.closed.then((e) => (error = e));
    assert.ok(await sim.run(() => error !== undefined, 200_000));
    assert.equal((error as SystemError).code, "ETIMEDOUT");
    const sends = seen.slice(before).filter((s) => s.from === "a" && s.length > 0).map((s) => s.at);
    assert.equal(sends.length, 6, "the original and 5 retransmissions");
    const gaps = sends.slice(1).map((t, i) => Math.round(t - sends[i]!));
    for (let i = 1; i < gaps.length; i++) assert.equal(gaps[i], 2 * gaps[i - 1]!, `gaps ${gaps}`);
    assert.equal(sim.a.tcp.stats.timedOut, 1);
  });

  test("the user timeout aborts a connection whose data stays unacknowledged", async () => {
    const { sim, client } = await pair({ tcp: { userTimeoutMs: 5000 } });
    sim.tap = () => false;
    void client.write("lost").catch(() => {});
    let error: Error | undefined;
    void client.closed.then((e) => (error = e));
    const start = sim.now;
    assert.ok(await sim.run(() => error !== undefined, 60_000));
    assert.equal((error as SystemError).code, "ETIMEDOUT");
    assert.ok(sim.now - start < 20_000);
  });

  test("a peer advertising a zero window forever gets persist probes with backoff; the connection stays, memory stays bounded", async () => {
    const { sim, client, seen } = await pair({ tcpB: { receiveBuffer: 16 * 1024 }, tcpA: { sendBuffer: 64 * 1024 } });
    let written = 0;
    void (async () => {
      for (;;) {
        await client.write(new Uint8Array(8192));
        written += 8192;
      }
    })().catch(() => {});
    await sim.runFor(600_000);
    assert.deepEqual(states(sim.a), ["ESTABLISHED"]);
    assert.ok(written <= 16 * 1024 + 64 * 1024 + 8192, `written ${written}`);
    const probes = sim.a.tcp.stats.persistProbes;
    assert.ok(probes >= 10 && probes < 40, `${probes} probes in 10 minutes`);
    const probeTimes = seen.filter((s) => s.from === "a" && s.length === 1).map((s) => s.at);
    const gaps = probeTimes.slice(1).map((t, i) => t - probeTimes[i]!);
    assert.ok(gaps[gaps.length - 1]! >= 59_000 && gaps[gaps.length - 1]! <= 60_001, `backs off to 60 s: ${gaps.map(Math.round)}`);
    assert.equal(sim.a.tcp.stats.timedOut, 0);
  });

  test("keep-alive is off by default: hours idle, no probes", async () => {
    const { sim } = await pair();
    await sim.runFor(3 * 3600_000);
    assert.equal(sim.a.tcp.stats.keepAliveProbes, 0);
    assert.deepEqual(states(sim.a), ["ESTABLISHED"]);
  });

  test("keep-alive probes an idle peer; a live one answers, a gone one is aborted with ETIMEDOUT", async () => {
    const { sim, client } = await pair({ tcpA: { keepAlive: { idleMs: 60_000, intervalMs: 10_000, count: 3 } } });
    await sim.runFor(200_000);
    assert.ok(sim.a.tcp.stats.keepAliveProbes >= 2);
    assert.deepEqual(states(sim.a), ["ESTABLISHED"]);
    sim.tap = () => false;
    let error: Error | undefined;
    void client.closed.then((e) => (error = e));
    assert.ok(await sim.run(() => error !== undefined, 200_000));
    assert.equal((error as SystemError).code, "ETIMEDOUT");
  });

  test("delayed ACK: one small segment is ACKed after 40 ms, two full segments at once (RFC 1122 §4.2.3.2, RFC 5681 §4.2)", async () => {
    const { sim, client, seen } = await pair({ link: { delayMs: 1 } });
    const before = seen.length;
    await client.write("x");
    await sim.runFor(200);
    const small = seen.slice(before);
    const dataAt = small.find((s) => s.from === "a" && s.length === 1)!.at;
    const ackAt = small.find((s) => s.from === "b" && s.flags === ACK)!.at;
    assert.ok(Math.abs(ackAt - dataAt - 1 - 40) < 1, `ACK ${ackAt - dataAt - 1} ms after the data arrived`);
    const mark = seen.length;
    await client.write(new Uint8Array(2920));
    await sim.runFor(200);
    const full = seen.slice(mark);
    const secondAt = full.filter((s) => s.from === "a" && s.length > 0)[1]!.at;
    const fullAck = full.find((s) => s.from === "b")!;
    assert.ok(fullAck.at - secondAt < 2, "ACKed on the second full segment");
  });

  test("Nagle holds small writes while data is unacknowledged; noDelay sends each", async () => {
    for (const noDelay of [false, true]) {
      const { sim, client, seen } = await pair({ tcpA: { noDelay } });
      const before = seen.length;
      // One write a millisecond: the first goes at once; the peer delays its ACK 40 ms.
      for (let i = 0; i < 10; i++) {
        void client.write("ab");
        await sim.runFor(1);
      }
      await sim.runFor(500);
      const segments = seen.slice(before).filter((s) => s.from === "a" && s.length > 0);
      if (noDelay) assert.equal(segments.length, 10);
      else assert.deepEqual(segments.map((s) => s.length), [2, 18]);
    }
  });

  test("one lost segment is repaired by fast retransmit, without a timeout (RFC 5681 §3.2)", async () => {
    const sim = new Sim();
    let dropped = false;
    const listener = sim.b.tcp.listen(80);
    let server: TcpConnection | undefined;
    void listener.accept().then((c) => (server = c as TcpConnection));
    let client: TcpConnection | undefined;
    void sim.a.tcp.connect("10.0.0.2", 80).then((c) => (client = c));
    assert.ok(await sim.run(() => client !== undefined && server !== undefined, 1000));
    sim.tap = (s) => {
      if (!dropped && s.from === "a" && s.repr.payload.length > 0 && sim.a.tcp.stats.bytesOut > 100_000) {
        dropped = true;
        return false;
      }
      return true;
    };
    const got = collect(server!);
    const data = testData(1_000_000);
    void client!.end(data);
    assert.ok(await sim.run(() => got.done, 10_000));
    assert.ok(Buffer.from(got.bytes()).equals(Buffer.from(data)));
    assert.ok(dropped);
    assert.equal(sim.a.tcp.stats.fastRetransmits, 1);
    assert.equal(sim.a.tcp.stats.timeouts, 0);
  });

  test("with SACK, ten segments lost from one window are all repaired in the first recovery, without a timeout (RFC 6675)", async () => {
    for (const sack of [true, false]) {
      const sim = new Sim({ tcp: { sack } });
      const listener = sim.b.tcp.listen(80);
      let server: TcpConnection | undefined;
      void listener.accept().then((c) => (server = c as TcpConnection));
      let client: TcpConnection | undefined;
      void sim.a.tcp.connect("10.0.0.2", 80).then((c) => (client = c));
      assert.ok(await sim.run(() => client !== undefined && server !== undefined, 1000));
      let n = 0;
      sim.tap = (s) => !(s.from === "a" && s.repr.payload.length > 0 && ++n >= 60 && n < 80 && n % 2 === 0);
      const got = collect(server!);
      const data = testData(2_000_000);
      const start = sim.now;
      void client!.end(data);
      assert.ok(await sim.run(() => got.done, 60_000));
      assert.ok(Buffer.from(got.bytes()).equals(Buffer.from(data)));
      const stats = sim.a.tcp.stats;
      if (sack) {
        assert.equal(stats.timeouts, 0);
        assert.equal(stats.fastRetransmits, 1);
        assert.equal(stats.retransmits, 10, "exactly the lost segments");
      } else {
        assert.ok(stats.retransmits >= 10);
      }
      console.log(`# ten losses in a window, SACK ${sack ? "on" : "off"}: done in ${(sim.now - start).toFixed(0)} ms, ${stats.retransmits} retransmissions, ${stats.timeouts} timeouts`);
    }
  });

  test("ICMP port unreachable aborts a connect (ECONNREFUSED); in ESTABLISHED it is a soft error", async () => {
    const sim = new Sim();
    sim.tap = () => false;
    let error: SystemError | undefined;
    const seen: Uint8Array[] = [];
    sim.tap = (s) => {
      seen.push(s.bytes.slice(0, 8));
      return false;
    };
    void sim.a.tcp.connect("10.0.0.2", 80).catch((e) => (error = e));
    await sim.runFor(1);
    sim.a.tcp.icmpError(sim.now, 3, 3, ADDRESS_A, 0x0a000002, seen[0]!);
    await sim.runFor(1);
    assert.equal(error?.code, "ECONNREFUSED");
    assert.equal(error?.message, "connect ECONNREFUSED 10.0.0.2:80");

    const p = await pair();
    const header = new Uint8Array(8);
    const lastA = last(p.seen, "a");
    header.set([p.clientPort >> 8, p.clientPort & 0xff, 0, 80, lastA.seq >>> 24, (lastA.seq >>> 16) & 255, (lastA.seq >>> 8) & 255, lastA.seq & 255]);
    p.sim.a.tcp.icmpError(p.sim.now, 3, 1, ADDRESS_A, 0x0a000002, header);
    await p.sim.runFor(100);
    assert.deepEqual(states(p.sim.a), ["ESTABLISHED"]);
  });
});


