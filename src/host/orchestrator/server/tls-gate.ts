/**
 * @module host/orchestrator/server/tls-gate
 * The remote API's door. Every TCP connection is admitted or closed at its accept, before OpenSSL
 * sees a byte of it: past the cap of unauthenticated connections (in total, or from the peer's
 * address), or with no descriptor left in the budget (supervision/descriptors.ts), it is reset at once. An
 * admitted one takes a descriptor until it closes and must name its tenant (TLS handshake, then
 * its first request's chain) before the deadline (`--handshake-timeout`), or it is closed; once
 * it has, it counts against the caps of authenticated connections, in total and per tenant, and
 * one past those gets a short 429 `ERR_CONNECTION_LIMIT` that says which cap, and is closed.
 *
 * Each refusal is counted by reason (the metrics) and logged as `tls-refused` with the address
 * the peer had at accept (read then: later the socket may be gone), through the rate limiter
 * (event-limiter.ts), so a flood costs a few lines a second.
 *
 * The gate takes Node's one `connection` listener of the TLS server (the one that wraps an
 * accepted socket in a TLSSocket) and calls it only for admitted sockets; a TLSSocket is matched
 * to its accepted socket through `_parent`, Node's name for it since 0.11 (the tests that check
 * `tls-refused` names a peer fail if that changes).
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { type ApiCaps, type ApiConnections, REFUSAL_FLAGS, type RefusalReason, addressKey } from "./api-connections.ts";
import type { DescriptorBudget } from "../supervision/descriptors.ts";
import { DaemonError } from "../api/errors.ts";
import type { RateLimitedEvents } from "./event-limiter.ts";
import { type Tenant, tenantName } from "../pki/tenant.ts";

export interface GateOptions {
  readonly caps: ApiCaps;
  readonly budget: DescriptorBudget;
  readonly connections: ApiConnections;
}

interface Conn {
  /** The peer's address at accept. */
  readonly peer: string;
  /** Its address group (api-connections.ts, addressKey). */
  readonly group: string;
  readonly raw: Socket;
  tls: TLSSocket | undefined;
  state: "unauthenticated" | "authenticated" | "closed";
  /** The tenant the administrator issued (its path's first segment), once authenticated. */
  tenant: string | undefined;
  deadline: NodeJS.Timeout | undefined;
  /** Refused and logged already: what follows (its TLS error, the deadline) is not logged again. */
  logged: boolean;
}

export class TlsGate {
  readonly #caps: ApiCaps;
  readonly #budget: DescriptorBudget;
  readonly #counts: ApiConnections;
  readonly #refusals: RateLimitedEvents;
  readonly #conns = new WeakMap<Socket, Conn>();
  readonly #live = new Set<Conn>();
  readonly #perGroup = new Map<string, number>();
  readonly #perTenant = new Map<string, number>();
  readonly #responses = new WeakMap<IncomingMessage, ServerResponse>();

  constructor(options: GateOptions, refusals: RateLimitedEvents) {
    this.#caps = options.caps;
    this.#budget = options.budget;
    this.#counts = options.connections;
    this.#refusals = refusals;
  }

  /** Puts the gate in front of `server`'s TLS; `closed` runs when the daemon closes every connection. */
  install(server: Server, closed: () => void): void {
    const listeners = server.listeners("connection");
    if (listeners.length !== 1) throw new Error(`the TLS server has ${listeners.length} connection listeners, not Node's one: tsukid cannot gate it`);
    const wrapInTls = listeners[0] as (this: Server, raw: Socket) => void;
    server.removeAllListeners("connection");
    server.on("connection", (raw: Socket) => {
      if (this.#admit(raw)) wrapInTls.call(server, raw);
    });
    server.on("secureConnection", (socket: TLSSocket) => {
      const conn = this.#of(socket);
      if (conn === undefined) return;
      conn.tls = socket;
      this.#conns.set(socket, conn);
      socket.once("close", () => this.#close(conn));
    });
    // Before the API's handler: a refusal in `identify` closes the connection after its answer.
    server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => this.#responses.set(req, res));
    // HTTP knows only the connections that finished their handshake: the rest are ours to close.
    const closeHttp = server.closeAllConnections.bind(server);
    server.closeAllConnections = () => {
      closeHttp();
      for (const conn of this.#live) (conn.tls ?? conn.raw).destroy();
      closed();
    };
  }

  /** The address the connection's peer had at accept. */
  peerOf(socket: TLSSocket): string {
    return this.#of(socket)?.peer ?? socket.remoteAddress ?? "(unknown)";
  }

  /** A connection refused in or after its handshake (tlsClientError, a chain with no tenant): logged once, rate-limited. */
  refusedTls(socket: TLSSocket, code: string, reason: string): void {
    const conn = this.#of(socket);
    if (conn?.logged) return;
    if (conn !== undefined) conn.logged = true;
    if (code === "ERR_TLS_HANDSHAKE_TIMEOUT") this.#counts.refused.handshake_timeout++;
    this.#refusals.emit(conn?.peer ?? socket.remoteAddress ?? "(unknown)", { code, reason });
  }

  /**
   * The request's connection has named `tenant`: it becomes authenticated, if the caps of
   * authenticated connections allow; if not, throws ERR_CONNECTION_LIMIT and the connection is
   * closed after that answer.
   */
  identify(req: IncomingMessage, tenant: Tenant): void {
    const conn = this.#of(req.socket as TLSSocket);
    if (conn === undefined || conn.state !== "unauthenticated") return;
    const top = tenant.path[0] ?? "";
    const mine = this.#perTenant.get(top) ?? 0;
    let refusal: [RefusalReason, string] | undefined;
    if (this.#counts.authenticated >= this.#caps.maxAuthenticated) {
      refusal = ["authenticated", `this daemon holds ${this.#counts.authenticated} tenants' connections already, the most it takes (tsuki daemon --max-authenticated): try again in a moment`];
    } else if (mine >= this.#caps.maxTenantConnections) {
      refusal = ["tenant", `tenant "${top}" and its sub-tenants hold ${mine} connections to this daemon already, the most they may (tsuki daemon --max-tenant-connections): end some (a tsuki command holds up to 4), then try again`];
    }
    if (refusal !== undefined) {
      this.#responses.get(req)?.setHeader("connection", "close");
      if (!conn.logged) {
        conn.logged = true;
        this.#refuse(conn.peer, refusal[0], refusal[1], { tenant: tenantName(tenant) });
      }
      throw new DaemonError("CONNECTION_LIMIT", refusal[1]);
    }
    clearTimeout(conn.deadline);
    this.#leaveGroup(conn);
    conn.state = "authenticated";
    conn.tenant = top;
    this.#counts.authenticated++;
    this.#perTenant.set(top, mine + 1);
  }

  #of(socket: Socket): Conn | undefined {
    return this.#conns.get(socket) ?? this.#conns.get((socket as unknown as { _parent?: Socket })._parent ?? socket);
  }

  #admit(raw: Socket): boolean {
    const peer = raw.remoteAddress;
    // Reset before we saw it: nothing to serve, nothing to log.
    if (peer === undefined) {
      raw.destroy();
      return false;
    }
    const group = addressKey(peer);
    const fromGroup = this.#perGroup.get(group) ?? 0;
    let refusal: [RefusalReason, string] | undefined;
    if (this.#counts.unauthenticated >= this.#caps.maxUnauthenticated) {
      refusal = ["unauthenticated", `${this.#counts.unauthenticated} connections have not authenticated yet, the most this daemon takes`];
    } else if (fromGroup >= this.#caps.maxUnauthenticatedPerAddress) {
      refusal = ["unauthenticated_per_address", `${fromGroup} connections from ${group} have not authenticated yet, the most it takes from one address`];
    } else if (!this.#budget.tryTake()) {
      const b = this.#budget.snapshot();
      refusal = ["descriptors", `no descriptor left for network peers: ${b.inUse} of ${this.#budget.capacity} in use (RLIMIT_NOFILE ${b.limit}, ${b.reserve} kept for the Unix socket and the daemon)`];
    }
    if (refusal !== undefined) {
      this.#refuse(peer, ...refusal);
      raw.on("error", () => undefined);
      raw.resetAndDestroy();
      return false;
    }
    const conn: Conn = { peer, group, raw, tls: undefined, state: "unauthenticated", tenant: undefined, deadline: undefined, logged: false };
    this.#conns.set(raw, conn);
    this.#live.add(conn);
    this.#counts.unauthenticated++;
    this.#perGroup.set(group, fromGroup + 1);
    conn.deadline = setTimeout(() => this.#expire(conn), this.#caps.handshakeTimeoutMs).unref();
    raw.once("close", () => this.#close(conn));
    return true;
  }

  #expire(conn: Conn): void {
    conn.deadline = undefined;
    if (conn.state !== "unauthenticated") return;
    if (!conn.logged) {
      conn.logged = true;
      this.#refuse(conn.peer, "handshake_timeout", `no TLS handshake and first request within ${this.#caps.handshakeTimeoutMs / 1000} s`);
    }
    (conn.tls ?? conn.raw).destroy();
  }

  #refuse(peer: string, reason: RefusalReason, why: string, fields: Record<string, unknown> = {}): void {
    this.#counts.refused[reason]++;
    const code = reason === "handshake_timeout" ? "ERR_TLS_HANDSHAKE_TIMEOUT" : "ERR_CONNECTION_LIMIT";
    this.#refusals.emit(peer, { code, limit: reason, reason: `${why} (${REFUSAL_FLAGS[reason]})`, ...fields });
  }

  #close(conn: Conn): void {
    if (conn.state === "closed") return;
    clearTimeout(conn.deadline);
    if (conn.state === "unauthenticated") this.#leaveGroup(conn);
    else {
      this.#counts.authenticated--;
      const left = (this.#perTenant.get(conn.tenant!) ?? 1) - 1;
      if (left > 0) this.#perTenant.set(conn.tenant!, left);
      else this.#perTenant.delete(conn.tenant!);
    }
    conn.state = "closed";
    this.#live.delete(conn);
    this.#budget.release();
  }

  #leaveGroup(conn: Conn): void {
    this.#counts.unauthenticated--;
    const left = (this.#perGroup.get(conn.group) ?? 1) - 1;
    if (left > 0) this.#perGroup.set(conn.group, left);
    else this.#perGroup.delete(conn.group);
  }
}
