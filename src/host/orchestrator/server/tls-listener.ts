/**
 * @module host/orchestrator/server/tls-listener
 * The remote API's listener: the same HTTP API as the Unix socket, over TLS 1.3 only, with
 * mutual authentication against the one CA the daemon trusts (`ca` replaces Node's default roots,
 * `requestCert` + `rejectUnauthorized`). OpenSSL refuses a certificate from another CA, an expired
 * one or none at all during the handshake (the daemon logs a `tls-refused` event with the
 * reason). A chain that verifies is then mapped to a tenant (peer-chain.ts, tenant-chain.ts) once per
 * connection and header, and kept across connections (`ChainCache`: by the leaf's and the
 * header's SHA-256, until the chain's earliest notAfter, for at most `CHAIN_CACHE_ENTRIES`
 * chains); a chain that names no tenant or whose policy exceeds its parent's gets a 403 with the
 * reason on every request of that connection, also logged.
 *
 * In front of TLS stands the gate (tls-gate.ts): caps on connections that have not authenticated
 * yet, in total and per address, a deadline to authenticate, caps on tenants' connections, and
 * the daemon's descriptor budget; refusals are logged at a bounded rate (event-limiter.ts).
 * Authenticated connections idle between requests are closed after `idleTimeoutMs`.
 */

import { type Server, createServer } from "node:https";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { CHAIN_HEADER, ChainCache, certFromDer, verifiedChain } from "../pki/peer-chain.ts";
import { DaemonError } from "../api/errors.ts";
import type { EventLog } from "../store/event-log.ts";
import { RateLimitedEvents } from "./event-limiter.ts";
import { type GateOptions, TlsGate } from "./tls-gate.ts";
import type { Caller } from "../control/scope.ts";
import { type Tenant, tenantName } from "../pki/tenant.ts";

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

/** Verified chains the daemon keeps (peer-chain.ts's ChainCache): a few hundred bytes each. */
export const CHAIN_CACHE_ENTRIES = 1024;

/** What one connection found for the last chain header seen on it. */
interface Found {
  readonly header: string | undefined;
  readonly tenant: Promise<Tenant>;
  /** Past this (ms since the epoch) a certificate of the chain has expired: look again. */
  notAfter: number;
}

/** Listens; `handler(callerOf)` is the API handler given how to tell who sent a request. */
export async function listenTls(options: TlsOptions, handler: CallerHandler, log: EventLog, limits: GateOptions): Promise<Server> {
  // Node's X509Certificate and the policy extension's ASN.1 parser, loaded here: a daemon
  // without --listen never needs them.
  const [{ certsFromPem }, { tenantFromChain }] = await Promise.all([import("../pki/native-certs.ts"), import("../pki/tenant-chain.ts")]);
  const roots = certsFromPem(options.ca, "the --ca file");
  const verified = new ChainCache<Tenant>(CHAIN_CACHE_ENTRIES);
  // Per connection: its TLS-verified leaf (read once), and the tenant found for the last header seen on it.
  const connections = new WeakMap<TLSSocket, { raw: Buffer | undefined; found?: Found }>();
  const refusals = new RateLimitedEvents(log, "tls-refused", "tls-refused-suppressed");
  const gate = new TlsGate(limits, refusals);

  /** The tenant of a connection's verified leaf and a request's chain header, and until when; logged either way. */
  const findTenant = async (socket: TLSSocket, raw: Buffer | undefined, header: string | undefined): Promise<{ tenant: Tenant; notAfter: number }> => {
    try {
      if (raw === undefined) throw new DaemonError("CERT_INVALID", "the client presented no certificate: give --cert with a client certificate from tsuki cert issue");
      const key = header === undefined ? undefined : ChainCache.key(raw, header);
      let kept = key === undefined ? undefined : verified.get(key, raw);
      if (kept === undefined) {
        const chain = await verifiedChain(certFromDer(raw, "the client certificate"), header, roots);
        const tenant = tenantFromChain(chain, () => false);
        kept = { value: tenant, notAfter: verified.set(key!, chain, tenant).notAfter };
      }
      log.emit("tls-accepted", { peer: gate.peerOf(socket), tenant: tenantName(kept.value), client: kept.value.client });
      return { tenant: kept.value, notAfter: kept.notAfter };
    } catch (caught) {
      const error = caught instanceof DaemonError ? caught : new DaemonError("CERT_INVALID", `the client's certificate chain cannot be read: ${(caught as Error).message}`);
      gate.refusedTls(socket, error.code, error.message);
      throw error;
    }
  };

  const callerOf = async (req: IncomingMessage): Promise<Caller> => {
    const socket = req.socket as TLSSocket;
    const header = req.headers[CHAIN_HEADER] as string | undefined;
    let conn = connections.get(socket);
    if (conn === undefined) {
      conn = { raw: socket.getPeerCertificate().raw };
      connections.set(socket, conn);
    }
    let found = conn.found;
    // A long-lived connection looks again once a certificate of its chain has expired (and is refused then).
    if (found === undefined || found.header !== header || Date.now() > found.notAfter) {
      const entry: Found = {
        header,
        notAfter: Infinity,
        tenant: findTenant(socket, conn.raw, header).then(({ tenant, notAfter }) => {
          entry.notAfter = notAfter;
          return tenant;
        }),
      };
      conn.found = found = entry;
    }
    const tenant = await found.tenant;
    gate.identify(req, tenant);
    return { kind: "tenant", tenant };
  };

  let server: Server;
  try {
    server = serve(options, limits, handler(callerOf));
  } catch (error) {
    throw new DaemonError("CERT_FILE", `the daemon's TLS files do not work together (${(error as Error).message}): give --cert server.pem and --key server.key from one tsuki ca create, and --ca its ca.pem`);
  }
  // The summary of what the rate limit left out is written before the daemon stops.
  gate.install(server, () => refusals.flush());
  server.on("tlsClientError", (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    // Node drops a client whose certificate fails verification without telling it why; we log it.
    const why = socket.authorizationError === undefined || socket.authorizationError === null ? undefined : String((socket.authorizationError as unknown as { code?: string }).code ?? socket.authorizationError);
    const reason = why === undefined ? error.message.replace(/\s+/g, " ").slice(0, 300) : VERIFY_REASONS[why] ?? `the client's certificate did not verify: ${why}`;
    gate.refusedTls(socket, why ?? error.code ?? "ERR_TLS", reason);
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

function serve(options: TlsOptions, limits: GateOptions, handler: ReturnType<CallerHandler>): Server {
  const server = createServer(
    {
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      minVersion: "TLSv1.3",
      requestCert: true,
      rejectUnauthorized: true,
      // The gate's deadline (from accept) comes first; Node's (from the last byte) is a backstop.
      handshakeTimeout: limits.caps.handshakeTimeoutMs + 1000,
      requestTimeout: 120_000,
      headersTimeout: 10_000,
      maxHeaderSize: 16 * 1024,
    },
    handler,
  );
  server.keepAliveTimeout = limits.caps.idleTimeoutMs;
  return server;
}
