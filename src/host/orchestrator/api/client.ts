/**
 * @module host/orchestrator/api/client
 * The client side of tsukid's API, for the `tsuki` commands and for tests: JSON requests over the
 * Unix socket, or over mutual TLS 1.3 to a remote daemon (`RemoteTarget`: its URL, the CA to
 * trust, our certificate chain and key), error answers rebuilt as `RemoteError` with their stable
 * codes, console lines streamed one JSON object at a time, and image uploads that skip what the
 * daemon already holds (images are named by their SHA-256). A TLS failure (our certificate
 * refused as untrusted, expired or missing; the daemon's certificate not trusted) becomes an
 * error with its own code that says what to fix (tls-errors.ts).
 *
 * Remote requests share a few kept-alive TLS connections (`REMOTE_SOCKETS`), so that a command
 * pays for one handshake, not one per request, and the daemon's per-connection tenant is found
 * once; `close()` ends them (the tsuki commands call it when they finish, so that the process
 * exits at once). A request on a kept connection that the daemon had just closed as idle is sent
 * again once on a new one when it is safe to repeat (GET, HEAD, and PUT of an image by its hash).
 */

import type { ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import { sha256 } from "../../image/image.ts";
import { DaemonError, type ErrorBody, RemoteError } from "./errors.ts";
import type { InstanceInfo, InstanceStats, RingLine, VolumeInfo } from "./info.ts";
import type { UnikernelSpec } from "./spec.ts";
import { tlsFailure } from "./tls-errors.ts";
import { CHAIN_HEADER } from "./wire.ts";
import { X509Certificate } from "node:crypto";

// node:http through process.getBuiltinModule, not an import: an ESM import of node:http builds its
// namespace, which reads the lazy WebSocket, CloseEvent and MessageEvent exports and so loads
// Node's bundled undici (about 4 MiB of tsukid's RSS, 3 MiB of it private; it never uses it).
const { request } = process.getBuiltinModule("node:http");

/** Connections a remote client keeps open at most (requests beyond wait for one), and idle ones kept. */
export const REMOTE_SOCKETS = { max: 4, idle: 2 } as const;

/** A daemon reached over mutual TLS. */
export interface RemoteTarget {
  /** `https://HOST:PORT`. */
  readonly url: string;
  /** PEM: the CA that issued the daemon's certificate (and ours). */
  readonly ca: string | Buffer;
  /** PEM: our client certificate followed by its tenant certificates (client.pem). */
  readonly cert: string | Buffer;
  /** PEM: our key (client.key). */
  readonly key: string | Buffer;
}

export type CreateRequest = Partial<Omit<UnikernelSpec, "name" | "image">> & { name: string };

/** How long a client keeps asking to upload while the daemon is busy with others' uploads. */
export const UPLOAD_PATIENCE_MS = 60_000;
/** How long a client waits out its tenant's request rate (ERR_RATE_LIMITED). */
export const RATE_PATIENCE_MS = 30_000;

export class DaemonClient {
  /** The Unix socket, or the remote URL. */
  readonly socketPath: string;
  readonly remote: RemoteTarget | undefined;
  /** The tenant certificates above our leaf, sent with every remote request (peer-chain.ts). */
  #chain = "";
  /** Kept-alive TLS connections to the remote daemon. */
  #agent: Agent | undefined;

  constructor(target: string | RemoteTarget) {
    this.socketPath = typeof target === "string" ? target : target.url;
    this.remote = typeof target === "string" ? undefined : target;
    if (this.remote !== undefined) {
      const blocks = String(this.remote.cert).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      this.#chain = blocks
        .slice(1)
        .map((pem) => new X509Certificate(pem).raw.toString("base64"))
        .join(",");
      this.#agent = new Agent({ keepAlive: true, maxSockets: REMOTE_SOCKETS.max, maxFreeSockets: REMOTE_SOCKETS.idle, maxTotalSockets: REMOTE_SOCKETS.max });
    }
  }

  /** Closes the kept-alive connections (a request after this opens new ones). */
  close(): void {
    this.#agent?.destroy();
  }

  /**
   * One request; resolves with the status and the parsed body of a success, throws RemoteError
   * for an error answer. A request the daemon refused for the tenant's request rate
   * (ERR_RATE_LIMITED, before doing anything of it) is sent again after a wait, for up to
   * `RATE_PATIENCE_MS`.
   */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const until = Date.now() + RATE_PATIENCE_MS;
    for (let wait = 250; ; wait = Math.min(4000, wait * 2)) {
      const { status, text } = await this.#send(method, path, body);
      try {
        return parseAnswer<T>(status, text);
      } catch (error) {
        if (!(error instanceof RemoteError) || error.code !== "ERR_RATE_LIMITED" || Date.now() + wait > until) throw error;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  async listUnikernels(): Promise<InstanceInfo[]> {
    return (await this.call<{ unikernels: InstanceInfo[] }>("GET", "/v1/unikernels")).unikernels;
  }

  info(name: string): Promise<InstanceInfo> {
    return this.call("GET", `/v1/unikernels/${encodeURIComponent(name)}`);
  }

  stats(name: string): Promise<InstanceStats> {
    return this.call("GET", `/v1/unikernels/${encodeURIComponent(name)}/stats`);
  }

  destroy(name: string): Promise<InstanceInfo> {
    return this.call("DELETE", `/v1/unikernels/${encodeURIComponent(name)}`);
  }

  restart(name: string): Promise<InstanceInfo> {
    return this.call("POST", `/v1/unikernels/${encodeURIComponent(name)}/restart`);
  }

  listBlocks(): Promise<VolumeInfo[]> {
    return this.call<{ blocks: VolumeInfo[] }>("GET", "/v1/blocks").then((answer) => answer.blocks);
  }

  blockInfo(name: string): Promise<VolumeInfo> {
    return this.call("GET", `/v1/blocks/${encodeURIComponent(name)}`);
  }

  /** Makes a block volume of `sizeMb` MiB. */
  createBlock(name: string, sizeMb: number): Promise<VolumeInfo> {
    return this.call("POST", "/v1/blocks", { name, sizeMb });
  }

  destroyBlock(name: string): Promise<VolumeInfo> {
    return this.call("DELETE", `/v1/blocks/${encodeURIComponent(name)}`);
  }

  /**
   * Uploads the image unless the daemon holds it already; returns its SHA-256. While the daemon
   * has as many uploads under way as it takes (ERR_UPLOADS_BUSY), it asks again, backing off from
   * 50 ms to 2 s, for up to `UPLOAD_PATIENCE_MS`.
   */
  async uploadImage(bytes: Uint8Array, force = false): Promise<string> {
    const sha = sha256(bytes);
    const until = Date.now() + UPLOAD_PATIENCE_MS;
    for (let wait = 50; ; wait = Math.min(2000, wait * 2)) {
      if (!force && (await this.#send("HEAD", `/v1/images/${sha}`)).status === 200) return sha;
      try {
        await this.call("PUT", `/v1/images/${sha}`, bytes);
        return sha;
      } catch (error) {
        if (!(error instanceof RemoteError) || error.code !== "ERR_UPLOADS_BUSY" || Date.now() + wait > until) throw error;
        await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random() / 2)));
      }
    }
  }

  /** Uploads the image if needed and creates the unikernel. */
  async create(request: CreateRequest, image: Uint8Array): Promise<InstanceInfo> {
    const sha = await this.uploadImage(image);
    try {
      return await this.call("POST", "/v1/unikernels", { ...request, image: sha });
    } catch (error) {
      // The daemon dropped the image between our check and the create (its last user was destroyed): once more.
      if (!(error instanceof RemoteError) || error.code !== "ERR_IMAGE_NOT_FOUND") throw error;
      await this.uploadImage(image, true);
      return this.call("POST", "/v1/unikernels", { ...request, image: sha });
    }
  }

  /**
   * Console lines: history (`count`, `since`), then with `follow` every new line until `signal`
   * aborts or the unikernel is destroyed.
   */
  console(name: string, options: { count?: number; since?: string; follow?: boolean; signal?: AbortSignal }, onLine: (line: RingLine) => void): Promise<void> {
    const query = new URLSearchParams();
    if (options.count !== undefined) query.set("count", String(options.count));
    if (options.since !== undefined) query.set("since", options.since);
    if (options.follow) query.set("follow", "1");
    return new Promise((resolve, reject) => {
      const req = this.#request({ method: "GET", path: `/v1/unikernels/${encodeURIComponent(name)}/console?${query}`, ...(options.signal ? { signal: options.signal } : {}) }, (res) => {
        if (res.statusCode !== 200) {
          let text = "";
          res.setEncoding("utf8").on("data", (c: string) => (text += c));
          res.on("end", () => {
            try {
              parseAnswer(res.statusCode ?? 500, text);
            } catch (error) {
              reject(error);
            }
          });
          return;
        }
        let partial = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          partial += chunk;
          for (let nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n")) {
            onLine(JSON.parse(partial.slice(0, nl)) as RingLine);
            partial = partial.slice(nl + 1);
          }
        });
        res.on("end", resolve);
        res.on("close", resolve);
      });
      req.on("error", (error: NodeJS.ErrnoException) => (error.name === "AbortError" ? resolve() : reject(this.#unreachable(error))));
      req.end();
    });
  }

  #send(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {};
    if (payload !== undefined) {
      headers["content-type"] = body instanceof Uint8Array ? "application/octet-stream" : "application/json";
      headers["content-length"] = payload.length;
    }
    const once = () =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = this.#request({ method, path, headers }, (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 500, text }));
        });
        req.on("error", (error: NodeJS.ErrnoException) => reject(Object.assign(this.#unreachable(error), { stale: req.reusedSocket && STALE.has(error.code ?? "") })));
        req.end(payload);
      });
    const repeatable = method === "GET" || method === "HEAD" || (method === "PUT" && path.startsWith("/v1/images/"));
    return once().catch((error: RemoteError & { stale?: boolean }) => {
      if (!error.stale) throw error;
      if (repeatable) return once();
      throw RemoteError.from(new DaemonError("DAEMON_UNREACHABLE", `the connection to tsukid at ${this.socketPath} closed before it answered ${method} ${path.split("?")[0]}, so it may or may not have been carried out: see "tsuki list" or "tsuki info", then try again if need be`));
    });
  }

  /** One request on the socket, or over TLS 1.3 with our certificate to the remote daemon. */
  #request(options: RequestOptions, onResponse: (res: IncomingMessage) => void): ClientRequest {
    if (this.remote === undefined) return request({ ...options, socketPath: this.socketPath, agent: false }, onResponse);
    const url = new URL(this.remote.url);
    return httpsRequest(
      {
        ...options,
        headers: { ...(options.headers as Record<string, string>), [CHAIN_HEADER]: this.#chain },
        host: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port || 443,
        ca: this.remote.ca,
        cert: this.remote.cert,
        key: this.remote.key,
        minVersion: "TLSv1.3",
        agent: this.#agent,
      },
      onResponse,
    );
  }

  #unreachable(error: NodeJS.ErrnoException): RemoteError {
    return this.remote === undefined ? unreachable(this.socketPath, error) : tlsFailure(this.remote, error);
  }
}

/** How a kept connection that the daemon closed as idle fails when it is used. */
const STALE = new Set(["ECONNRESET", "EPIPE"]);

function parseAnswer<T>(status: number, text: string): T {
  let body: unknown;
  try {
    body = text === "" ? {} : JSON.parse(text);
  } catch {
    throw RemoteError.from(new DaemonError("INTERNAL", `the daemon answered ${status} with something that is not JSON: ${text.slice(0, 200)}`));
  }
  if (status >= 400) {
    const error = (body as Partial<ErrorBody>).error;
    if (error && typeof error.code === "string") throw new RemoteError(error);
    throw RemoteError.from(new DaemonError("INTERNAL", `the daemon answered ${status} without an error body`));
  }
  return body as T;
}

function unreachable(socketPath: string, error: NodeJS.ErrnoException): RemoteError {
  const why = error.code === "ENOENT" || error.code === "ECONNREFUSED" ? "no daemon listens there" : error.code === "EACCES" ? "permission denied (the socket is for the daemon's user only)" : error.message;
  return RemoteError.from(new DaemonError("DAEMON_UNREACHABLE", `cannot reach tsukid at ${socketPath}: ${why}; start it with "tsuki daemon --state DIR", or give --socket PATH (or $TSUKI_SOCKET)`));
}
