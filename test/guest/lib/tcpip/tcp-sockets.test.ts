// The SDK shapes over the simulated stacks: tsuki/http's serve and tsuki/dns's serveTcp run
// unchanged on a TCP listener; connect errors, write backpressure, half-close, close with unread
// data, and the Node-shaped errors.
import "../../web/with-web-globals.ts";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Authority, decodeMessage, parseZone, serveTcp } from "../../../../src/guest/lib/dns/index.ts";
import { Response, serve } from "../../../../src/guest/lib/http/index.ts";
import type { SystemError, TcpConnection } from "../../../../src/guest/lib/tcpip/tcp/index.ts";
import { EXAMPLE_COM, query } from "../dns/fixtures.ts";
import { Sim, collect, connectPair, testData } from "./sim.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);


describe("tcp sockets", () => {
  test("tsuki/http serve answers requests on a TCP listener, keep-alive then close", async () => {
    const sim = new Sim();
    const listener = sim.b.tcp.listen(80);
    void serve(listener, (request, info) => new Response(`hello ${new URL(request.url).pathname} from ${info.remote.address}\n`));
    let client: TcpConnection | undefined;
    void sim.a.tcp.connect("10.0.0.2", 80).then((c) => (client = c));
    assert.ok(await sim.run(() => client !== undefined, 5000));
    const received = collect(client!);
    await client!.write("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.ok(await sim.run(() => received.done, 10_000));
    const answer = text(received.bytes());
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(answer.includes("hello /one from 10.0.0.1\n"));
    assert.ok(answer.includes("hello /two from 10.0.0.1\n"));
    assert.equal(received.error, undefined);
  });

  test("a large HTTP response streams through the window", async () => {
    const sim = new Sim({ tcp: { receiveBuffer: 64 * 1024 } });
    const body = testData(3 * 1024 * 1024, 9);
    const listener = sim.b.tcp.listen(8080);
    void serve(listener, () => new Response(body));
    let client: TcpConnection | undefined;
    void sim.a.tcp.connect("10.0.0.2", 8080).then((c) => (client = c));
    assert.ok(await sim.run(() => client !== undefined, 5000));
    const received = collect(client!);
    await client!.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.ok(await sim.run(() => received.done, 60_000));
    const all = received.bytes();
    const split = Buffer.from(all).indexOf("\r\n\r\n") + 4;
    assert.ok(Buffer.from(all.subarray(split)).equals(Buffer.from(body)));
  });

  test("tsuki/dns serveTcp answers length-framed queries", async () => {
    const sim = new Sim();
    const authority = new Authority([parseZone(EXAMPLE_COM, { file: "example.com.zone" })]);
    void serveTcp(sim.b.tcp.listen(53), authority);
    let client: TcpConnection | undefined;
    void sim.a.tcp.connect("10.0.0.2", 53).then((c) => (client = c));
    assert.ok(await sim.run(() => client !== undefined, 5000));
    const q = query("web.example.com.", 1);
    const framed = new Uint8Array(q.length + 2);
    framed[0] = q.length >> 8;
    framed[1] = q.length & 0xff;
    framed.set(q, 2);
    const received = collect(client!);
    await client!.end(framed);
    assert.ok(await sim.run(() => received.done, 5000));
    const bytes = received.bytes();
    const length = (bytes[0]! << 8) | bytes[1]!;
    assert.equal(bytes.length, length + 2);
    const answer = decodeMessage(bytes.subarray(2));
    assert.equal(answer.answer[0]?.name, "web.example.com.");
  });

  test("connect to a closed port fails with ECONNREFUSED, Node-shaped", async () => {
    const sim = new Sim();
    let failure: SystemError | undefined;
    void sim.a.tcp.connect("10.0.0.2", 81).catch((e: SystemError) => (failure = e));
    assert.ok(await sim.run(() => failure !== undefined, 5000));
    assert.equal(failure!.code, "ECONNREFUSED");
    assert.equal(failure!.syscall, "connect");
    assert.equal(failure!.address, "10.0.0.2");
    assert.equal(failure!.port, 81);
    assert.equal(failure!.message, "connect ECONNREFUSED 10.0.0.2:81");
    assert.equal(sim.b.tcp.stats.drops.noConnection, 1);
    assert.equal(sim.a.tcp.stats.connections, 0);
  });

  test("connect to a host that never answers fails with ETIMEDOUT after the SYN retries", async () => {
    const sim = new Sim({ tcp: { synRetries: 3 } });
    sim.tap = () => false;
    let failure: SystemError | undefined;
    void sim.a.tcp.connect("10.0.0.2", 80).catch((e: SystemError) => (failure = e));
    assert.ok(await sim.run(() => failure !== undefined, 60_000));
    assert.equal(failure!.code, "ETIMEDOUT");
    // 1 s, then 2, 4, 8 (RFC 6298 §5.5 backoff): given up after 15 s.
    assert.ok(sim.now >= 15_000 && sim.now < 16_000, `gave up at ${sim.now}`);
    assert.equal(sim.a.tcp.stats.timeouts, 4);
  });

  test("bad arguments: EINVAL for a bad address or port, EADDRINUSE for a port listened on", async () => {
    const sim = new Sim();
    await assert.rejects(sim.a.tcp.connect("10.0.0", 80), { code: "EINVAL", syscall: "connect" });
    await assert.rejects(sim.a.tcp.connect("10.0.0.2", 0), { code: "EINVAL" });
    sim.a.tcp.listen(80);
    assert.throws(() => sim.a.tcp.listen(80), { code: "EADDRINUSE", syscall: "listen" });
    const any = sim.a.tcp.listen(0);
    assert.ok(any.address.port >= 49152);
    assert.equal(any.address.address, "10.0.0.1");
  });

  test("writes resolve when taken: a sender ahead of a reader that does not read waits (backpressure)", async () => {
    const sim = new Sim({ tcp: { sendBuffer: 64 * 1024, receiveBuffer: 64 * 1024 } });
    const { client, server } = await connectPair(sim);
    let written = 0;
    const data = new Uint8Array(16 * 1024);
    void (async () => {
      for (;;) {
        await client.write(data);
        written += data.length;
      }
    })().catch(() => {});
    await sim.runFor(5000);
    // The peer's receive buffer and our send buffer fill; then writes wait.
    assert.ok(written >= 64 * 1024 && written <= 64 * 1024 + 64 * 1024 + 16 * 1024, `written ${written}`);
    const before = written;
    await sim.runFor(5000);
    assert.equal(written, before, "no progress while the reader does not read");
    const reader = collect(server);
    await sim.runFor(2000);
    assert.ok(written > before + 256 * 1024, "reading lets the writer go on");
    assert.ok(reader.length > 0);
  });

  test("half-close: after end() the peer reads end-of-stream and can still answer", async () => {
    const sim = new Sim();
    const { client, server } = await connectPair(sim);
    await client.end("question");
    const atServer = collect(server);
    assert.ok(await sim.run(() => atServer.done, 1000));
    assert.equal(text(atServer.bytes()), "question");
    const atClient = collect(client);
    await server.end("answer");
    assert.ok(await sim.run(() => atClient.done, 1000));
    assert.equal(text(atClient.bytes()), "answer");
    await assert.rejects(client.write("more"), { code: "EPIPE" });
  });

  test("close() with unread data resets the connection: the peer sees ECONNRESET", async () => {
    const sim = new Sim();
    const { client, server } = await connectPair(sim);
    await client.write("unread");
    await sim.runFor(100);
    server.close();
    let error: Error | undefined;
    void client.closed.then((e) => (error = e));
    assert.ok(await sim.run(() => error !== undefined, 1000));
    assert.equal((error as SystemError).code, "ECONNRESET");
    await assert.rejects(client.read(), { code: "ECONNRESET" });
    await assert.rejects(client.write("x"), { code: "ECONNRESET" });
    assert.equal(sim.b.tcp.stats.resetsSent, 1);
  });

  test("Tcp.close() resets every connection (ECONNABORTED locally, ECONNRESET at the peer) and stops every listener", async () => {
    const sim = new Sim();
    const { client, server } = await connectPair(sim);
    const listener = sim.b.tcp.listen(81);
    const accepting = listener.accept();
    sim.b.tcp.close();
    await assert.rejects(accepting, { code: "EINVAL" });
    assert.equal(((await server.closed) as SystemError).code, "ECONNABORTED");
    let peer: Error | undefined;
    void client.closed.then((e) => (peer = e));
    assert.ok(await sim.run(() => peer !== undefined, 1000));
    assert.equal((peer as SystemError).code, "ECONNRESET");
    assert.equal(sim.b.tcp.stats.connections, 0);
  });

  test("close() without unread data sends what was written, then a FIN", async () => {
    const sim = new Sim();
    const { client, server } = await connectPair(sim);
    const atClient = collect(client);
    await server.write(testData(200_000, 5));
    server.close();
    assert.ok(await sim.run(() => atClient.done, 5000));
    assert.equal(atClient.error, undefined);
    assert.equal(atClient.length, 200_000);
  });
});
