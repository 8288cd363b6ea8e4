/**
 * tsuki/http end to end: a unikernel serving HTTP on the isolate target, driven by peers we did not
 * write (curl, wrk, Node's fetch and http client) and by raw sockets for what well-behaved clients
 * never send: pipelining, request smuggling attempts, malformed heads and bodies, slow clients,
 * clients that vanish mid-body and clients that never read.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Agent, get as httpGet, request as httpRequest } from "node:http";
import { type Socket, connect } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { buildImage } from "../../src/host/build/build.ts";
import { type Image, loadImage } from "../../src/host/image/image.ts";
import type { ConsoleLine } from "../../src/host/tender/console.ts";
import type { Unikernel } from "../../src/host/tender/unikernel.ts";
import { ROOT, buildSource, tempDir, testTender, hasTool } from "../helpers.ts";


/** The server under test: routes that exercise the library, with its options from `args`. */
const SERVER = `import { unikernel, listener } from "tsuki";
import { Response, URL, serve } from "tsuki/http";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const produced = new Map();

export default unikernel({
  devices: { web: listener() },
  async start({ web, args }) {
    await serve(web, async (request, info) => {
      const url = new URL(request.url);
      const q = url.searchParams;
      switch (url.pathname) {
        case "/":
          return new Response("hello\\n");
        case "/echo":
          return new Response(request.body === null ? null : await request.bytes(), { headers: { "content-type": request.headers.get("content-type") ?? "application/octet-stream" } });
        case "/info":
          return Response.json({ method: request.method, url: request.url, headers: [...request.headers], length: request.body === null ? null : (await request.bytes()).length, remote: info.remote.address, query: Object.fromEntries(q) });
        case "/slow":
          await sleep(Number(q.get("ms")));
          return new Response(\`slow \${q.get("id")}\\n\`);
        case "/stream":
          return new Response((async function* () {
            for (let i = 0; i < 5; i++) {
              yield \`chunk \${i}\\n\`;
              await sleep(5);
            }
          })(), { headers: { "content-type": "text/plain" } });
        case "/endless": {
          const id = q.get("id");
          const total = Number(q.get("mib")) * 1024 * 1024;
          produced.set(id, 0);
          return new Response((async function* () {
            const chunk = new Uint8Array(64 * 1024).fill(97);
            for (let sent = 0; sent < total; sent += chunk.length) {
              produced.set(id, sent + chunk.length);
              yield chunk;
            }
          })());
        }
        case "/produced":
          return new Response(String(produced.get(q.get("id")) ?? -1));
        case "/sized-stream":
          return new Response((async function* () { yield "abc"; yield "def"; })(), { headers: { "content-length": q.get("n") } });
        case "/throw":
          throw new Error("boom from the handler");
        case "/redirect":
          return Response.redirect(new URL("/", request.url), 307);
        case "/nothing":
          return new Response(null, { status: 204 });
        case "/cookies": {
          const response = new Response("ok");
          response.headers.append("set-cookie", "a=1; Path=/");
          response.headers.append("set-cookie", "b=2; Path=/");
          return response;
        }
        case "/close":
          return new Response("bye\\n", { headers: { connection: "close" } });
      }
      return new Response("not found\\n", { status: 404 });
    }, args);
  },
});
`;

const OPTIONS = { headersTimeoutMs: 600, requestTimeoutMs: 1500, idleTimeoutMs: 3000, maxBodyBytes: 256 * 1024 };

const live: Unikernel[] = [];
after(async () => {
  for (const u of live) u.stop();
  await Promise.all(live.map((u) => u.exited));
});

let image: Image;
let server: { port: number; unikernel: Unikernel; lines: ConsoleLine[] };
const url = (p: string) => `http://127.0.0.1:${server.port}${p}`;

async function boot(img: Image, args: Record<string, number> = {}, limits: { cpuMs?: number } = {}) {
  const { tender, lines } = testTender("isolate");
  const unikernel = await tender.boot(img, { bindings: [{ name: "web", uri: "tcp://127.0.0.1:0" }], args, ...limits });
  live.push(unikernel);
  return { port: unikernel.addresses.web!.port, unikernel, lines };
}

before(async () => {
  image = await buildSource(SERVER);
  server = await boot(image, OPTIONS);
});

/** Runs a command asynchronously (the server runs in this very process) and collects its output. */
function run(command: string, args: string[], input?: Uint8Array): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(input);
  });
}

const curl = (...args: string[]) => run("curl", ["-s", "--max-time", "10", ...args]);

function connectTo(port = server.port): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Writes `data` on a fresh connection and collects everything until the server closes it (or `ms` pass). */
async function exchange(data: string | Uint8Array, ms = 5000): Promise<{ text: string; closedByServer: boolean }> {
  const socket = await connectTo();
  return new Promise((resolve) => {
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedByServer: false });
    }, ms);
    socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closedByServer: true });
    });
    socket.write(data);
  });
}

/** Collects what arrives on `socket` until `done` says it is enough; rejects if the server closes first or after `ms`. */
function collect(socket: Socket, done: (text: string) => boolean, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(text)}`)), ms);
    const onClose = () => reject(new Error(`the server closed the connection; got ${JSON.stringify(text.slice(-200))}`));
    const onData = (c: Buffer) => {
      text += c.toString("latin1");
      if (done(text)) {
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("close", onClose);
        resolve(text);
      }
    };
    socket.on("data", onData);
    socket.on("close", onClose);
  });
}

const statusLines = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n/g)].map((m) => Number(m[1]));
const GET = (p: string, extra = "") => `GET ${p} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;

describe("curl, a client we did not write", { skip: hasTool("curl") ? undefined : "curl is not installed (apt-get install curl)" }, () => {
  test("GET: 200, the body, Content-Length and Date, no Server header", async () => {
    const { code, stdout } = await curl("-i", url("/"));
    assert.equal(code, 0);
    const text = stdout.toString();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\ncontent-length: 6\r\n/i);
    assert.match(text, /\r\ndate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/i);
    assert.doesNotMatch(text, /\r\nserver:/i);
    assert.ok(text.endsWith("\r\n\r\nhello\n"));
  });

  test("HEAD: the GET's Content-Length and no body", async () => {
    const { code, stdout } = await curl("-I", url("/"));
    assert.equal(code, 0);
    const text = stdout.toString();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\ncontent-length: 6\r\n/i);
    assert.ok(text.endsWith("\r\n\r\n"), "nothing after the head");
  });

  test("POST with a body: the handler gets its bytes", async () => {
    const body = randomBytes(100_000);
    const file = path.join(tempDir(), "body.bin");
    writeFileSync(file, body);
    const { code, stdout } = await curl("--data-binary", `@${file}`, "-H", "Content-Type: application/x-test", url("/echo"));
    assert.equal(code, 0);
    assert.ok(stdout.equals(body));
  });

  test("a chunked upload (-H 'Transfer-Encoding: chunked') arrives whole", async () => {
    const body = randomBytes(200_000);
    const { code, stdout, stderr } = await run("curl", ["-s", "-v", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", url("/echo")], body);
    assert.equal(code, 0);
    assert.match(stderr, /> Transfer-Encoding: chunked/);
    assert.ok(stdout.equals(body), `echoed ${stdout.length} bytes of ${body.length}`);
  });

  test("Expect: 100-continue is answered, then the body is read", async () => {
    const body = randomBytes(50_000);
    const { code, stdout, stderr } = await run("curl", ["-s", "-v", "-H", "Expect: 100-continue", "--data-binary", "@-", url("/echo")], body);
    assert.equal(code, 0);
    assert.match(stderr, /< HTTP\/1\.1 100 Continue/);
    assert.ok(stdout.equals(body));
  });

  test("a body over maxBodyBytes is a 413 before it is sent, with Expect", async () => {
    const body = randomBytes(OPTIONS.maxBodyBytes + 1);
    const { code, stdout, stderr } = await run("curl", ["-s", "-v", "-H", "Expect: 100-continue", "--data-binary", "@-", url("/echo")], body);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /< HTTP\/1\.1 413 Content Too Large/);
    assert.doesNotMatch(stderr, /100 Continue/);
    assert.match(stdout.toString(), /larger than 262144 bytes/);
  });

  test("keep-alive: two URLs on one command line share one connection", async () => {
    const { code, stdout, stderr } = await curl("-v", url("/"), url("/info"));
    assert.equal(code, 0);
    assert.match(stderr, /Re-using existing connection/);
    assert.equal(stderr.match(/Connected to/g)?.length, 1);
    assert.match(stdout.toString(), /^hello\n\{"method":"GET"/);
  });

  test("--http1.0: answered, and the connection closes", async () => {
    const { code, stdout } = await curl("-i", "--http1.0", url("/"));
    assert.equal(code, 0);
    const text = stdout.toString();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\nconnection: close\r\n/i);
    assert.ok(text.endsWith("hello\n"));
  });

  test("--http1.0 and a streamed body: no chunked coding, the close ends the body", async () => {
    const { code, stdout } = await curl("-i", "--http1.0", url("/stream"));
    assert.equal(code, 0);
    const text = stdout.toString();
    assert.doesNotMatch(text, /transfer-encoding/i);
    assert.ok(text.endsWith("\r\n\r\nchunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n"), text);
  });

  test("a streamed body is sent chunked to HTTP/1.1", async () => {
    const { code, stdout } = await curl("-i", url("/stream"));
    assert.equal(code, 0);
    const text = stdout.toString();
    assert.match(text, /\r\ntransfer-encoding: chunked\r\n/i);
    assert.ok(text.endsWith("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n"));
  });

  test("a handler that throws gets a 500, logged by the default onError", async () => {
    const { stdout } = await curl("-i", url("/throw"));
    assert.match(stdout.toString(), /^HTTP\/1\.1 500 Internal Server Error\r\n/);
    assert.ok(server.lines.some((l) => l.stream === 2 && /boom from the handler/.test(l.text)));
  });

  test("redirects, 204 and 404", async () => {
    const redirect = (await curl("-i", url("/redirect"))).stdout.toString();
    assert.match(redirect, /^HTTP\/1\.1 307 Temporary Redirect\r\n/);
    assert.match(redirect, new RegExp(`\\r\\nlocation: http://127\\.0\\.0\\.1:${server.port}/\\r\\n`));
    const empty = (await curl("-i", url("/nothing"))).stdout.toString();
    assert.match(empty, /^HTTP\/1\.1 204 No Content\r\n/);
    assert.doesNotMatch(empty, /content-length|transfer-encoding/i);
    assert.match((await curl("-i", url("/nope"))).stdout.toString(), /^HTTP\/1\.1 404 Not Found\r\n/);
  });
});

describe("Node's fetch and http client", () => {
  test("fetch: GET with a query, the request as the handler saw it", async () => {
    const response = await fetch(url("/info?a=1&b=x%20y&a=2"), { headers: { "X-Custom": "  v  " } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json");
    const info = (await response.json()) as { method: string; url: string; headers: [string, string][]; length: number | null; remote: string; query: Record<string, string> };
    assert.equal(info.method, "GET");
    assert.equal(info.url, `http://127.0.0.1:${server.port}/info?a=1&b=x%20y&a=2`);
    assert.deepEqual(info.query, { a: "2", b: "x y" });
    assert.ok(info.headers.some(([n, v]) => n === "x-custom" && v === "v"));
    assert.equal(info.length, null);
    assert.equal(info.remote, "127.0.0.1");
  });

  test("fetch: POST JSON, and set-cookie fields kept apart", async () => {
    const response = await fetch(url("/echo"), { method: "POST", body: JSON.stringify({ hello: "wörld" }), headers: { "content-type": "application/json" } });
    assert.deepEqual(await response.json(), { hello: "wörld" });
    const cookies = await fetch(url("/cookies"));
    assert.deepEqual(cookies.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/"]);
  });

  test("fetch: a streamed response", async () => {
    assert.equal(await (await fetch(url("/stream"))).text(), "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
  });

  test("http with a keep-alive agent reuses one socket for several requests", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const reused: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpGet(url("/"), { agent }, (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.on("socket", () => reused.push(req.reusedSocket));
      });
      assert.equal(body, "hello\n");
    }
    agent.destroy();
    assert.deepEqual(reused, [false, true, true]);
  });

  test("http: a PUT with a chunked body of many writes", async () => {
    const parts = Array.from({ length: 20 }, () => randomBytes(5000));
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const req = httpRequest(url("/echo"), { method: "PUT" }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks)));
      });
      req.on("error", reject);
      for (const part of parts) req.write(part);
      req.end();
    });
    assert.ok(echoed.equals(Buffer.concat(parts)));
  });
});

describe("raw sockets: pipelining and keep-alive", () => {
  test("pipelined requests are answered in order, a slow one first", async () => {
    const socket = await connectTo();
    const replies = collect(socket, (t) => (t.match(/slow \d\n/g) ?? []).length === 3);
    socket.write(GET("/slow?ms=200&id=1") + GET("/slow?ms=0&id=2") + GET("/slow?ms=50&id=3"));
    const text = await replies;
    assert.deepEqual([...text.matchAll(/slow (\d)\n/g)].map((m) => m[1]), ["1", "2", "3"]);
    assert.deepEqual(statusLines(text), [200, 200, 200]);
    socket.destroy();
  });

  test("a flood of pipelined requests on four connections runs in short turns: a 100 ms CPU budget is never exceeded", async () => {
    const flooded = await boot(image, { ...OPTIONS }, { cpuMs: 100 });
    const n = 10_000;
    const counts = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const socket = await connectTo(flooded.port);
        const done = collect(socket, (t) => t.split("hello\n").length - 1 >= n, 30_000);
        socket.write(GET("/").repeat(n));
        const text = await done;
        socket.destroy();
        return text.split("hello\n").length - 1;
      }),
    );
    assert.deepEqual(counts, [n, n, n, n]);
    assert.equal(flooded.unikernel.status, undefined, "the unikernel is still running");
  });

  test("pipelined requests with bodies, split at every odd place", async () => {
    const requests = ["POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nfirst", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n", GET("/", "Connection: close\r\n")].join("");
    const socket = await connectTo();
    const closed = new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (c: Buffer) => (text += c));
      socket.on("close", () => resolve(text));
    });
    for (let i = 0; i < requests.length; i += 7) {
      socket.write(requests.slice(i, i + 7));
      await new Promise((r) => setTimeout(r, 1));
    }
    const text = await closed;
    assert.deepEqual(statusLines(text), [200, 200, 200]);
    assert.match(text, /\r\n\r\nfirst[^]*\r\n\r\nsecond[^]*\r\nconnection: close\r\n(?:[^]*\r\n)?\r\nhello\n$/);
  });

  test("HEAD sends no body: the next pipelined response follows the head directly", async () => {
    const { text: both } = await exchange(`HEAD / HTTP/1.1\r\nHost: t\r\n\r\n${GET("/", "Connection: close\r\n")}`);
    const [head, rest] = [both.slice(0, both.indexOf("\r\n\r\n") + 4), both.slice(both.indexOf("\r\n\r\n") + 4)];
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 6\r\n/);
    assert.match(rest, /^HTTP\/1\.1 200 OK\r\n/);
  });

  test("Connection: close from the client: answered, then the server closes", async () => {
    const { text, closedByServer } = await exchange(GET("/", "Connection: close\r\n"));
    assert.deepEqual(statusLines(text), [200]);
    assert.match(text, /\r\nconnection: close\r\n/);
    assert.ok(closedByServer);
  });

  test("Connection: close from the handler closes after the response", async () => {
    const { text, closedByServer } = await exchange(GET("/close") + GET("/"));
    assert.deepEqual(statusLines(text), [200]);
    assert.ok(text.endsWith("bye\n"));
    assert.ok(closedByServer);
  });

  test("HTTP/1.0 with Connection: keep-alive stays open", async () => {
    const socket = await connectTo();
    const first = collect(socket, (t) => t.endsWith("hello\n"));
    socket.write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert.match(await first, /\r\nconnection: keep-alive\r\n/);
    const second = collect(socket, (t) => t.endsWith("hello\n"));
    socket.write("GET / HTTP/1.0\r\n\r\n");
    assert.match(await second, /\r\nconnection: close\r\n/);
    socket.destroy();
  });

  test("a client that half-closes after pipelining still gets every answer", async () => {
    const socket = await connectTo();
    const text = new Promise<string>((resolve) => {
      let t = "";
      socket.on("data", (c: Buffer) => (t += c));
      socket.on("end", () => resolve(t));
    });
    socket.end(GET("/") + GET("/slow?ms=30&id=9"));
    assert.deepEqual(statusLines(await text), [200, 200]);
  });

  test("an idle keep-alive connection is closed after idleTimeoutMs, without a response", async () => {
    const socket = await connectTo();
    const done = new Promise<{ text: string; ms: number }>((resolve) => {
      let t = "";
      let start = 0;
      socket.on("data", (c: Buffer) => {
        t += c;
        if (start === 0) start = Date.now();
      });
      socket.on("close", () => resolve({ text: t, ms: Date.now() - start }));
    });
    socket.write(GET("/"));
    const { text, ms } = await done;
    assert.deepEqual(statusLines(text), [200]);
    // Not before the timeout; a timer that never fires would hang the test past its own timeout.
    assert.ok(ms >= OPTIONS.idleTimeoutMs - 100, `closed after ${ms} ms`);
  });
});

describe("raw sockets: malformed requests and smuggling attempts get 4xx/5xx and Connection: close", () => {
  const CASES: [string, string, number][] = [
    ["Content-Length and Transfer-Encoding together", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n", 400],
    ["Transfer-Encoding and Content-Length together", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400],
    ["two differing Content-Length", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 15\r\n\r\nhello", 400],
    ["a Content-Length that is not a number", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5a\r\n\r\nhello", 400],
    ["Transfer-Encoding: chunked, identity", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400],
    ["Transfer-Encoding: gzip, chunked", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501],
    ["a bad chunk size", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400],
    ["a chunk size with a space", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5 5\r\nhello\r\n0\r\n\r\n", 400],
    ["a bad chunk extension", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n", 400],
    ["chunk data longer than its size", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", 400],
    ["a chunked body over maxBodyBytes", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n40001\r\n", 413],
    ["a Content-Length over maxBodyBytes", `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${OPTIONS.maxBodyBytes + 1}\r\n\r\n`, 413],
    ["obs-fold", "GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n  b\r\n\r\n", 400],
    ["whitespace before a colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400],
    ["a bare CR in a header", "GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n", 400],
    ["a bare LF line ending", "GET / HTTP/1.1\nHost: t\n\n", 400],
    ["garbage as the request line", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 400],
    ["a request line with two spaces", "GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400],
    ["no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400],
    ["two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["an invalid Host", "GET / HTTP/1.1\r\nHost: a b@c\r\n\r\n", 400],
    ["HTTP/2.0 over HTTP/1 framing", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505],
    ["an expectation we cannot meet", "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx", 417],
    ["a request line over maxHeaderBytes", `GET /${"a".repeat(17 * 1024)} HTTP/1.1\r\nHost: t\r\n\r\n`, 414],
    ["a head over maxHeaderBytes", `GET / HTTP/1.1\r\nHost: t\r\n${"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(500)}\r\n`, 431],
    ["CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501],
  ];
  for (const [name, request, status] of CASES) {
    test(`${name}: ${status}`, async () => {
      const { text, closedByServer } = await exchange(request);
      assert.deepEqual(statusLines(text), [status], text);
      assert.match(text, /\r\nconnection: close\r\n/);
      assert.ok(closedByServer, "the server closed the connection");
      assert.doesNotMatch(text, /smuggled/);
    });
  }

  test("a 431 arrives while the client is still sending its endless head", async () => {
    const socket = await connectTo();
    const reply = collect(socket, (t) => t.includes("\r\n\r\n"));
    socket.write("GET / HTTP/1.1\r\nHost: t\r\n");
    for (let i = 0; i < 40 && !socket.destroyed; i++) socket.write(`X-${i}: ${"a".repeat(1000)}\r\n`);
    assert.deepEqual(statusLines(await reply), [431]);
    socket.destroy();
  });

  test("the server goes on serving after each of them", async () => {
    assert.equal(await (await fetch(url("/"))).text(), "hello\n");
    assert.equal(server.unikernel.status, undefined);
  });
});

describe("raw sockets: slow, vanishing and non-reading clients", () => {
  test("half a head, then silence: 408 after headersTimeoutMs, then the connection closes", async () => {
    const started = Date.now();
    const { text, closedByServer } = await exchange("GET / HTTP/1.1\r\nHost: t\r\nX-Slow:", 5000);
    const ms = Date.now() - started;
    assert.deepEqual(statusLines(text), [408]);
    assert.match(text, /\r\nconnection: close\r\n/);
    assert.ok(closedByServer);
    assert.ok(ms >= OPTIONS.headersTimeoutMs - 50, `408 after ${ms} ms`);
  });

  test("a head dribbled a byte at a time past headersTimeoutMs still gets 408", async () => {
    const socket = await connectTo();
    const reply = collect(socket, (t) => t.includes("\r\n\r\n"), 5000);
    const head = GET("/");
    let i = 0;
    const drip = setInterval(() => (i < head.length - 1 && !socket.destroyed ? socket.write(head[i++]!) : clearInterval(drip)), 50);
    const text = await reply;
    clearInterval(drip);
    assert.deepEqual(statusLines(text), [408]);
    socket.destroy();
  });

  test("a body that stops coming: 408 after requestTimeoutMs", async () => {
    const { text } = await exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc", 5000);
    assert.deepEqual(statusLines(text), [408]);
  });

  test("a client that disconnects mid-body: the server goes on serving others", async () => {
    const rude = await connectTo();
    rude.write(`POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n${"x".repeat(50_000)}`);
    await new Promise((r) => setTimeout(r, 50));
    rude.resetAndDestroy();
    const polite = await connectTo();
    polite.write(`POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n`);
    const half = await connectTo();
    half.write(`POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc`);
    half.end();
    const reply = collect(polite, (t) => t.length >= 200_000 && t.endsWith("y"));
    polite.write("y".repeat(200_000));
    assert.deepEqual(statusLines(await reply), [200]);
    polite.destroy();
    assert.equal(await (await fetch(url("/"))).text(), "hello\n");
    assert.equal(server.unikernel.status, undefined);
  });

  test("a client that never reads: the handler's stream is held at its write, not buffered", async () => {
    const socket = await connectTo();
    socket.pause();
    socket.write(GET("/endless?id=paused&mib=256"));
    await new Promise((r) => setTimeout(r, 800));
    const produced = Number(await (await fetch(url("/produced?id=paused"))).text());
    // What left the generator sits in the runtime (one chunk), the host's queue (256 KiB) and the kernel's buffers.
    assert.ok(produced > 0 && produced < 32 * 1024 * 1024, `the stream produced ${produced} bytes for a client that reads nothing`);
    let received = 0;
    const ended = new Promise<void>((resolve) => {
      socket.on("data", (c: Buffer) => {
        received += c.length;
        if (received >= 256 * 1024 * 1024) resolve();
      });
    });
    socket.resume();
    await ended;
    assert.ok(received > 256 * 1024 * 1024, "everything arrived once the client read");
    socket.destroy();
  });

  test("a streamed body that does not match its Content-Length cuts the connection", async () => {
    const { text, closedByServer } = await exchange(GET("/sized-stream?n=10"));
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\ncontent-length: 10\r\n(?:[^]*\r\n)?\r\nabcdef$/);
    assert.ok(closedByServer);
    const exact = await exchange(GET("/sized-stream?n=6", "Connection: close\r\n"));
    assert.ok(exact.text.endsWith("\r\n\r\nabcdef"));
  });
});

describe("examples/hello-http", { skip: hasTool("curl") ? undefined : "curl is not installed (apt-get install curl)" }, () => {
  let hello: { port: number; unikernel: Unikernel; lines: ConsoleLine[] };
  before(async () => {
    const built = await buildImage(path.join(ROOT, "examples/hello-http"), { out: path.join(tempDir(), "hello-http.tsuki") });
    hello = await boot(loadImage(built.image));
  });

  test("builds, boots, and curl gets hello", async () => {
    const { code, stdout } = await curl(`http://127.0.0.1:${hello.port}/`);
    assert.equal(code, 0);
    assert.equal(stdout.toString(), "hello\n");
    assert.ok(hello.lines.some((l) => l.text === `listening on http://127.0.0.1:${hello.port}/`));
  });

  test("wrk for two seconds: every response is a 200, no socket errors", { skip: hasTool("wrk") ? undefined : "wrk is not installed (apt-get install wrk)" }, async () => {
    const { code, stdout } = await run("wrk", ["-t2", "-c64", "-d2s", `http://127.0.0.1:${hello.port}/`]);
    const text = stdout.toString();
    assert.equal(code, 0, text);
    assert.doesNotMatch(text, /Non-2xx|Socket errors/, text);
    const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
    assert.ok(requests > 1000, text);
    const { stdout: after } = await curl(`http://127.0.0.1:${hello.port}/`);
    assert.equal(after.toString(), "hello\n");
  });
});
