/**
 * @module test/tcpip/peer
 * The kernel's end of the Linux tests' and bench:tcpip's TCP transfers: a Node script run inside
 * the test's network namespace (`ip netns exec NS node peer.ts …`), so its sockets are the Linux
 * kernel's TCP. It prints one JSON line per event on stdout.
 *   send HOST PORT BYTES   connect, write BYTES of the pattern, half-close, wait for the end
 *   read HOST PORT         connect, read to the end, checking every byte against the pattern
 *   recv PORT              listen on 0.0.0.0:PORT, say {"event":"listening"}, take one connection,
 *                          read it to the end checking every byte
 *   reset HOST PORT        connect, send a line, read its echo, then abort with a RST (SO_LINGER 0)
 */

import { createConnection, createServer, type Socket } from "node:net";
import { firstMismatchFast, patternChunk } from "./pattern-node.ts";

const [mode, ...rest] = process.argv.slice(2);
const print = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

function receive(socket: Socket): Promise<{ bytes: number; mismatch: number; ms: number }> {
  const started = performance.now();
  let bytes = 0;
  let mismatch = -1;
  return new Promise((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      if (mismatch < 0) mismatch = firstMismatchFast(chunk, bytes);
      bytes += chunk.length;
    });
    socket.on("end", () => {
      socket.end();
      resolve({ bytes, mismatch, ms: performance.now() - started });
    });
    socket.on("error", reject);
  });
}

async function send(socket: Socket, total: number): Promise<number> {
  const started = performance.now();
  for (let sent = 0; sent < total; ) {
    const chunk = patternChunk(sent, Math.min(65_521, total - sent));
    sent += chunk.length;
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once("drain", resolve));
  }
  socket.end();
  await new Promise<void>((resolve, reject) => {
    socket.on("close", () => resolve());
    socket.on("error", reject);
    socket.resume();
  });
  return performance.now() - started;
}

function connect(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

try {
  if (mode === "send") {
    const [host, port, bytes] = rest;
    const socket = await connect(host!, Number(port));
    print({ event: "sent", bytes: Number(bytes), ms: await send(socket, Number(bytes)) });
  } else if (mode === "read") {
    const [host, port] = rest;
    print({ event: "read", ...(await receive(await connect(host!, Number(port)))) });
  } else if (mode === "recv") {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(Number(rest[0]), "0.0.0.0", resolve));
    print({ event: "listening" });
    const socket = await new Promise<Socket>((resolve) => server.once("connection", resolve));
    server.close();
    print({ event: "received", ...(await receive(socket)) });
  } else if (mode === "reset") {
    const [host, port] = rest;
    const socket = await connect(host!, Number(port));
    socket.write("ping\n");
    await new Promise((resolve) => socket.once("data", resolve));
    socket.resetAndDestroy();
    print({ event: "reset" });
  } else {
    throw new Error(`peer: unknown mode ${mode}: send HOST PORT BYTES | read HOST PORT | recv PORT | reset HOST PORT`);
  }
} catch (error) {
  print({ event: "error", message: String(error), code: (error as { code?: string }).code });
  process.exitCode = 1;
}
