/**
 * @module tsuki/http/server
 * `serve(listener, handler, options)`: an HTTP/1.1 server (RFC 9112) over a listener, one task per
 * connection. Each connection runs its requests one after another, so pipelined requests are
 * answered in order and a connection holds at most one request's body and the bytes read ahead of
 * it. The handler reads the request's body as it arrives (request-body.ts); its request's `signal`
 * aborts and a streamed response is cancelled when the client goes away (client-watch.ts). A
 * protocol error is answered with its status and `Connection: close`; the connection then
 * closes gracefully (half-close, read and drop what the client still sends for a while, close), so
 * the client sees the answer rather than a reset.
 */

import { loopTime } from "../../sdk/clock.ts";
import type { Address, Connection, Listener } from "../../sdk/devices.ts";
import { isSystemError } from "../../sdk/errors.ts";
import type { ProtocolError } from "./errors.ts";
import { type ResolvedOptions, type ServeOptions, resolveOptions } from "./options.ts";
import { Reader } from "./reader.ts";
import { ClientWatch } from "./client-watch.ts";
import type { RequestBody } from "./request-body.ts";
import { type Received, receiveRequest } from "./receive.ts";
import { type Body, sendResponse } from "./respond.ts";
import { Watchdog } from "./watchdog.ts";
import { type Request, type Response, Response as ResponseClass, web } from "./web.ts";

/** What a handler learns besides the request. */
export interface ServeInfo {
  /** The client's address, as the host sees it. */
  readonly remote: Address;
}

export type Handler = (request: Request, info: ServeInfo) => Response | Promise<Response>;

/** How long a closing connection waits for the client to close its side after ours. */
const LINGER_MS = 2_000;
/** Pipelined requests served from what was already read: every this many, the time is checked… */
const PIPELINE_BATCH = 16;
/** …and once the server's share of the current turn is this long, the connection gives the turn back. */
const PIPELINE_SLICE_MS = 20;

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Serves HTTP/1.1 on `listener` until the unikernel ends: the promise never resolves. */
export async function serve(listener: Listener, handler: Handler, options: ServeOptions = {}): Promise<never> {
  if (typeof handler !== "function") throw new TypeError("serve: the handler must be a function (request) => Response");
  const resolved = resolveOptions(options);
  const shortest = Math.min(resolved.headersTimeoutMs, resolved.requestTimeoutMs, resolved.idleTimeoutMs, LINGER_MS);
  const server = new Server(handler, resolved, new Watchdog(Math.min(1000, Math.max(5, shortest / 4))), hostOf(listener.address));
  for await (const connection of listener) void server.connection(connection);
  throw new Error("serve: the listener stopped accepting connections");
}

function hostOf(address: Address): string {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

class Server {
  #handler: Handler;
  #options: ResolvedOptions;
  #watchdog: Watchdog;
  #host: string;

  constructor(handler: Handler, options: ResolvedOptions, watchdog: Watchdog, host: string) {
    this.#handler = handler;
    this.#options = options;
    this.#watchdog = watchdog;
    this.#host = host;
  }

  async connection(connection: Connection): Promise<void> {
    const reader = new Reader(connection, this.#watchdog);
    const options = this.#options;
    // One listener per connection, told about the exchange in flight (a listener per request would pile up on a kept-alive connection).
    let watch: ClientWatch | undefined;
    void connection.closed.then((error) => watch?.fire(error === undefined ? "the connection closed" : `the connection failed (${(error as Error & { code?: string }).code ?? error.message})`));
    try {
      const accepted = reader.now();
      let pipelined = 0;
      for (let first = true; ; first = false) {
        const wait = first ? { firstByte: accepted + options.headersTimeoutMs, headBy: accepted + options.headersTimeoutMs } : { firstByte: reader.now() + options.idleTimeoutMs, headBy: null };
        const received = await receiveRequest(connection, reader, options, wait, this.#host);
        if (received === "closed") break;
        if (received.kind === "error") {
          await sendError(connection, received);
          break;
        }
        const body = received.body;
        const current = (watch = new ClientWatch(reader, body));
        const kept = await this.#exchange(connection, received, current);
        current.settle();
        watch = undefined;
        if (!kept || (!body.done && !(await body.drain()))) break;
        if (reader.eof && reader.buffered.length === 0) break;
        // Requests already read are served without waiting for an event: now and then give the
        // turn back, so that a flood of pipelined requests neither starves other connections nor
        // runs as one turn long enough for the CPU watchdog to end the unikernel.
        if (reader.buffered.length > 0 && ++pipelined % PIPELINE_BATCH === 0 && performance.now() - loopTime() >= PIPELINE_SLICE_MS) await nextTurn();
      }
    } catch {
      // The connection failed (reset, broken pipe) or a streamed body went wrong: nothing to answer.
      connection.close();
      return;
    }
    await closeGracefully(connection, reader, this.#watchdog);
  }

  /** Runs the handler and sends its response; resolves to whether the connection stays open. */
  async #exchange(connection: Connection, received: Received, watch: ClientWatch): Promise<boolean> {
    const incoming = received.body;
    const source = incoming.takeWhole() ?? (incoming.done ? null : (incoming as RequestBody).stream());
    // The request's signal, once asked for, starts the watch and is aborted by it.
    const request = web().requestFromWire(received.head.method, received.url, received.head.fields, source, watch);
    let response: Response;
    let body: Body;
    try {
      response = await this.#handler(request, { remote: connection.remote });
      if (!web().isResponse(response)) throw new TypeError(`the handler returned ${describe(response)}, not a Response`);
      if (response.type === "error") throw new TypeError("the handler returned Response.error()");
      // Taking the body checks it was neither read nor locked, without making a stream of bytes.
      body = web().takeBody(response);
    } catch (error) {
      const failure = incoming.failure;
      // The client left mid-body: there is no one to answer.
      if (failure === null) throw error;
      if (failure !== undefined) {
        // The request's body was bad: that is the answer, not the handler's failure to read it.
        response = plainResponse(failure.status, failure.message);
        body = web().takeBody(response);
      } else [response, body] = await this.#recover(error, request);
    }
    // A body that failed, or one the client still waits to be invited to send, leaves the connection unusable.
    const keepAlive = received.framing.keepAlive && incoming.failure === undefined && !incoming.uninvited;
    const exchange = { method: received.head.method, minor: received.head.minor, keepAlive, watch };
    try {
      return await sendResponse(connection, response, body, exchange);
    } catch (error) {
      // Headers are out: the response can only be cut short. Tell onError, then drop the connection.
      if (!isSystemError(error) && !watch.gone) await this.#report(error, request);
      throw error;
    }
  }

  /** onError's answer with its body taken, or a plain 500 when it gave none that can be sent. */
  async #recover(error: unknown, request: Request): Promise<[Response, Body]> {
    const response = await this.#report(error, request);
    if (web().isResponse(response) && response!.type !== "error") {
      try {
        return [response!, web().takeBody(response!)];
      } catch {}
    }
    const plain = plainResponse(500, "Internal Server Error");
    return [plain, web().takeBody(plain)];
  }

  async #report(error: unknown, request: Request): Promise<Response | undefined | void> {
    try {
      if (this.#options.onError) return await this.#options.onError(error, request);
      console.error(`tsuki/http: ${request.method} ${request.url}:`, error);
    } catch (failure) {
      console.error("tsuki/http: onError failed:", failure);
    }
    return undefined;
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === "object" ? `an object (${Object.prototype.toString.call(value)})` : `a ${typeof value}`;
}

function plainResponse(status: number, text: string): Response {
  return new ResponseClass(`${text}\n`, { status, headers: { "content-type": "text/plain;charset=UTF-8" } });
}

/** Answers a protocol error; the connection closes after it. */
async function sendError(connection: Connection, error: ProtocolError): Promise<void> {
  const response = plainResponse(error.status, error.message);
  await sendResponse(connection, response, web().takeBody(response), { method: "GET", minor: 1, keepAlive: false });
}

/**
 * Half-closes, drops what the client still sends until it closes too, waits for the host to finish
 * sending and close the socket, then closes; all within LINGER_MS. Closing at once could reset the
 * connection under a client still sending, and the reset could destroy the answer before it is read.
 */
async function closeGracefully(connection: Connection, reader: Reader, watchdog: Watchdog): Promise<void> {
  const deadline = reader.now() + LINGER_MS;
  try {
    await connection.end();
    await reader.discard(deadline);
    await watchdog.wait(connection.closed, deadline);
  } catch {
    // Already gone.
  }
  connection.close();
}
