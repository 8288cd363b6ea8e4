/**
 * @module host/orchestrator/server/server
 * The local API's listener: HTTP/1.1 on a Unix socket that only the daemon's user can open (mode
 * 0600, made under a umask of 0177 so there is no moment it is wider, in a 0700 state directory).
 * A socket file left by a daemon that died is replaced; one that a live daemon answers on is not
 * (ERR_DAEMON_RUNNING). Garbage on the socket gets a JSON 400 and the connection is closed.
 * It takes at most `maxConnections` at once (`--max-local-connections`; one more is closed at its
 * accept, counted as refused `local`): these come out of the descriptor reserve
 * (supervision/descriptors.ts), never the network peers' budget, so the administrator can always connect.
 */

import { chmodSync, lstatSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { type Socket, connect } from "node:net";
import type { ApiConnections } from "./api-connections.ts";
import { DaemonError } from "../api/errors.ts";

// node:http through process.getBuiltinModule, not an import: an ESM import of node:http builds its
// namespace, which reads the lazy WebSocket, CloseEvent and MessageEvent exports and so loads
// Node's bundled undici (about 4 MiB of tsukid's RSS, 3 MiB of it private; it never uses it).
const { createServer } = process.getBuiltinModule("node:http");

/** Refuses to go on when a daemon answers on the socket already. */
export async function assertNoDaemon(socketPath: string): Promise<void> {
  if (await answers(socketPath)) throw new DaemonError("DAEMON_RUNNING", `a daemon already answers on ${socketPath}: stop it first, or give another --state or --socket`);
}

export interface LocalLimits {
  readonly maxConnections: number;
  /** Counts `local` connections and refusals, for the metrics. */
  readonly connections: ApiConnections;
}

export async function listenUnix(socketPath: string, handler: Parameters<typeof createServer>[1], local?: LocalLimits): Promise<Server> {
  await assertNoDaemon(socketPath);
  try {
    if (lstatSync(socketPath).isSocket()) rmSync(socketPath);
  } catch {
    // nothing there
  }
  const server = createServer({ requestTimeout: 120_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 }, handler);
  server.on("clientError", (error, socket) => {
    if (!socket.writable) return socket.destroy();
    const body = JSON.stringify({ error: { code: "ERR_REQUEST_MALFORMED", message: `not an HTTP/1.1 request: ${(error as Error).message}`, problems: [], exit: 64 } });
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body) + 1}\r\nconnection: close\r\n\r\n${body}\n`);
  });
  if (local !== undefined) {
    // Node closes a connection past maxConnections at its accept, before "connection" ("drop").
    server.maxConnections = local.maxConnections;
    server.on("drop", () => local.connections.refused.local++);
    server.on("connection", (socket: Socket) => {
      local.connections.local++;
      socket.once("close", () => local.connections.local--);
    });
  }
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(socketPath, 0o600);
  return server;
}

/** Whether something accepts connections on the socket. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
