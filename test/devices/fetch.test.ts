/**
 * The global `fetch` of a unikernel, end to end on the isolate target, against upstreams we did
 * not write: Node's http and https servers on loopback (the https one with a certificate made by
 * openssl), and a raw TCP server for what well-behaved servers never send (a malformed head, an
 * endless header or body, a close mid-body). The unikernel's own handler runs each fetch and
 * answers with what it saw, driven by Node's fetch from this process.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { type IncomingMessage, type ServerResponse, createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, type Server, type Socket, createServer as createTcpServer } from "node:net";
import path from "node:path";
import { gzipSync, deflateSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import type { Image } from "../../src/host/image/image.ts";
import { TsukiError } from "../../src/host/common/errors.ts";
import type { Unikernel } from "../../src/host/tender/unikernel.ts";
import { buildSource, tempDir, testTender } from "../helpers.ts";

const hasOpenssl = spawnSync("sh", ["-c", "command -v openssl"]).status === 0;

const GUEST = `import { unikernel, listener, connector } from "tsuki";
import { serve } from "tsuki/http";

export default unikernel({
  devices: {
    web: listener(),
    api: connector({ origin: "http://api.test", headersTimeoutMs: 400, maxHeaderBytes: 4096 }),
    other: connector({ origin: "http://other.test:8080" }),
    raw: connector({ origin: "http://raw.test", headersTimeoutMs: 400, maxHeaderBytes: 4096 }),
    secure: connector({ origin: "https://secure.test", optional: true }),
    forged: connector({ origin: "https://forged.test", optional: true }),
  },
  async start({ web }) {
    await serve(web, async (request) => {
      const q = new URL(request.url).searchParams;
      const init = JSON.parse(q.get("init") ?? "{}");
      if (q.get("stream")) {
        const parts = q.get("stream").split(",");
        init.body = new ReadableStream({ pull(c) { parts.length ? c.enqueue(new TextEncoder().encode(parts.shift())) : c.close(); } });
        init.duplex = "half";
      }
      if (q.get("abortAfterMs")) init.signal = AbortSignal.timeout(Number(q.get("abortAfterMs")));
      const controller = new AbortController();
      if (q.get("abortMidBody")) init.signal = controller.signal;
      try {
        const response = await fetch(q.get("to"), init);
        let text;
        if (q.get("abortMidBody")) {
          const reader = response.body.getReader();
          const first = await reader.read();
          controller.abort();
          try { await reader.read(); text = "read on"; } catch (e) { text = "first " + first.value.length + ", then " + e.name; }
        } else text = await response.text();
        return Response.json({ status: response.status, url: response.url, redirected: response.redirected, headers: Object.fromEntries(response.headers), text });
      } catch (error) {
        return Response.json({ error: error.name, message: error.message, cause: error.cause?.code });
      }
    }, { requestTimeoutMs: 60_000 });
  },
});
`;

interface Seen {
  status?: number;
  url?: string;
  redirected?: boolean;
  headers?: Record<string, string>;
  text?: string;
  error?: string;
  message?: string;
  cause?: string;
}

const live: Unikernel[] = [];
const servers: Server[] = [];
after(async () => {
  for (const u of live) u.stop();
  await Promise.all(live.map((u) => u.exited));
  for (const s of servers) s.close();
});

let image: Image;
let unikernel: Unikernel;
let web: number;
let api: number;
let other: number;
let raw: number;
/** Sockets the api upstream accepted, and the requests it saw. */
let apiSockets = 0;
const apiRequests: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function apiHandler(req: IncomingMessage, res: ServerResponse): void {
  let body = "";
  req.setEncoding("latin1");
  req.on("data", (c: string) => (body += c));
  req.on("end", () => {
    apiRequests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const u = new URL(req.url!, "http://api.test");
    switch (u.pathname) {
      case "/json":
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ hello: "world" }));
      case "/echo":
        return void res.writeHead(200).end(`${req.method} ${req.headers["transfer-encoding"] ?? `length ${req.headers["content-length"]}`} ${body}`);
      case "/chunked":
        res.writeHead(200);
        res.write("one,");
        setTimeout(() => res.end("two"), 10);
        return;
      case "/gzip":
        return void res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync("squeezed ".repeat(1000)));
      case "/deflate":
        return void res.writeHead(200, { "content-encoding": "deflate" }).end(deflateSync("flattened"));
      case "/redirect":
        return void res.writeHead(Number(u.searchParams.get("status") ?? 302), { location: u.searchParams.get("to")! }).end("moved");
      case "/slow-head":
        return void setTimeout(() => res.writeHead(200).end("late"), 2000);
      case "/stall-body":
        res.writeHead(200, { "content-length": "100000" });
        res.write("x".repeat(1000));
        return;
    }
    res.writeHead(404).end("not found");
  });
}

/** A server that sends whatever its path asks for, raw. */
function rawHandler(socket: Socket): void {
  socket.on("error", () => undefined);
  socket.once("data", (data: Buffer) => {
    const path = /^GET (\S+)/.exec(data.toString("latin1"))?.[1] ?? "";
    if (path === "/malformed") socket.end("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nBad Header\r\n\r\nhello");
    else if (path === "/endless-header") {
      socket.write("HTTP/1.1 200 OK\r\n");
      const more = () => {
        while (!socket.destroyed && socket.write(`x-filler: ${"a".repeat(1000)}\r\n`));
        if (!socket.destroyed) socket.once("drain", more);
      };
      more();
    } else if (path === "/endless-body") {
      socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      const chunk = Buffer.from(`10000\r\n${"z".repeat(0x10000)}\r\n`);
      const more = () => {
        while (!socket.destroyed && socket.write(chunk));
        if (!socket.destroyed) socket.once("drain", more);
      };
      more();
    } else if (path === "/close-mid-body") socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this much");
    else if (path === "/smuggle") socket.end("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    else socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  });
}

let tls: { key: string; cert: string; certFile: string } | undefined;
let secure: number | undefined;

function makeCertificate(dir: string, name: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`]);
  assert.equal(made.status, 0, made.stderr.toString());
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}

async function bootGuest(bindings: { name: string; uri: string }[], memoryMb = 64) {
  const { tender } = testTender("isolate");
  const booted = await tender.boot(image, { bindings, memoryMb });
  live.push(booted);
  return booted;
}

before(async () => {
  image = await buildSource(GUEST);
  const apiServer = createHttpServer(apiHandler);
  apiServer.on("connection", () => apiSockets++);
  api = await listen(apiServer);
  other = await listen(createHttpServer((req, res) => res.writeHead(200).end(`other saw ${req.method} ${req.url} auth=${req.headers.authorization ?? "none"}`)));
  raw = await listen(createTcpServer(rawHandler));
  const bindings = [
    { name: "web", uri: "tcp://127.0.0.1:0" },
    { name: "api", uri: `tcp://127.0.0.1:${api}?max=4` },
    { name: "other", uri: `tcp://127.0.0.1:${other}` },
    { name: "raw", uri: `tcp://127.0.0.1:${raw}` },
  ];
  if (hasOpenssl) {
    tls = makeCertificate(tempDir(), "secure.test");
    secure = await listen(createHttpsServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.writeHead(200).end("over TLS")));
    bindings.push({ name: "secure", uri: `tls://127.0.0.1:${secure}?servername=secure.test&ca=${tls.certFile}` });
    // The same server, but the binding trusts only the host's roots: its certificate cannot verify.
    bindings.push({ name: "forged", uri: `tls://127.0.0.1:${secure}?servername=forged.test` });
  }
  unikernel = await bootGuest(bindings);
  web = unikernel.addresses.web!.port;
});

async function through(to: string, options: { init?: object; stream?: string; abortAfterMs?: number; abortMidBody?: boolean } = {}): Promise<Seen> {
  const q = new URLSearchParams({ to });
  if (options.init) q.set("init", JSON.stringify(options.init));
  if (options.stream) q.set("stream", options.stream);
  if (options.abortAfterMs) q.set("abortAfterMs", String(options.abortAfterMs));
  if (options.abortMidBody) q.set("abortMidBody", "1");
  return (await (await fetch(`http://127.0.0.1:${web}/?${q}`)).json()) as Seen;
}

describe("HTTP/1.1 over a connector", () => {
  test("a GET: status, headers, body, the URL; the upstream sees Host, Accept-Encoding and the user agent", async () => {
    const seen = await through("http://api.test/json?x=1");
    assert.equal(seen.status, 200);
    assert.equal(seen.text, '{"hello":"world"}');
    assert.equal(seen.headers!["content-type"], "application/json");
    assert.equal(seen.url, "http://api.test/json?x=1");
    assert.equal(seen.redirected, false);
    const last = apiRequests.at(-1)!;
    assert.equal(last.url, "/json?x=1");
    assert.equal(last.headers.host, "api.test");
    assert.equal(last.headers["accept-encoding"], "gzip, deflate");
    assert.match(last.headers["user-agent"]!, /^tsuki\//);
  });

  test("keep-alive: requests one after another share one connection", async () => {
    await through("http://api.test/json");
    const before = apiSockets;
    for (let i = 0; i < 5; i++) assert.equal((await through("http://api.test/json")).status, 200);
    assert.equal(apiSockets, before, "no new connection was opened");
  });

  test("request bodies: bytes with Content-Length, a stream (duplex: half) chunked", async () => {
    assert.equal((await through("http://api.test/echo", { init: { method: "POST", body: "hello" } })).text, "POST length 5 hello");
    assert.equal((await through("http://api.test/echo", { init: { method: "PUT" }, stream: "a,bc,def" })).text, "PUT chunked abcdef");
    assert.equal((await through("http://api.test/echo", { init: { method: "POST" } })).text, "POST length 0 ");
  });

  test("a chunked response; gzip and deflate decompressed, their headers left as sent", async () => {
    assert.equal((await through("http://api.test/chunked")).text, "one,two");
    const gzip = await through("http://api.test/gzip");
    assert.equal(gzip.text, "squeezed ".repeat(1000));
    assert.equal(gzip.headers!["content-encoding"], "gzip");
    assert.equal((await through("http://api.test/deflate")).text, "flattened");
  });
});

describe("redirects", () => {
  const redirect = (to: string, status = 302) => `http://api.test/redirect?status=${status}&to=${encodeURIComponent(to)}`;

  test("followed within an origin and to another served origin; 303 after POST becomes a GET; Authorization stays behind", async () => {
    const same = await through(redirect("/json"));
    assert.equal(same.text, '{"hello":"world"}');
    assert.equal(same.redirected, true);
    assert.equal(same.url, "http://api.test/json");
    const away = await through(redirect("http://other.test:8080/there", 303), { init: { method: "POST", body: "x", headers: { authorization: "Bearer secret" } } });
    assert.equal(away.text, "other saw GET /there auth=none");
  });

  test('to an origin no connector serves: a TypeError naming it; mode "error": a TypeError; mode "manual": the redirect itself', async () => {
    const away = await through(redirect("http://elsewhere.test/x"));
    assert.equal(away.error, "TypeError");
    assert.match(away.message!, /no connector serves http:\/\/elsewhere\.test/);
    const refused = await through(redirect("/json"), { init: { redirect: "error" } });
    assert.equal(refused.error, "TypeError");
    assert.match(refused.message!, /redirect mode is "error"/);
    const manual = await through(redirect("/json", 307), { init: { redirect: "manual" } });
    assert.equal(manual.status, 307);
    assert.equal(manual.headers!.location, "/json");
  });
});

describe("what a unikernel may not reach, and what goes wrong", () => {
  test("an origin no connector serves: a TypeError with the declaration and binding that would allow it", async () => {
    const seen = await through("https://api.example.com/v1/things");
    assert.equal(seen.error, "TypeError");
    assert.match(seen.message!, /no connector serves https:\/\/api\.example\.com/);
    assert.match(seen.message!, /connector\(\{ origin: "https:\/\/api\.example\.com" \}\)/);
    assert.match(seen.message!, /--dev api=tls:\/\/api\.example\.com:443/);
  });

  test("TLS: a certificate that verifies; one that does not is a TypeError whose cause has OpenSSL's code", { skip: hasOpenssl ? undefined : "openssl is not installed" }, async () => {
    assert.equal((await through("https://secure.test/")).text, "over TLS");
    const forged = await through("https://forged.test/");
    assert.equal(forged.error, "TypeError");
    assert.equal(forged.cause, "DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  test("an abort before the response head, and one in the middle of the body", async () => {
    const early = await through("http://api.test/slow-head", { abortAfterMs: 100 });
    assert.equal(early.error, "TimeoutError");
    const mid = await through("http://api.test/stall-body", { abortMidBody: true });
    assert.match(mid.text!, /^first \d+, then AbortError$/);
  });

  test("no head within headersTimeoutMs: a TypeError", async () => {
    const seen = await through("http://api.test/slow-head");
    assert.equal(seen.error, "TypeError");
    assert.match(seen.message!, /no response head within 400 ms/);
  });

  test("a malformed response, an ambiguous length and an endless header are TypeErrors", async () => {
    assert.match((await through("http://raw.test/malformed")).message!, /malformed response/);
    assert.match((await through("http://raw.test/smuggle")).message!, /both Transfer-Encoding and Content-Length/);
    const endless = await through("http://raw.test/endless-header");
    assert.equal(endless.error, "TypeError");
    assert.match(endless.message!, /larger than 4096 bytes/);
  });

  test("a body cut short by the server's close: a TypeError", async () => {
    const seen = await through("http://raw.test/close-mid-body");
    assert.equal(seen.error, "TypeError");
    assert.match(seen.message!, /ended before its end/);
  });

  test("text() of an endless body ends with a RangeError the guest catches; the unikernel and the tender go on", async () => {
    const seen = await through("http://raw.test/endless-body");
    assert.ok(seen.error === "RangeError" || seen.error === "TypeError", JSON.stringify(seen).slice(0, 300));
    assert.equal(unikernel.status, undefined, "the unikernel is still running");
    assert.equal((await through("http://api.test/json")).status, 200);
  });
});

describe("the boot checks each origin against its binding", () => {
  test("an https origin bound to tcp://, or to tls:// for another name, stops the boot naming both", { skip: hasOpenssl ? undefined : "openssl is not installed" }, async () => {
    const base = [
      { name: "web", uri: "tcp://127.0.0.1:0" },
      { name: "api", uri: `tcp://127.0.0.1:${api}` },
      { name: "other", uri: `tcp://127.0.0.1:${other}` },
      { name: "raw", uri: `tcp://127.0.0.1:${raw}` },
    ];
    await assert.rejects(bootGuest([...base, { name: "secure", uri: `tcp://127.0.0.1:${secure}` }]), (error: TsukiError) => {
      assert.equal(error.code, "ERR_DEV_ORIGIN");
      assert.match(error.message, /device "secure" serves fetch for https:\/\/secure\.test but is bound to tcp:\/\/127\.0\.0\.1:\d+: an https origin needs TLS/);
      return true;
    });
    await assert.rejects(bootGuest([...base, { name: "secure", uri: `tls://127.0.0.1:${secure}?servername=other.test` }]), /verifies the certificate for other\.test: bind it with \?servername=secure\.test/);
    await assert.rejects(bootGuest([...base.slice(0, 1), { name: "api", uri: `tls://127.0.0.1:${api}?servername=api.test` }, ...base.slice(2)]), /an http origin is reached over plain TCP/);
  });

  test("two connectors declaring one origin fail the build", async () => {
    await assert.rejects(
      buildSource(`import { unikernel, connector } from "tsuki";
export default unikernel({ devices: { a: connector({ origin: "https://x.test" }), b: connector({ origin: "https://X.test/" }) }, start() {} });`),
      /devices "a" and "b" both declare the origin https:\/\/x\.test/,
    );
  });
});
