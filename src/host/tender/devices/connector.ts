/**
 * @module host/tender/devices/connector
 * The host side of a `connector()` device: connections to the one endpoint the operator bound,
 * plain TCP (`tcp://HOST:PORT`) or TLS done by the host (`tls://HOST:PORT`): the server's
 * certificate is verified against the host's trusted roots, or against the CA file the binding
 * names (`?ca=PATH`), for the host's name or `?servername=`; trust and keys stay on the host and the
 * unikernel reads and writes plaintext. A certificate that does not verify ends the connection
 * before the guest sees it, with OpenSSL's code (`DEPTH_ZERO_SELF_SIGNED_CERT`,
 * `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`, …) as the `connect()` error's `code`.
 *
 * The unikernel asks for a connection; it cannot choose where it goes, nor hold more than `max`
 * at once (default `DEFAULT_MAX_CONNECTIONS`): past that, `stream.connect` answers EAGAIN until
 * one closes, so a guest cannot spend the host's descriptors by connecting without end.
 */

import { readFileSync } from "node:fs";
import { isIP, type Socket, connect } from "node:net";
import { TsukiError } from "../../common/errors.ts";
import { type ConnectorBinding, formatDeviceUri } from "../../spec/device-uri.ts";
import type { DescriptorGate } from "./index.ts";
import { DEFAULT_MAX_CONNECTIONS } from "./listener.ts";

export interface ConnectorBackend {
  readonly endpoint: string;
  /** Connections it may have open at once. */
  readonly maxConnections: number;
  /** The socket event after which the connection is the guest's: TCP's `connect`, or TLS's `secureConnect` (verified). */
  readonly readyEvent: "connect" | "secureConnect";
  /** A new connection, or undefined when the host's descriptor budget has none to spare. */
  connect(): Socket | undefined;
}

export function openConnector(device: string, binding: ConnectorBinding, gate?: DescriptorGate): ConnectorBackend {
  const { host, port } = binding;
  const endpoint = formatDeviceUri(binding);
  let open: () => Socket;
  if (binding.scheme === "tls") {
    // Loaded for a tls: connector only (as for listeners: node:tls costs each of tsukid's tender threads about 2 MiB).
    const tls = process.getBuiltinModule("node:tls");
    let ca: Buffer | undefined;
    if (binding.ca !== undefined) {
      try {
        ca = readFileSync(binding.ca);
        tls.createSecureContext({ ca });
      } catch (error) {
        throw new TsukiError("DEV_OPEN", `device "${device}": cannot use the CA file ${binding.ca}: ${(error as Error).message}`);
      }
    }
    const servername = binding.servername ?? (isIP(host) === 0 ? host : undefined);
    open = () =>
      tls.connect({
        host,
        port,
        ...(servername === undefined ? {} : { servername }),
        ...(ca === undefined ? {} : { ca }),
        // An IP literal is checked against the certificate's IP addresses; a name against its DNS names.
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername ?? host, cert),
        minVersion: "TLSv1.2" as const,
        rejectUnauthorized: true,
        allowHalfOpen: true,
      } as import("node:tls").ConnectionOptions);
  } else {
    open = () => connect({ host, port, allowHalfOpen: true });
  }
  return {
    endpoint,
    maxConnections: binding.max ?? DEFAULT_MAX_CONNECTIONS,
    readyEvent: binding.scheme === "tls" ? "secureConnect" : "connect",
    connect() {
      const socket = open();
      if (gate === undefined || gate.holdFor(socket)) return socket;
      socket.destroy();
      return undefined;
    },
  };
}
