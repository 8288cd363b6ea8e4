/**
 * Stream devices end to end: the echo example and purpose-built guests on the isolate target,
 * driven by real peers (Node's TCP and TLS clients, socat, openssl), with the host's buffers
 * checked under clients that do not read and guests that do not read.
 */

import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { type Socket, connect, createServer } from "node:net";
import path from "node:path";
import { after, describe, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { buildImage } from "../../src/host/build/build.ts";
import { type Image, loadImage } from "../../src/host/image/image.ts";
import { READ_BUFFER, WRITE_BUFFER } from "../../src/host/tender/devices/connection.ts";
import type { Unikernel } from "../../src/host/tender/unikernel.ts";
import { ROOT, buildSource, craftImage, tempDir, testTender, hasTool } from "../helpers.ts";
import { readImage } from "../../src/host/image/image.ts";


const live: Unikernel[] = [];
after(async () => {
  for (const u of live) u.stop();
  await Promise.all(live.map((u) => u.exited));
});

async function boot(image: Image, devices: Record<string, string>, options: { memoryMb?: number } = {}) {
  const { tender, lines } = testTender("isolate");
  const unikernel = await tender.boot(image, { bindings: Object.entries(devices).map(([name, uri]) => ({ name, uri })), ...options });
  live.push(unikernel);
  return { unikernel, lines, port: (name: string) => unikernel.addresses[name]!.port };
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Sends `data`, half-closes, and collects everything until the server closes. */
function roundTrip(port: number, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: "127.0.0.1", port }, () => socket.end(data));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
  });
}

const until = async (what: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
};

let echoImage: Image;
const echo = async () => (echoImage ??= loadImage((await buildImage(path.join(ROOT, "examples/echo"), { out: path.join(tempDir(), "echo.tsuki") })).image));

describe("listener: the echo example", () => {
  test("echoes what a client sends and closes its side after the client half-closes", async () => {
    const { port, lines } = await boot(await echo(), { tcp: "tcp://127.0.0.1:0" });
    assert.deepEqual((await roundTrip(port("tcp"), Buffer.from("hello\nworld\n"))).toString(), "hello\nworld\n");
    assert.ok(lines.some((l) => l.text === `echo on 127.0.0.1:${port("tcp")}`));
  });

  test("50 concurrent connections each get their own 256 KiB back byte for byte", async () => {
    const { port } = await boot(await echo(), { tcp: "tcp://127.0.0.1:0" });
    const inputs = Array.from({ length: 50 }, () => randomBytes(256 * 1024));
    const outputs = await Promise.all(inputs.map((data) => roundTrip(port("tcp"), data)));
    outputs.forEach((out, i) => assert.ok(out.equals(inputs[i]!), `connection ${i}`));
  });

  test("echoes 64 MiB through one connection intact", async () => {
    const { port } = await boot(await echo(), { tcp: "tcp://127.0.0.1:0" });
    const data = randomBytes(64 * 1024 * 1024);
    assert.ok((await roundTrip(port("tcp"), data)).equals(data));
  });

  test("socat, a peer we did not write, gets its bytes back", { skip: hasTool("socat") ? undefined : "socat is not installed (apt-get install socat)" }, async () => {
    const { port } = await boot(await echo(), { tcp: "tcp://127.0.0.1:0" });
    const data = randomBytes(1024 * 1024);
    // Asynchronously: the tender serving socat runs in this process.
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn("socat", ["-t", "5", "-", `TCP:127.0.0.1:${port("tcp")}`]);
      const chunks: Buffer[] = [];
      child.stdout.on("data", (c: Buffer) => chunks.push(c));
      child.on("error", reject);
      child.on("close", () => resolve(Buffer.concat(chunks)));
      child.stdin.end(data);
    });
    assert.ok(echoed.equals(data));
  });

  test("a client that vanishes mid-stream does not disturb the others", async () => {
    const { port, unikernel } = await boot(await echo(), { tcp: "tcp://127.0.0.1:0" });
    const rude = await connectTo(port("tcp"));
    rude.write(randomBytes(100_000));
    rude.resetAndDestroy();
    assert.equal((await roundTrip(port("tcp"), Buffer.from("still here"))).toString(), "still here");
    assert.equal(unikernel.status, undefined);
  });
});

describe("listener: bounds and limits", () => {
  test("a client that never reads stalls the guest's writes; the host holds a bounded amount", async () => {
    const image = await buildSource(`import { unikernel, listener } from "tsuki";
      export default unikernel({ devices: { web: listener() }, async start({ web }) {
        const conn = await web.accept();
        const chunk = new Uint8Array(64 * 1024).fill(120);
        let sent = 0;
        const report = setInterval(() => console.log("sent", sent), 50);
        for (let i = 0; i < 1024; i++) { await conn.write(chunk); sent += chunk.length; }
        clearInterval(report);
        console.log("sent", sent, "done");
        await conn.end();
      } });`);
    const { port, lines } = await boot(image, { web: "tcp://127.0.0.1:0" });
    const socket = await connectTo(port("web"));
    socket.pause();
    await new Promise((r) => setTimeout(r, 700));
    const sent = Math.max(0, ...lines.map((l) => Number(l.text.split(" ")[1] ?? 0)));
    // What the guest got rid of sits in the host's queue (≤ WRITE_BUFFER + one chunk) and the kernel's socket buffers.
    assert.ok(sent < 16 * 1024 * 1024, `the guest wrote ${sent} bytes into a client that reads nothing`);
    assert.ok(sent >= WRITE_BUFFER / 2, `the guest wrote only ${sent} bytes`);
    let received = 0;
    socket.on("data", (c) => (received += c.length));
    socket.resume();
    await new Promise((r) => socket.on("end", r));
    assert.equal(received, 64 * 1024 * 1024);
  });

  test("a guest that never reads makes the host stop reading: the client's data backs up", async () => {
    const image = await buildSource(`import { unikernel, listener } from "tsuki";
      export default unikernel({ devices: { web: listener() }, async start({ web }) {
        const conn = await web.accept();
        await new Promise((r) => setTimeout(r, 800));
        let n = 0;
        for await (const chunk of conn) n += chunk.length;
        await conn.end(String(n));
      } });`);
    const { port } = await boot(image, { web: "tcp://127.0.0.1:0" });
    const socket = await connectTo(port("web"));
    const total = 64 * 1024 * 1024;
    const data = randomBytes(total);
    socket.write(data);
    socket.end();
    await new Promise((r) => setTimeout(r, 400));
    // The host paused reading at READ_BUFFER and the guest at its own mark: most bytes still wait in the client.
    assert.ok(socket.writableLength > total / 2, `only ${socket.writableLength} bytes were still queued in the client`);
    const reply = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (c) => (text += c));
      socket.on("end", () => resolve(text));
    });
    assert.equal(reply, String(total));
    assert.ok(READ_BUFFER > 0);
  });

  test("connections past ?max are refused by the host", async () => {
    const { port } = await boot(await echo(), { tcp: "tcp://127.0.0.1:0?max=2" });
    const a = await connectTo(port("tcp"));
    const b = await connectTo(port("tcp"));
    await new Promise((r) => setTimeout(r, 50));
    const c = connect({ host: "127.0.0.1", port: port("tcp") });
    const closed = await new Promise<boolean>((resolve) => {
      c.on("close", () => resolve(true));
      c.on("data", () => resolve(false));
      setTimeout(() => resolve(false), 2000);
    });
    assert.ok(closed, "the third connection stayed open");
    a.destroy();
    b.destroy();
  });

  test("a port already in use is a boot error naming the device", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const taken = (server.address() as { port: number }).port;
    const { tender } = testTender("isolate");
    await assert.rejects(tender.boot(await echo(), { bindings: [{ name: "tcp", uri: `tcp://127.0.0.1:${taken}` }] }), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ERR_DEV_OPEN");
      assert.match(error.message, /device "tcp".*already in use/);
      return true;
    });
    server.close();
  });

  test("an unknown listener option is a boot error", async () => {
    const { tender } = testTender("isolate");
    await assert.rejects(tender.boot(await echo(), { bindings: [{ name: "tcp", uri: "tcp://127.0.0.1:0?backlog=5" }] }), /unknown option "backlog"/);
  });

  test("when the unikernel ends, its listener and connections close", async () => {
    const { port, unikernel } = await boot(await echo(), { tcp: "tcp://127.0.0.1:0" });
    const socket = await connectTo(port("tcp"));
    const closed = new Promise((r) => socket.on("close", r));
    unikernel.stop();
    await unikernel.exited;
    await closed;
    await assert.rejects(connectTo(port("tcp")), /ECONNREFUSED/);
  });
});

describe("connector", () => {
  test("connects to the bound endpoint, talks, and reads the reply", async () => {
    const upstream = createServer((s) => s.on("data", (d) => s.end(`upstream got ${d}`)));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const image = await buildSource(`import { unikernel, connector } from "tsuki";
      export default unikernel({ devices: { up: connector() }, async start({ up }) {
        const conn = await up.connect();
        await conn.write("ping");
        let reply = "";
        for await (const chunk of conn) reply += new TextDecoder().decode(chunk);
        await conn.end();
        console.log(reply, conn.remote.port > 0);
      } });`);
    try {
      const { unikernel, lines } = await boot(image, { up: `tcp://127.0.0.1:${(upstream.address() as { port: number }).port}` });
      const status = await unikernel.exited;
      assert.equal(status.code, 0, status.reason);
      assert.deepEqual(lines.map((l) => l.text), ["upstream got ping true"]);
    } finally {
      upstream.close();
    }
  });

  test("a refused connection is an ECONNREFUSED error in the guest", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const image = await buildSource(`import { unikernel, connector } from "tsuki";
      export default unikernel({ devices: { up: connector() }, async start({ up }) {
        try { await up.connect(); } catch (e) { console.log(e.code, e.syscall, e instanceof Error); }
      } });`);
    const { unikernel, lines } = await boot(image, { up: `tcp://127.0.0.1:${port}` });
    await unikernel.exited;
    assert.deepEqual(lines.map((l) => l.text), ["ECONNREFUSED connect true"]);
  });
});

describe("stream handles", () => {
  test("a guest can name only its own connections: others' handles and made-up ones are EBADF", async () => {
    const { port, unikernel: owner } = await boot(await echo(), { tcp: "tcp://127.0.0.1:0" });
    const socket = await connectTo(port("tcp"));
    await until(() => owner.connections === 1);
    const prober = readImage(
      craftImage(`export default { ["tsuki.unikernel"]: true, devices: {}, start() {
        const hc = globalThis[Symbol.for("tsuki.hypercall")];
        console.log([hc("stream.write", 2, new Uint8Array(1)), hc("stream.write", 1, new Uint8Array(1)), hc("stream.close", 999), hc("stream.connect", 0), hc("stream.flow", 2, "yes")].map((r) => r.errno).join(" "));
      } };`),
    );
    const { unikernel, lines } = await boot(prober, {});
    await unikernel.exited;
    assert.deepEqual(lines.map((l) => l.text), ["EBADF EBADF EBADF EBADF EINVAL"]);
    socket.destroy();
  });
});

describe("TLS listener", { skip: hasTool("openssl") ? undefined : "openssl is not installed (apt-get install openssl)" }, () => {
  const dir = tempDir();
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  const otherKey = path.join(dir, "other.pem");
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });

  test("terminates TLS on the host: a TLS client talks to the unikernel in plaintext", async () => {
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost");
    const { port } = await boot(await echo(), { tcp: `tls://127.0.0.1:0?cert=${cert}&key=${key}` });
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: port("tcp"), rejectUnauthorized: false }, () => socket.end("over tls"));
      let text = "";
      socket.on("data", (c) => (text += c));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    assert.equal(reply, "over tls");
    // openssl s_client, a peer we did not write, completes a handshake and gets the echo.
    // Asynchronously: the tender serving it runs in this process.
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn("openssl", ["s_client", "-connect", `127.0.0.1:${port("tcp")}`, "-quiet"], { stdio: ["pipe", "pipe", "ignore"] });
      let text = "";
      child.stdout.on("data", (c: Buffer) => {
        text += c;
        if (text.includes("\n")) child.kill();
      });
      child.on("error", reject);
      child.on("close", () => resolve(text));
      child.stdin.write("from openssl\n");
    });
    assert.match(out, /from openssl/);
  });

  test("a certificate that does not match its key is a boot error", async () => {
    openssl("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", otherKey);
    const { tender } = testTender("isolate");
    await assert.rejects(tender.boot(await echo(), { bindings: [{ name: "tcp", uri: `tls://127.0.0.1:0?cert=${cert}&key=${otherKey}` }] }), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ERR_DEV_OPEN");
      assert.match(error.message, /certificate/);
      return true;
    });
  });
});

describe("TLS connector", { skip: hasTool("openssl") ? undefined : "openssl is not installed (apt-get install openssl)" }, () => {
  const dir = tempDir();
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=upstream.test", "-addext", "subjectAltName=DNS:upstream.test,IP:127.0.0.1");
  const source = `import { unikernel, connector } from "tsuki";
    export default unikernel({ devices: { up: connector() }, async start({ up, console }) {
      let conn;
      try { conn = await up.connect(); } catch (e) { return console.log("refused " + e.code); }
      await conn.write("hello tls\\n");
      let reply = "";
      for await (const chunk of conn) { reply += new TextDecoder().decode(chunk); if (reply.includes("\\n")) break; }
      await conn.end();
      console.log("got " + reply.trim());
    } });`;

  /** openssl s_server, a peer we did not write, answering each line reversed (-rev), on a free port. */
  async function server(): Promise<{ port: number; stop(): void }> {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const child = spawn("openssl", ["s_server", "-accept", `127.0.0.1:${port}`, "-cert", cert, "-key", key, "-rev", "-naccept", "10"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c));
    while (!out.includes("ACCEPT")) await new Promise((r) => setTimeout(r, 20));
    return { port, stop: () => child.kill() };
  }

  async function run(uri: string): Promise<string[]> {
    const image = await buildSource(source);
    const { unikernel, lines } = await boot(image, { up: uri });
    const status = await unikernel.exited;
    assert.equal(status.code, 0, status.reason);
    return lines.map((l) => l.text);
  }

  test("with the server's CA named, the host verifies it and the guest talks plaintext to openssl s_server", async () => {
    const s = await server();
    try {
      assert.deepEqual(await run(`tls://127.0.0.1:${s.port}?ca=${cert}`), ["got slt olleh"]);
      assert.deepEqual(await run(`tls://127.0.0.1:${s.port}?ca=${cert}&servername=upstream.test`), ["got slt olleh"]);
    } finally {
      s.stop();
    }
  });

  test("a certificate the host does not trust, or one for another name, fails connect() with OpenSSL's code", async () => {
    const s = await server();
    try {
      assert.deepEqual(await run(`tls://127.0.0.1:${s.port}`), ["refused DEPTH_ZERO_SELF_SIGNED_CERT"]);
      assert.deepEqual(await run(`tls://127.0.0.1:${s.port}?ca=${cert}&servername=other.test`), ["refused ERR_TLS_CERT_ALTNAME_INVALID"]);
    } finally {
      s.stop();
    }
  });

  test("a CA file that cannot be read stops the boot with ERR_DEV_OPEN naming it", async () => {
    const image = await buildSource(source);
    const { tender } = testTender("isolate");
    await assert.rejects(tender.boot(image, { bindings: [{ name: "up", uri: `tls://127.0.0.1:1?ca=${path.join(dir, "missing.pem")}` }] }), (e: Error & { code?: string }) => e.code === "ERR_DEV_OPEN" && e.message.includes("missing.pem"));
  });
});
