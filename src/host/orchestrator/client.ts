/**
 * @module host/orchestrator/client
 * The client side of tsukid's local API, for the `tsuki` commands and for tests: JSON requests
 * over the Unix socket, error answers rebuilt as `RemoteError` with their stable codes, console
 * lines streamed one JSON object at a time, and image uploads that skip what the daemon already
 * holds (images are named by their SHA-256).
 */

import { request } from "node:http";
import { sha256 } from "../build/image.ts";
import { DaemonError, type ErrorBody, RemoteError } from "./errors.ts";
import type { InstanceInfo, InstanceStats } from "./instance.ts";
import type { RingLine } from "./console-ring.ts";
import type { UnikernelSpec } from "./spec.ts";

export type CreateRequest = Partial<Omit<UnikernelSpec, "name" | "image">> & { name: string };

export class DaemonClient {
  readonly socketPath: string;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  /** One request; resolves with the status and the parsed body of a success, throws RemoteError for an error answer. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { status, text } = await this.#send(method, path, body);
    return parseAnswer<T>(status, text);
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

  /** Uploads the image unless the daemon holds it already; returns its SHA-256. */
  async uploadImage(bytes: Uint8Array, force = false): Promise<string> {
    const sha = sha256(bytes);
    if (!force && (await this.#send("HEAD", `/v1/images/${sha}`)).status === 200) return sha;
    await this.call("PUT", `/v1/images/${sha}`, bytes);
    return sha;
  }

  /** Uploads the image if needed and creates the unikernel. */
  async create(request: CreateRequest, image: Uint8Array): Promise<InstanceInfo> {
    const sha = await this.uploadImage(image);
    try {
      return await this.call("POST", "/v1/unikernels", { ...request, image: sha });
    } catch (error) {
      // The daemon dropped the image between our check and the create (its last user was destroyed): once more.
      if (!(error instanceof RemoteError) || error.code !== "ERR_IMAGE_UNKNOWN") throw error;
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
      const req = request({ socketPath: this.socketPath, method: "GET", path: `/v1/unikernels/${encodeURIComponent(name)}/console?${query}`, agent: false, ...(options.signal ? { signal: options.signal } : {}) }, (res) => {
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
      req.on("error", (error: NodeJS.ErrnoException) => (error.name === "AbortError" ? resolve() : reject(unreachable(this.socketPath, error))));
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
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socketPath, method, path, headers, agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 500, text }));
      });
      req.on("error", (error: NodeJS.ErrnoException) => reject(unreachable(this.socketPath, error)));
      req.end(payload);
    });
  }
}

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
