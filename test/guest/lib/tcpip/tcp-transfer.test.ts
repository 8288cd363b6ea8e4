// Two stacks in the deterministic simulation (sim.ts): handshakes, bulk transfers verified byte for
// byte on a clean link and under loss, reordering and duplication, both congestion controllers.
// The core's throughput and the goodput matrix are figures, printed by `npm run bench:tcp-sim`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TcpConnection } from "../../../../src/guest/lib/tcpip/tcp/index.ts";
import { type LinkOptions, Sim, type SimOptions, collect, sendAll, testData } from "./sim.ts";

async function established(sim: Sim, port = 80): Promise<{ client: TcpConnection; server: TcpConnection }> {
  const listener = sim.b.tcp.listen(port);
  let server: TcpConnection | undefined;
  void listener.accept().then((c) => (server = c as TcpConnection));
  let client: TcpConnection | undefined;
  let failure: unknown;
  sim.a.tcp.connect("10.0.0.2", port).then((c) => (client = c), (e) => (failure = e));
  assert.ok(await sim.run(() => (client !== undefined && server !== undefined) || failure !== undefined, 10_000), "handshake completes");
  if (failure) throw failure;
  return { client: client!, server: server! };
}

/** Sends `size` bytes a→b and b→a at once, ends both, and checks every byte. */
async function transfer(options: SimOptions, size: number, limitMs = 600_000): Promise<Sim> {
  const sim = new Sim(options);
  const { client, server } = await established(sim);
  const up = testData(size, 1);
  const down = testData(size, 2);
  const atServer = collect(server);
  const atClient = collect(client);
  void sendAll(client, up);
  void sendAll(server, down);
  const ok = await sim.run(() => atServer.done && atClient.done, limitMs);
  assert.ok(ok, `transfer finished (server got ${atServer.length}, client got ${atClient.length} of ${size}; a ${JSON.stringify(sim.a.tcp.stats)} b ${JSON.stringify(sim.b.tcp.stats)})`);
  assert.equal(atServer.error, undefined);
  assert.equal(atClient.error, undefined);
  assert.equal(atServer.length, size);
  assert.equal(atClient.length, size);
  assert.ok(Buffer.from(atServer.bytes()).equals(Buffer.from(up)), "a→b bytes identical");
  assert.ok(Buffer.from(atClient.bytes()).equals(Buffer.from(down)), "b→a bytes identical");
  return sim;
}

describe("tcp transfer in the simulation", () => {
  test("a handshake, a small exchange and an orderly close", async () => {
    const sim = new Sim();
    const { client, server } = await established(sim);
    assert.equal(client.remote.address, "10.0.0.2");
    assert.equal(client.remote.port, 80);
    assert.equal(server.remote.address, "10.0.0.1");
    await client.write("hello");
    let got = "";
    const reading = (async () => {
      for await (const chunk of server) got += new TextDecoder().decode(chunk);
    })();
    assert.ok(await sim.run(() => got === "hello", 1000));
    void server.write("world");
    const atClient = collect(client);
    void client.end();
    void server.end();
    const closed: (Error | undefined | "open")[] = ["open", "open"];
    void client.closed.then((e) => (closed[0] = e));
    void server.closed.then((e) => (closed[1] = e));
    assert.ok(await sim.run(() => atClient.done && closed[0] !== "open" && closed[1] !== "open", 5000));
    await reading;
    assert.equal(new TextDecoder().decode(atClient.bytes()), "world");
    assert.deepEqual(closed, [undefined, undefined]);
  });

  test("4 MiB each way on a clean link, byte for byte (CUBIC)", async () => {
    const sim = await transfer({ seed: 1 }, 4 * 1024 * 1024);
    assert.equal(sim.a.tcp.stats.retransmits, 0);
  });

  test("4 MiB each way with NewReno", async () => {
    await transfer({ seed: 2, tcp: { congestionControl: "newreno" } }, 4 * 1024 * 1024);
  });

  const hostile: LinkOptions = { loss: 0.05, reorder: 0.05, duplicate: 0.05, jitterMs: 1, bandwidth: 100e6 };
  for (const congestionControl of ["cubic", "newreno"] as const) {
    test(`2 MiB each way under 5% loss, 5% reordering, 5% duplication (${congestionControl})`, async () => {
      const sim = await transfer({ seed: 3, link: hostile, tcp: { congestionControl } }, 2 * 1024 * 1024);
      assert.ok(sim.a.tcp.stats.retransmits > 0 && sim.b.tcp.stats.retransmits > 0);
      assert.ok(sim.a.tcp.stats.fastRetransmits > 0, "losses are mostly repaired by fast retransmit");
    });
  }

  test("several seeds under loss all complete", async () => {
    for (const seed of [11, 12, 13, 14]) await transfer({ seed, link: { ...hostile, loss: 0.03 } }, 512 * 1024);
  });

  test("100 randomized links (loss ≤ 10%, reordering, duplication, jitter, 1 Mbit/s–∞, MTU 300–9000) and buffers (1 kB–1 MiB) all deliver byte for byte", async () => {
    for (let seed = 2000; seed < 2100; seed++) {
      const r = (k: number) => (((seed * 2654435761 + k * 97) >>> 0) % 1000) / 1000;
      const link: LinkOptions = { loss: r(1) * 0.1, reorder: r(2) * 0.2, duplicate: r(3) * 0.1, jitterMs: r(4) * 5, bandwidth: [1e6, 10e6, 100e6, Infinity][seed % 4]!, delayMs: 0.1 + r(5) * 50, queueMs: 5 + r(6) * 100, mtu: [1500, 576, 9000, 300][seed % 4]! };
      const tcp = { congestionControl: seed % 2 ? ("cubic" as const) : ("newreno" as const), receiveBuffer: [4096, 65536, 1 << 20, 1000, 300000][seed % 5]!, sendBuffer: [8192, 1 << 20][seed % 2]!, noDelay: seed % 5 === 0 };
      await transfer({ seed, link, tcp }, 50_000 + Math.floor(r(7) * 150_000), 3_600_000);
    }
  });
});
