/**
 * tsuki/http's bodies as streams, end to end on the isolate target: request bodies read by the
 * handler as they arrive (an upload larger than the unikernel's heap), responses written as they
 * are read (server-sent events, a large download), the request's signal when the client goes
 * away, and what goes wrong mid-stream: a body stream that errors, a client that disconnects, a
 * client that sends its body too slowly. Peers: curl and Node's http client and raw sockets.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { type Socket, connect } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Image } from "../../src/host/image/image.ts";
import type { Unikernel } from "../../src/host/tender/unikernel.ts";
import { buildSource, testTender, hasTool } from "../helpers.ts";


const SERVER = `import { unikernel, listener } from "tsuki";
import { serve } from "tsuki/http";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const seen = new Map();

export default unikernel({
  devices: { web: listener() },
  async start({ web, args }) {
    await serve(web, async (request) => {
      const url = new URL(request.url);
      const id = url.searchParams.get("id");
      switch (url.pathname) {
        case "/sum": {
          // Hashes the upload as it arrives (FNV-1a over every byte), never holding more than a chunk.
          let bytes = 0, hash = 0x811c9dc5, chunks = 0;
          for await (const chunk of request.body) {
            chunks++;
            bytes += chunk.length;
            for (let i = 0; i < chunk.length; i++) hash = Math.imul(hash ^ chunk[i], 16777619) >>> 0;
          }
          return Response.json({ bytes, hash, chunks });
        }
        case "/first": {
          const reader = request.body.getReader();
          const { value } = await reader.read();
          return new Response("first " + value.length + "\\n");
        }
        case "/ignore":
          return new Response("ignored\\n");
        case "/echo":
          return new Response(await request.text());
        case "/download": {
          const total = Number(url.searchParams.get("mib")) * 1024 * 1024;
          const chunk = new Uint8Array(256 * 1024).fill(120);
          let sent = 0;
          return new Response(new ReadableStream({
            pull(controller) {
              if (sent >= total) return controller.close();
              sent += chunk.length;
              controller.enqueue(chunk.slice());
            },
          }));
        }
        case "/events": {
          let n = 0, timer;
          seen.set(id, "streaming");
          return new Response(new ReadableStream({
            start(controller) {
              // Three events, then silence: the stream waits for a next event that never comes.
              timer = setInterval(() => n < 3 && controller.enqueue(new TextEncoder().encode("data: " + n++ + "\\n\\n")), 20);
            },
            cancel(reason) {
              clearInterval(timer);
              seen.set(id, "cancelled: " + (reason?.name ?? String(reason)));
            },
          }), { headers: { "content-type": "text/event-stream" } });
        }
        case "/broken":
          return new Response(new ReadableStream({
            async pull(controller) {
              controller.enqueue(new TextEncoder().encode("part of the body\\n"));
              await sleep(20);
              controller.error(new Error("the source failed"));
            },
          }));
        case "/wait":
          seen.set(id, "waiting");
          request.signal.addEventListener("abort", () => seen.set(id, "aborted: " + request.signal.reason.name));
          await sleep(60_000);
          return new Response("late\\n");
        case "/seen":
          return new Response(String(seen.get(id)));
      }
      return new Response("not found\\n", { status: 404 });
    }, args);
  },
});
`;

const OPTIONS = { maxBodyBytes: Infinity, requestTimeoutMs: 1500, headersTimeoutMs: 2000 };

const live: Unikernel[] = [];
after(async () => {
  for (const u of live) u.stop();
  await Promise.all(live.map((u) => u.exited));
});

let image: Image;
let server: { port: number; unikernel: Unikernel };
const url = (p: string, port = server.port) => `http://127.0.0.1:${port}${p}`;

async function boot(args: Record<string, number>, memoryMb = 128) {
  const { tender } = testTender("isolate");
  const unikernel = await tender.boot(image, { bindings: [{ name: "web", uri: "tcp://127.0.0.1:0" }], args, memoryMb });
  live.push(unikernel);
  return { port: unikernel.addresses.web!.port, unikernel };
}

before(async () => {
  image = await buildSource(SERVER);
  server = await boot(OPTIONS);
});

function connectTo(port = server.port): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Everything that arrives on `socket` until the server closes it. */
function untilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(text));
  });
}

/** Runs a command asynchronously (the server runs in this very process) and collects its output. */
function run(command: string, args: string[], input?: Uint8Array): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(input);
  });
}

const seen = async (id: string) => (await fetch(url(`/seen?id=${id}`))).text();

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never: ${what}`);
}

/** FNV-1a over `chunks`, as the /sum route computes it. */
function fnv(chunks: Buffer[]): number {
  let hash = 0x811c9dc5;
  for (const chunk of chunks) for (let i = 0; i < chunk.length; i++) hash = Math.imul(hash ^ chunk[i]!, 16777619) >>> 0;
  return hash;
}

describe("request bodies are read as they arrive", () => {
  test("the handler reads the first bytes before the client has sent the rest", async () => {
    const socket = await connectTo();
    const text = untilClosed(socket);
    socket.write("POST /first HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789");
    const reply = await new Promise<string>((resolve) => socket.once("data", (c: Buffer) => resolve(c.toString("latin1"))));
    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nfirst 10\n$/);
    // The rest never comes: the server gives up on it after requestTimeoutMs and closes.
    await text;
  });

  test("a chunked upload from curl is hashed as it streams, its chunks as they came", async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const result = await run("curl", ["-s", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", url("/sum")], body);
    const got = JSON.parse(result.stdout.toString());
    assert.equal(got.bytes, body.length);
    assert.equal(got.hash, fnv([body]));
    assert.ok(got.chunks > 1, `${got.chunks} chunks`);
  });

  test("a 1 GiB upload to a unikernel with a 32 MiB heap: hashed as it arrives", async () => {
    const small = await boot({ ...OPTIONS, requestTimeoutMs: 600_000 }, 32);
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
    const total = 1024;
    const got = await new Promise<{ bytes: number; hash: number }>((resolve, reject) => {
      const req = httpRequest(url("/sum", small.port), { method: "POST", headers: { "content-length": String(total * chunk.length) } }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve(JSON.parse(text)));
      });
      req.on("error", reject);
      let sent = 0;
      const more = () => {
        while (sent < total) {
          sent++;
          if (!req.write(chunk)) return void req.once("drain", more);
        }
        req.end();
      };
      more();
    });
    assert.equal(got.bytes, total * chunk.length);
    assert.equal(got.hash, fnv(Array.from({ length: total }, () => chunk)));
    assert.equal(small.unikernel.status, undefined, "the unikernel is still running");
    const heap = small.unikernel.heap()!;
    assert.ok(heap.limit <= 64 * 1024 * 1024, `heap limit ${heap.limit}`);
  });

  test("a body sent more slowly than requestTimeoutMs allows: 408, and the server goes on", async () => {
    const socket = await connectTo();
    const text = untilClosed(socket);
    socket.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n");
    const drip = setInterval(() => !socket.destroyed && socket.write("x"), 100);
    const reply = await text;
    clearInterval(drip);
    assert.match(reply, /^HTTP\/1\.1 408 Request Timeout\r\n[^]*\r\nconnection: close\r\n/);
    assert.match(reply, /did not arrive within 1500 ms/);
    assert.equal(await (await fetch(url("/ignore"))).text(), "ignored\n");
  });

  test("Expect: 100-continue is answered only when the handler reads; one that does not closes the connection", async () => {
    const socket = await connectTo();
    const text = untilClosed(socket);
    socket.write("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    const reply = await text;
    assert.doesNotMatch(reply, /100 Continue/);
    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n[^]*connection: close\r\n[^]*ignored\n$/);
    const reads = await run("curl", ["-s", "-v", "-H", "Expect: 100-continue", "--data-binary", "hello", url("/echo")]);
    assert.match(reads.stderr, /< HTTP\/1\.1 100 Continue/);
    assert.equal(reads.stdout.toString(), "hello");
  });

  test("a body the handler leaves unread is drained: the connection carries the next request", async () => {
    const socket = await connectTo();
    let text = "";
    const both = new Promise<void>((resolve) => socket.on("data", (c: Buffer) => ((text += c), text.split("ignored\n").length === 3 && resolve())));
    // The body comes after the head has been read, so the handler does not get it whole.
    socket.write("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 50000\r\n\r\n");
    await new Promise((r) => setTimeout(r, 50));
    socket.write(`${"y".repeat(50_000)}GET /ignore HTTP/1.1\r\nHost: t\r\n\r\n`);
    await both;
    socket.destroy();
  });
});

describe("responses are written as they are read", { skip: hasTool("curl") ? undefined : "curl is not installed (apt-get install curl)" }, () => {
  test("a 256 MiB download from a unikernel with a 32 MiB heap", async () => {
    const small = await boot(OPTIONS, 32);
    const result = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{size_download} %{http_code}", url("/download?mib=256", small.port)]);
    assert.equal(result.stdout.toString(), `${256 * 1024 * 1024} 200`);
    assert.equal(small.unikernel.status, undefined);
  });

  test("server-sent events arrive as they are made, and a client that leaves while the stream waits cancels it: its cancel runs, nothing is left open", async () => {
    const before = server.unikernel.connections;
    const curl = spawn("curl", ["-s", "-N", url("/events?id=sse")]);
    let text = "";
    await new Promise<void>((resolve) => curl.stdout.on("data", (c: Buffer) => ((text += c), text.includes("data: 2\n\n") && resolve())));
    assert.match(text, /^data: 0\n\ndata: 1\n\ndata: 2\n\n/);
    curl.kill("SIGKILL");
    await eventually(async () => (await seen("sse")).startsWith("cancelled"), "the stream's cancel ran");
    assert.equal(await seen("sse"), "cancelled: AbortError");
    await eventually(async () => server.unikernel.connections <= before + 1, "the connection was let go");
  });

  test("a body stream that errors midway: the response ends without its last chunk, and the server goes on", async () => {
    const result = await run("curl", ["-s", url("/broken")]);
    // curl: (18) transfer closed with outstanding read data remaining
    assert.equal(result.status, 18, result.stderr);
    assert.equal(result.stdout.toString(), "part of the body\n");
    assert.equal(await (await fetch(url("/ignore"))).text(), "ignored\n");
    assert.equal(server.unikernel.status, undefined);
  });
});

describe("the request's signal", () => {
  test("aborts with an AbortError when the client goes away while the handler works", async () => {
    const socket = await connectTo();
    socket.write("GET /wait?id=gone HTTP/1.1\r\nHost: t\r\n\r\n");
    await eventually(async () => (await seen("gone")) === "waiting", "the handler runs");
    socket.destroy();
    await eventually(async () => (await seen("gone")) !== "waiting", "the signal aborted");
    assert.equal(await seen("gone"), "aborted: AbortError");
  });

  test("does not abort for a client that stays", async () => {
    const socket = await connectTo();
    socket.write("GET /wait?id=stays HTTP/1.1\r\nHost: t\r\n\r\n");
    await eventually(async () => (await seen("stays")) === "waiting", "the handler runs");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await seen("stays"), "waiting");
    socket.destroy();
  });
});
