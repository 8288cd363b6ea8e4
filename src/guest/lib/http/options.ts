/**
 * @module tsuki/http/options
 * The options of `serve`, their defaults, and their checks: every limit is a positive integer and
 * every timeout a positive number of milliseconds (or Infinity for none); a wrong value is a
 * TypeError naming the option when `serve` is called, not a surprise under load.
 */

import type { Request, Response } from "./web.ts";


export interface ServeOptions {
  /** The request line and header section, in bytes: past it, 414 or 431. Default 16 KiB. */
  maxHeaderBytes?: number;
  /**
   * The request body, in bytes (after chunked decoding): past it, 413 (before the handler runs
   * when Content-Length says so, else when the handler reads that far). Default 1 MiB; Infinity
   * for a handler that streams uploads of any size.
   */
  maxBodyBytes?: number;
  /** Time to receive a complete head, from the connection's start or the request's first byte: then 408 and close. Default 10 s. */
  headersTimeoutMs?: number;
  /**
   * Time to receive the whole body once the head is in: then the body's stream errors and, unless
   * the response has begun, 408 and close. Default 30 s; raise it for large uploads.
   */
  requestTimeoutMs?: number;
  /** Time a kept-alive connection may wait for its next request before it is closed. Default 5 s. */
  idleTimeoutMs?: number;
  /** The scheme of request URLs: "https" behind a `tls://` listener. Default "http". */
  scheme?: "http" | "https";
  /**
   * Called when the handler throws, rejects or returns something other than a usable `Response`,
   * or when a streamed body fails after its head was sent (the response is then cut short and its
   * return value unused). Default: logs the error with console.error and answers 500.
   */
  onError?: (error: unknown, request: Request) => Response | undefined | void | Promise<Response | undefined | void>;
}

export type ResolvedOptions = Required<Omit<ServeOptions, "onError">> & Pick<ServeOptions, "onError">;

const DEFAULTS = {
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
};

export function resolveOptions(options: ServeOptions): ResolvedOptions {
  const out = { ...DEFAULTS, scheme: options.scheme ?? "http", onError: options.onError };
  for (const key of ["maxHeaderBytes", "maxBodyBytes"] as const) {
    const value = options[key];
    if (value === undefined) continue;
    const unlimited = key === "maxBodyBytes" && value === Infinity;
    if (!unlimited && (!Number.isSafeInteger(value) || value <= 0)) throw new TypeError(`serve: options.${key} must be a positive integer${key === "maxBodyBytes" ? " (or Infinity)" : ""}, not ${String(value)}`);
    out[key] = value;
  }
  for (const key of ["headersTimeoutMs", "requestTimeoutMs", "idleTimeoutMs"] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !(value > 0)) throw new TypeError(`serve: options.${key} must be a positive number of milliseconds (or Infinity), not ${String(value)}`);
    out[key] = value;
  }
  if (out.scheme !== "http" && out.scheme !== "https") throw new TypeError(`serve: options.scheme must be "http" or "https", not ${String(out.scheme)}`);
  if (out.onError !== undefined && typeof out.onError !== "function") throw new TypeError("serve: options.onError must be a function");
  return out;
}
