/**
 * @module host/tender/devices/connector
 * The host side of a `connector()` device: TCP connections to the one endpoint the operator bound
 * (`tcp://HOST:PORT[?max=N]`). The unikernel asks for a connection; it cannot choose where it
 * goes, nor hold more than `max` at once (default `DEFAULT_MAX_CONNECTIONS`): past that,
 * `stream.connect` answers EAGAIN until one closes, so a guest cannot spend the host's
 * descriptors by connecting without end.
 */

import { type Socket, connect } from "node:net";
import { type ConnectorBinding, formatDeviceUri } from "../../spec/device-uri.ts";
import type { DescriptorGate } from "./index.ts";
import { DEFAULT_MAX_CONNECTIONS } from "./listener.ts";

export interface ConnectorBackend {
  readonly endpoint: string;
  /** Connections it may have open at once. */
  readonly maxConnections: number;
  /** A new connection, or undefined when the host's descriptor budget has none to spare. */
  connect(): Socket | undefined;
}

export function openConnector(binding: ConnectorBinding, gate?: DescriptorGate): ConnectorBackend {
  const { host, port } = binding;
  return {
    endpoint: formatDeviceUri(binding),
    maxConnections: binding.max ?? DEFAULT_MAX_CONNECTIONS,
    connect() {
      const socket = connect({ host, port, allowHalfOpen: true });
      if (gate === undefined || gate.holdFor(socket)) return socket;
      socket.destroy();
      return undefined;
    },
  };
}
