/**
 * @module host/orchestrator/tls-listener
 * The remote API's listener: the same HTTP API as the Unix socket, over TLS 1.3 only, with
 * mutual authentication against the one CA the daemon trusts (`ca` replaces Node's default roots,
 * `requestCert` + `rejectUnauthorized`). OpenSSL refuses a certificate from another CA, an expired
 * one or none at all during the handshake (the daemon logs a `tls-refused` event with the
 * reason). A chain that verifies is then mapped to a tenant (peer-chain.ts, tenant-chain.ts) once per
 * connection; a chain that names no tenant or whose policy exceeds its parent's gets a 403 with
 * the reason on every request, also logged.
 */

import { type Server, createServer } from "node:https";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { X509Certificate } from "./x509.ts";
import { CHAIN_HEADER, verifiedChain } from "./peer-chain.ts";
import { DaemonError } from "./errors.ts";
import type { EventLog } from "./event-log.ts";
import type { Caller } from "./scope.ts";
import { type Tenant, tenantName } from "./tenants.ts";

export interface TlsOptions {
  readonly host: string;
  readonly port: number;
  /** PEM: the CA whose tenants may connect. */
  readonly ca: string;
  /** PEM: the daemon's certificate (and any intermediates) and its key. */
  readonly cert: string;
  readonly key: string;
}

/** `HOST:PORT`, `[V6]:PORT` → host and port. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new DaemonError("REQUEST_VALUE", `--listen ${JSON.stringify(text)} is not HOST:PORT: write e.g. --listen 127.0.0.1:8443 or --listen [::1]:8443`);
  return { host: (m[1] ?? m[2])!, port };
}

/** OpenSSL's verification codes a client chain most often fails with, for the event log. */
const VERIFY_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: "the client's certificate (or one of its chain) has expired",
  CERT_NOT_YET_VALID: "the client's certificate (or one of its chain) is not valid yet",
  UNABLE_TO_GET_ISSUER_CERT: "the client's certificate is not issued by the CA this daemon trusts (--ca)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the client's certificate is not issued by the CA this daemon trusts (--ca)",
  SELF_SIGNED_CERT_IN_CHAIN: "the client's chain ends in a CA this daemon does not trust (--ca)",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the client's certificate is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the client's certificate is not issued by the CA this daemon trusts (--ca)",
  CERT_SIGNATURE_FAILURE: "a signature in the client's chain does not verify",
};

export type CallerHandler = (caller: (req: IncomingMessage) => Promise<Caller>) => Parameters<typeof createServer>[1];

/** Listens; `handler(callerOf)` is the API handler given how to tell who sent a request. */
export async function listenTls(options: TlsOptions, handler: CallerHandler, log: EventLog): Promise<Server> {
  // The X.509 stack (about 17 MiB), loaded here: a daemon without --listen never needs it.
  const { certsFromPem } = await import("./certs.ts");
  const roots = certsFromPem(options.ca, "the --ca file");
  // Per connection, the tenant found for the last chain header seen on it.
  const known = new WeakMap<TLSSocket, { header: string | undefined; tenant: Promise<Tenant> }>();

  const callerOf = async (req: IncomingMessage): Promise<Caller> => {
    const socket = req.socket as TLSSocket;
    const header = req.headers[CHAIN_HEADER] as string | undefined;
    let entry = known.get(socket);
    if (entry === undefined || entry.header !== header) {
      entry = { header, tenant: findTenant(socket, header, roots, log) };
      known.set(socket, entry);
    }
    return { kind: "tenant", tenant: await entry.tenant };
  };

  let server: Server;
  try {
    server = serve(options, handler(callerOf));
  } catch (error) {
    throw new DaemonError("CERT_FILE", `the daemon's TLS files do not work together (${(error as Error).message}): give --cert server.pem and --key server.key from one tsuki ca create, and --ca its ca.pem`);
  }
  server.on("tlsClientError", (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    // Node drops a client whose certificate fails verification without telling it why; we log it.
    const why = socket.authorizationError === undefined || socket.authorizationError === null ? undefined : String((socket.authorizationError as unknown as { code?: string }).code ?? socket.authorizationError);
    log.emit("tls-refused", {
      peer: socket.remoteAddress ?? null,
      code: why ?? error.code ?? "ERR_TLS",
      reason: why === undefined ? error.message.replace(/\s+/g, " ").slice(0, 300) : VERIFY_REASONS[why] ?? `the client's certificate did not verify: ${why}`,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

/** The tenant of a connection's verified leaf and the request's chain header; logged either way. */
async function findTenant(socket: TLSSocket, header: string | undefined, roots: readonly X509Certificate[], log: EventLog): Promise<Tenant> {
  try {
    const raw = socket.getPeerCertificate().raw;
    if (raw === undefined) throw new DaemonError("CERT_INVALID", "the client presented no certificate: give --cert with a client certificate from tsuki cert issue");
    const [{ fromDer }, { tenantFromChain }] = await Promise.all([import("./certs.ts"), import("./tenant-chain.ts")]);
    const chain = await verifiedChain(fromDer(new Uint8Array(raw)), header, roots);
    const tenant = tenantFromChain(chain, () => false);
    log.emit("tls-accepted", { peer: socket.remoteAddress ?? null, tenant: tenantName(tenant), client: tenant.client });
    return tenant;
  } catch (caught) {
    const error = caught instanceof DaemonError ? caught : new DaemonError("CERT_INVALID", `the client's certificate chain cannot be read: ${(caught as Error).message}`);
    log.emit("tls-refused", { peer: socket.remoteAddress ?? null, code: error.code, reason: error.message });
    throw error;
  }
}

function serve(options: TlsOptions, handler: ReturnType<CallerHandler>): Server {
  return createServer(
    {
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      minVersion: "TLSv1.3",
      requestCert: true,
      rejectUnauthorized: true,
      requestTimeout: 120_000,
      headersTimeout: 10_000,
      maxHeaderSize: 16 * 1024,
    },
    handler,
  );
}
