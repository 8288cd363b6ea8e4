/**
 * @module host/tender/devices/connector
 * The host side of a `connector()` device: TCP connections to the one endpoint the operator bound
 * (`tcp://HOST:PORT`). The unikernel asks for a connection; it cannot choose where it goes.
 */

import { type Socket, connect } from "node:net";

export interface ConnectorBackend {
  readonly endpoint: string;
  connect(): Socket;
}

export function openConnector(uri: string): ConnectorBackend {
  const url = new URL(uri);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port);
  return { endpoint: uri, connect: () => connect({ host, port, allowHalfOpen: true }) };
}
