/**
 * @module host/tender/devices/listener
 * The host side of a `listener()` device: a TCP server (`tcp://ADDR:PORT`) or a TLS server
 * (`tls://ADDR:PORT?cert=PATH&key=PATH`) whose certificate and key stay on the host; the
 * unikernel sees only plaintext streams. The socket is bound before the unikernel boots, so a
 * port in use or a bad certificate is a boot error naming the device. `?max=N` caps concurrent
 * connections (default 1024): connections past the cap are refused by the host, never queued.
 */

import { readFileSync } from "node:fs";
import { type AddressInfo, type Server, type Socket, createServer } from "node:net";
import type { PeerAddress } from "../../../abi/index.ts";
import { TsukiError } from "../../common/errors.ts";
import { type ListenerBinding, formatDeviceUri } from "../../spec/device-uri.ts";
import type { DescriptorGate } from "./index.ts";

export const DEFAULT_MAX_CONNECTIONS = 1024;

export interface ListenerBackend {
  readonly address: PeerAddress;
  readonly maxConnections: number;
  /** Starts handing accepted sockets to `accept`. */
  start(accept: (socket: Socket) => void): void;
  close(): void;
}

export async function openListener(device: string, binding: ListenerBinding, gate?: DescriptorGate): Promise<ListenerBackend> {
  const { host, port } = binding;
  const max = binding.max ?? DEFAULT_MAX_CONNECTIONS;
  const uri = formatDeviceUri(binding);
  let server: Server;
  if (binding.scheme === "tls") {
    // Loaded for a tls: listener only: node:tls costs every tender thread of tsukid about 2 MiB.
    const { createServer: createTlsServer, createSecureContext } = process.getBuiltinModule("node:tls");
    const { cert, key } = binding;
    let context;
    try {
      context = { cert: readFileSync(cert), key: readFileSync(key) };
      createSecureContext(context);
    } catch (error) {
      throw new TsukiError("DEV_OPEN", `device "${device}": cannot use the certificate ${cert} and key ${key}: ${(error as Error).message}`);
    }
    server = createTlsServer({ ...context, minVersion: "TLSv1.2", allowHalfOpen: true });
  } else {
    // Half-open: a peer's FIN ends only its direction; the unikernel decides when to close its own.
    server = createServer({ allowHalfOpen: true });
  }
  server.maxConnections = max;
  const pending: Socket[] = [];
  let accept: ((socket: Socket) => void) | undefined;
  // Every accepted socket costs the host a descriptor, from the TCP accept on (before a TLS handshake).
  if (gate !== undefined) server.on("connection", (socket: Socket) => void (gate.holdFor(socket) || socket.resetAndDestroy()));
  server.on(binding.scheme === "tls" ? "secureConnection" : "connection", (socket: Socket) => {
    if (socket.destroyed) return;
    if (accept) accept(socket);
    else pending.push(socket);
  });
  // A failed TLS handshake is the client's problem, not the unikernel's.
  server.on("tlsClientError", (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const why = error.code === "EADDRINUSE" ? "the address is already in use" : error.code === "EADDRNOTAVAIL" ? "the address is not on this host" : error.code === "EACCES" ? "permission denied" : error.message;
      reject(new TsukiError("DEV_OPEN", `device "${device}": cannot listen on ${uri}: ${why} (${error.code}); bind another address or port`));
    });
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  server.on("error", () => undefined);
  const bound = server.address() as AddressInfo;
  return {
    address: { address: bound.address, port: bound.port, family: bound.family === "IPv6" ? "IPv6" : "IPv4" },
    maxConnections: max,
    start(handler) {
      accept = handler;
      for (const socket of pending.splice(0)) handler(socket);
    },
    close() {
      server.close();
      for (const socket of pending.splice(0)) socket.destroy();
    },
  };
}
