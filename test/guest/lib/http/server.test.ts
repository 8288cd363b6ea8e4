// serve() run inside Node's test process over in-memory connections: the response framing rules,
// onError, option checks, and backpressure measured exactly (the end-to-end suite in
// test/devices/http.test.ts drives the same code through a real isolate and real sockets).
import "../../web/with-web-globals.ts";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Handler, Response, type ServeOptions, serve } from "../../../../src/guest/lib/http/index.ts";
import { type FakeConnection, fakeConnection, fakeListener } from "./fake-connection.ts";

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

/** Serves one fake connection with `handler`, sends `input`, and returns the connection once `until` holds (then the client hangs up). */
async function serveOne(handler: Handler, input: string, until: (c: FakeConnection) => boolean, options: ServeOptions = {}): Promise<FakeConnection> {
  const connection = fakeConnection();
  void serve(fakeListener([connection]), handler, { idleTimeoutMs: 200, ...options });
  connection.push(input);
  for (let i = 0; i < 400 && !until(connection); i++) await tick();
  connection.push(null);
  return connection;
}

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: h\r\n${extra}\r\n`;
const answered = (n: number) => (c: FakeConnection) => (c.output().match(/HTTP\/1\.1 \d{3}/g) ?? []).length >= n;

describe("response framing", () => {
  test("a head and small body go out as their exact bytes: Latin-1 field values as one byte each, text bodies as UTF-8", async () => {
    const c = await serveOne(
      (request) => new Response(request.url.endsWith("/ascii") ? "plain" : "héllo ✓", { headers: { "x-name": "caf\u00e9" } }),
      GET("/ascii") + GET("/text"),
      answered(2),
    );
    const [ascii, text] = c.output().split("HTTP/1.1 200 OK").slice(1);
    assert.ok(ascii!.includes("\r\nx-name: caf\u00e9\r\n"), "é is the single byte 0xE9 (read back as Latin-1)");
    assert.ok(ascii!.endsWith("\r\n\r\nplain"));
    const utf8 = Buffer.from("héllo ✓").toString("latin1");
    assert.ok(text!.includes(`content-length: ${Buffer.byteLength("héllo ✓")}\r\n`));
    assert.ok(text!.endsWith(`\r\n\r\n${utf8}`));
  });

  test("a handler's Content-Length is replaced by the real length of a known body", async () => {
    const c = await serveOne(() => new Response("abc", { headers: { "content-length": "99", "transfer-encoding": "gzip", connection: "upgrade" } }), GET("/"), answered(1));
    const text = c.output();
    assert.match(text, /\r\ncontent-length: 3\r\n/);
    assert.doesNotMatch(text, /transfer-encoding|connection: upgrade|content-length: 99/);
    assert.ok(text.endsWith("\r\n\r\nabc"));
  });

  test("HEAD with a streamed body: neither body nor chunked framing, and the stream is not pulled", async () => {
    let pulled = false;
    const c = await serveOne(
      (request) =>
        request.method !== "HEAD"
          ? new Response("after")
          : new Response(
              (async function* () {
                pulled = true;
                yield "x";
              })() as never,
            ),
      `HEAD / HTTP/1.1\r\nHost: h\r\n\r\n${GET("/after")}`,
      answered(2),
    );
    assert.equal(pulled, false);
    const [head] = c.output().split("HTTP/1.1 200 OK").slice(1);
    assert.doesNotMatch(head!, /transfer-encoding|content-length/);
    assert.ok(head!.endsWith("\r\n\r\n"));
  });

  test("HEAD with no body keeps the handler's Content-Length", async () => {
    const c = await serveOne(() => new Response(null, { headers: { "content-length": "1234" } }), `HEAD / HTTP/1.1\r\nHost: h\r\n\r\n`, answered(1));
    assert.match(c.output(), /\r\ncontent-length: 1234\r\n\r\n$/);
  });

  test("a GET with no body gets Content-Length: 0 whatever the handler said", async () => {
    const c = await serveOne(() => new Response(null, { headers: { "content-length": "1234" } }), GET("/"), answered(1));
    assert.match(c.output(), /\r\ncontent-length: 0\r\n\r\n$/);
  });

  test("304 keeps the handler's Content-Length and sends no body; 204 sends neither", async () => {
    const c = await serveOne((r) => new Response(null, { status: r.url.endsWith("304") ? 304 : 204, headers: { "content-length": "10" } }), GET("/304") + GET("/204"), answered(2));
    const [first, second] = c.output().split(/(?=HTTP\/1\.1 )/);
    assert.match(first!, /^HTTP\/1\.1 304 Not Modified\r\n[^]*content-length: 10\r\n\r\n$/);
    assert.match(second!, /^HTTP\/1\.1 204 No Content\r\n/);
    assert.doesNotMatch(second!, /content-length/);
  });

  test("a custom statusText is sent as the reason phrase", async () => {
    const c = await serveOne(() => new Response("x", { status: 299, statusText: "Fine Enough" }), GET("/"), answered(1));
    assert.match(c.output(), /^HTTP\/1\.1 299 Fine Enough\r\n/);
  });

  test("a handler's Date is kept", async () => {
    const c = await serveOne(() => new Response("x", { headers: { date: "Thu, 01 Jan 1970 00:00:00 GMT" } }), GET("/"), answered(1));
    assert.match(c.output(), /\r\ndate: Thu, 01 Jan 1970 00:00:00 GMT\r\n/);
    assert.equal(c.output().match(/\r\ndate:/g)?.length, 1);
  });

  test("empty chunks of a stream are skipped, so they cannot end the chunked body early", async () => {
    const c = await serveOne(
      () =>
        new Response(
          (async function* () {
            yield "";
            yield new Uint8Array(0);
            yield "ab";
          })() as never,
        ),
      GET("/"),
      (x) => x.output().endsWith("0\r\n\r\n"),
    );
    assert.ok(c.output().endsWith("\r\n\r\n2\r\nab\r\n0\r\n\r\n"));
  });
});

describe("errors", () => {
  test("a handler that returns something else than a Response is a 500, reported to onError", async () => {
    const seen: unknown[] = [];
    const c = await serveOne((() => "hello") as unknown as Handler, GET("/"), answered(1), { onError: (error) => void seen.push(error) });
    assert.match(c.output(), /^HTTP\/1\.1 500 Internal Server Error\r\n/);
    assert.ok(seen[0] instanceof TypeError);
  });

  test("onError may answer with its own Response, and gets the request", async () => {
    const c = await serveOne(
      () => {
        throw new Error("nope");
      },
      GET("/x"),
      answered(1),
      { onError: (error, request) => new Response(`${(error as Error).message} at ${request.url}`, { status: 503 }) },
    );
    assert.match(c.output(), /^HTTP\/1\.1 503 Service Unavailable\r\n[^]*nope at http:\/\/h\/x$/);
  });

  test("onError that throws falls back to a plain 500", async () => {
    const c = await serveOne(
      () => {
        throw new Error("first");
      },
      GET("/"),
      answered(1),
      {
        onError: () => {
          throw new Error("second");
        },
      },
    );
    assert.match(c.output(), /^HTTP\/1\.1 500 /);
  });

  test("a stream that fails after the head: the response is cut, onError hears of it, the connection closes", async () => {
    const seen: unknown[] = [];
    const c = await serveOne(
      () =>
        new Response(
          (async function* () {
            yield "partial";
            throw new Error("stream broke");
          })() as never,
        ),
      GET("/"),
      (x) => x.isClosed,
      { onError: (error) => void seen.push(error) },
    );
    assert.ok(c.output().endsWith("7\r\npartial\r\n"), "no last chunk: the client sees the body is incomplete");
    assert.equal((seen[0] as Error).message, "stream broke");
  });

  test("options are checked when serve is called", async () => {
    const listener = fakeListener([]);
    for (const options of [{ maxHeaderBytes: 0 }, { maxBodyBytes: 1.5 }, { headersTimeoutMs: -1 }, { idleTimeoutMs: Number.NaN }, { scheme: "ftp" }, { onError: 1 }]) {
      await assert.rejects(serve(listener, () => new Response(), options as ServeOptions), TypeError, JSON.stringify(options));
    }
    await assert.rejects(serve(listener, undefined as unknown as Handler), TypeError);
  });
});

describe("backpressure", () => {
  test("a client that does not read holds the handler's stream at its write: one chunk ahead, no more", async () => {
    let pulled = 0;
    const connection = fakeConnection();
    void serve(fakeListener([connection]), () =>
      new Response(
        (async function* () {
          for (let i = 0; i < 1000; i++) {
            pulled++;
            yield new Uint8Array(1024);
          }
        })() as never,
      ),
    );
    connection.accepting = false;
    connection.push(GET("/"));
    await tick(50);
    assert.ok(pulled <= 1, `the stream was pulled ${pulled} times while no write completed`);
    connection.accepting = true;
    for (let i = 0; i < 400 && !connection.output().endsWith("\r\n0\r\n\r\n"); i++) await tick();
    assert.equal(pulled, 1000);
    connection.push(null);
  });

  test("pipelined requests are read one at a time: the next is not parsed before the previous is answered", async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const connection = fakeConnection();
    void serve(fakeListener([connection]), async (request) => {
      order.push(`start ${request.url}`);
      if (request.url.endsWith("/1")) await gate;
      order.push(`end ${request.url}`);
      return new Response(request.url);
    });
    connection.push(GET("/1") + GET("/2"));
    await tick(20);
    assert.deepEqual(order, ["start http://h/1"]);
    release();
    await connection.written(1);
    for (let i = 0; i < 100 && order.length < 4; i++) await tick();
    assert.deepEqual(order, ["start http://h/1", "end http://h/1", "start http://h/2", "end http://h/2"]);
    connection.push(null);
  });
});

describe("request bodies", () => {
  test("a body of 100,000 one-byte chunks arrives whole", async () => {
    const body = Array.from({ length: 100_000 }, (_, i) => String.fromCharCode(97 + (i % 26)));
    let received = "";
    await serveOne(async (request) => ((received = await request.text()), new Response("ok")), `POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${body.map((c) => `1\r\n${c}\r\n`).join("")}0\r\n\r\n`, answered(1));
    assert.equal(received, body.join(""));
  });

  test("a Content-Length body split over many reads, followed by a pipelined request", async () => {
    const connection = fakeConnection();
    const bodies: string[] = [];
    void serve(fakeListener([connection]), async (request) => (bodies.push(await request.text()), new Response("ok")));
    const input = `POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz${GET("/")}`;
    for (let i = 0; i < input.length; i += 3) {
      connection.push(input.slice(i, i + 3));
      await tick(1);
    }
    for (let i = 0; i < 200 && bodies.length < 2; i++) await tick();
    assert.deepEqual(bodies, ["abcdefghijklmnopqrstuvwxyz", ""]);
    connection.push(null);
  });
});

describe("the handler's view", () => {
  test("method as sent, absolute URL from Host, headers, raw body, and the client's address", async () => {
    let seen: unknown;
    await serveOne(
      async (request, info) => {
        seen = { method: request.method, url: request.url, type: request.headers.get("content-type"), body: await request.text(), used: request.bodyUsed, remote: info.remote.address };
        return new Response("ok");
      },
      "PATCH /a/./b/../c?x=1 HTTP/1.1\r\nHost: Example.COM:80\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
      answered(1),
    );
    assert.deepEqual(seen, { method: "PATCH", url: "http://example.com/a/c?x=1", type: "text/plain", body: "hello", used: true, remote: "192.0.2.1" });
  });

  test("the scheme option names https URLs behind a TLS listener", async () => {
    let url = "";
    await serveOne((request) => ((url = request.url), new Response("ok")), GET("/p"), answered(1), { scheme: "https" });
    assert.equal(url, "https://h/p");
  });
});
