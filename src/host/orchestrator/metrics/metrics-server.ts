/**
 * @module host/orchestrator/metrics/metrics-server
 * The listener of `tsuki daemon --metrics ADDR:PORT`: plain HTTP, separate from the API (which
 * needs the socket's permissions or a client certificate), answering `GET /metrics` (and HEAD)
 * with the Prometheus text exposition format and 404 to anything else. It serves numbers only and
 * takes no input but the path, so it carries no authentication: bind it to loopback or an
 * interface only the monitoring system reaches. It holds at most METRICS_MAX_CONNECTIONS at once
 * (one more is closed at its accept): they come out of the daemon's own descriptors
 * (supervision/descriptors.ts), so a flood there cannot take the API's.
 */

import type { Server } from "node:http";
import { isIP } from "node:net";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { TsukiError } from "../../common/errors.ts";
import { DaemonError } from "../api/errors.ts";

// node:http through process.getBuiltinModule, not an import: an ESM import of node:http builds its
// namespace, which reads the lazy WebSocket, CloseEvent and MessageEvent exports and so loads
// Node's bundled undici (about 4 MiB of tsukid's RSS, 3 MiB of it private; it never uses it).
const { createServer } = process.getBuiltinModule("node:http");

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** A Prometheus server scrapes over one connection; a few more leave room for a person with curl. */
export const METRICS_MAX_CONNECTIONS = 16;

const ADDRESS = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/;

/** `IP:PORT` or `[IPv6]:PORT` (port 0: any free port) for `flag`; anything else is ERR_FLAG_VALUE. */
export function parseListenAddress(text: string, flag: string): ListenAddress {
  const m = ADDRESS.exec(text);
  const host = m?.[1] ?? m?.[2] ?? "";
  const port = Number(m?.[3]);
  const version = isIP(host);
  if (!m || version === 0 || (version === 6) !== (m[1] !== undefined) || !(port >= 0 && port <= 65535)) {
    throw new TsukiError("FLAG_VALUE", `${flag} ${JSON.stringify(text.slice(0, 80))} is not an address to listen on: give an IP address and a port (0–65535), e.g. ${flag} 127.0.0.1:9464 or ${flag} [::1]:9464`);
  }
  return { host, port };
}

/** Serves `registry` at `/metrics` on `address`; resolves once listening, with the URL it answers on. */
export async function listenMetrics(address: ListenAddress, registry: Registry): Promise<{ server: Server; url: string }> {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, maxHeaderSize: 8 * 1024 }, (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (path !== "/metrics") return void res.writeHead(404, { "content-type": "text/plain" }).end("not found: the metrics are at /metrics\n");
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("only GET /metrics\n");
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType, "content-length": Buffer.byteLength(text) }).end(req.method === "HEAD" ? undefined : text),
      (error: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`collecting the metrics failed: ${error.message}\n`),
    );
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  server.maxConnections = METRICS_MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const why = error.code === "EADDRINUSE" ? "the address is already in use" : error.code === "EADDRNOTAVAIL" ? "the address is not on this host" : error.code === "EACCES" ? "permission denied" : error.message;
      reject(new DaemonError("METRICS_LISTEN", `--metrics ${address.host}:${address.port}: cannot listen: ${why} (${error.code}); give another address or port`));
    });
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return { server, url: `http://${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}/metrics` };
}
