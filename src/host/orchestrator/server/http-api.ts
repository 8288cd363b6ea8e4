/**
 * @module host/orchestrator/server/http-api
 * tsukid's API as HTTP/1.1 requests, served on the local Unix socket (the host's administrator)
 * and over mutual TLS (tenants, each confined to its subtree: see control/scope.ts and control/tenants.ts). Bodies
 * are JSON except image uploads (raw bytes); every answer is JSON, and every error is
 * `{ error: { code, message, problems, exit } }` with a stable code. Bodies are counted as they
 * arrive and refused past their limit (413) without being read further.
 *
 *   GET    /v1/daemon                          the daemon: version, pid, state dir, memory, tender threads
 *                                              (a tenant: its path, and each level's policy and usage)
 *   HEAD   /v1/images/SHA256                   200 if the image is stored, else 404
 *   PUT    /v1/images/SHA256                   upload an image (application/octet-stream)
 *   GET    /v1/unikernels                      list
 *   POST   /v1/unikernels                      create: { name, image, devices, memoryMb, cpuMs, target, restart, priority, args }
 *   GET    /v1/unikernels/NAME                 info
 *   DELETE /v1/unikernels/NAME                 destroy
 *   POST   /v1/unikernels/NAME/restart         restart
 *   GET    /v1/unikernels/NAME/stats           stats
 *   GET    /v1/unikernels/NAME/console?count=N&since=TIME&follow=1   console lines, one JSON object per line
 *   GET    /v1/blocks                          block volumes: list
 *   POST   /v1/blocks                          create a volume: { name, sizeMb }
 *   GET    /v1/blocks/NAME                     a volume: size, the unikernels that bind it
 *   DELETE /v1/blocks/NAME                     destroy a volume (refused while a unikernel binds it)
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { TSUKI_VERSION } from "../../common/version.ts";
import type { Daemon } from "../control/daemon.ts";
import { DaemonError, errorBody } from "../api/errors.ts";
import { checkSha256, parseSpec } from "../model/spec.ts";
import { ADMIN, type Caller, asCaller, callerName, fullName, placeVolumes, present } from "../control/scope.ts";
import { RequestRates } from "./request-rate.ts";
import { admit, admitImage, admitVolume, budgets, tenantName } from "../control/tenants.ts";
import type { ImageOwner } from "../store/image-owners.ts";
import { checkJsonDepth, decodeSegment } from "./request-checks.ts";
import type { VolumeRecord } from "../store/volumes.ts";

export const API_VERSION = 1;

export interface ApiLimits {
  /** The largest image upload, in bytes. */
  readonly maxImageBytes: number;
  /** The largest JSON body, in bytes. */
  readonly maxJsonBytes: number;
}

export const API_LIMIT_DEFAULTS: ApiLimits = { maxImageBytes: 64 * 2 ** 20, maxJsonBytes: 1 * 2 ** 20 };

/** A follower that has this much unread is cut off rather than buffered without bound. */
const MAX_FOLLOW_BUFFER = 1 * 2 ** 20;

/** `callerOf` says who sent a request (the Unix socket: the administrator); it throws to refuse one. */
export function apiHandler(daemon: Daemon, limits: ApiLimits, started = Date.now(), callerOf: (req: IncomingMessage) => Caller | Promise<Caller> = () => ADMIN, rates = new RequestRates()) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    Promise.resolve()
      .then(() => callerOf(req))
      .then((caller) => {
        if (caller.kind === "tenant") rates.take(tenantName(caller.tenant));
        return route(daemon, limits, started, caller, req, res);
      })
      .catch((error: unknown) => fail(res, error));
  };
}

async function route(daemon: Daemon, limits: ApiLimits, started: number, caller: Caller, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://tsukid");
  const parts = url.pathname.split("/").filter(Boolean).map(decodeSegment);
  const method = req.method ?? "GET";
  if (parts[0] !== "v1") throw new DaemonError("REQUEST_MALFORMED", `no such route: ${method} ${url.pathname.slice(0, 100)} (the API lives under /v1/)`);
  const [, collection, id, action] = parts;

  if (collection === "daemon" && id === undefined && method === "GET" && caller.kind === "tenant") {
    return send(res, 200, { tsuki: TSUKI_VERSION, api: API_VERSION, tenant: tenantName(caller.tenant), client: caller.tenant.client, budgets: budgets(caller.tenant, daemon.list(), daemon.volumeRecords(), daemon.registry.owners()) });
  }
  if (collection === "daemon" && id === undefined && method === "GET") {
    const memory = process.memoryUsage();
    return send(res, 200, {
      tsuki: TSUKI_VERSION,
      api: API_VERSION,
      pid: process.pid,
      stateDir: daemon.stateDir,
      unikernels: daemon.count,
      blocks: daemon.volumeRecords().length,
      uptimeMs: Date.now() - started,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      tenderThreads: daemon.threads.size,
      limits,
    });
  }
  if (collection === "images" && id !== undefined && action === undefined) {
    const sha = checkSha256(id, "the image's path");
    const tenant = caller.kind === "tenant" ? caller.tenant : undefined;
    if (method === "HEAD") {
      // A tenant learns only of images it or its sub-tenants uploaded (image-owners.ts).
      res.writeHead(daemon.registry.visible(sha, tenant === undefined ? undefined : tenantName(tenant)) ? 200 : 404).end();
      return;
    }
    if (method === "PUT") {
      const admitted = tenant === undefined ? undefined : (sizeMb: number, owners: readonly ImageOwner[]) => admitImage(tenant, sizeMb, daemon.volumeRecords(), owners);
      const image = await daemon.registry.upload(req, sha, limits.maxImageBytes, tenant === undefined ? "" : tenantName(tenant), admitted);
      daemon.log.emit("image-stored", { image: sha, name: image.manifest.name, size: image.size, ...(tenant === undefined ? {} : { tenant: tenantName(tenant) }) });
      return send(res, 201, { sha256: image.sha256, size: image.size, name: image.manifest.name, version: image.manifest.version, devices: image.manifest.devices });
    }
  }
  const volumeOf = (file: string) => daemon.volumeOfFile(file);
  if (collection === "unikernels" && id === undefined) {
    if (method === "GET") return send(res, 200, { unikernels: daemon.list().filter((i) => callerName(caller, i.name) !== undefined).map((i) => present(caller, i, volumeOf)) });
    if (method === "POST") return send(res, 201, present(caller, await create(daemon, caller, await readJson(req, limits.maxJsonBytes)), volumeOf));
  }
  if (collection === "unikernels" && id !== undefined) {
    const name = fullName(caller, id);
    const answer = await asCaller(id, async () => {
      if (action === undefined && method === "GET") return daemon.get(name).info();
      if (action === undefined && method === "DELETE") return daemon.destroy(name);
      if (action === "restart" && method === "POST") return daemon.restart(name, caller.kind === "tenant");
      if (action === "stats" && method === "GET") return daemon.get(name).stats();
      if (action === "console" && method === "GET") return void consoleLines(daemon, name, url.searchParams, req, res);
      throw new DaemonError("REQUEST_MALFORMED", `no such route: ${method} ${url.pathname.slice(0, 100)}`);
    });
    if (answer !== undefined) return send(res, 200, present(caller, answer, volumeOf));
    return;
  }
  if (collection === "blocks" && id === undefined) {
    if (method === "GET") return send(res, 200, { blocks: daemon.volumeRecords().filter((v) => callerName(caller, v.name) !== undefined).map((v) => presentVolume(daemon, caller, v)) });
    if (method === "POST") return send(res, 201, presentVolume(daemon, caller, createVolume(daemon, caller, await readJson(req, limits.maxJsonBytes))));
  }
  if (collection === "blocks" && id !== undefined && action === undefined) {
    const name = fullName(caller, id, "block volume");
    const answer = await asCaller(
      id,
      () => {
        if (method === "GET") return daemon.volume(name);
        if (method === "DELETE") return daemon.destroyVolume(name, (n) => shownUnikernel(caller, n));
        throw new DaemonError("REQUEST_MALFORMED", `no such route: ${method} ${url.pathname.slice(0, 100)}`);
      },
      "block volume",
    );
    return send(res, 200, presentVolume(daemon, caller, answer));
  }
  throw new DaemonError("REQUEST_MALFORMED", `no such route: ${method} ${url.pathname.slice(0, 100)}`);
}

/** A create: the administrator's as it comes; a tenant's under its path, its block volumes named in full, and admitted by its policy. */
function create(daemon: Daemon, caller: Caller, body: unknown) {
  if (caller.kind === "admin") return daemon.create(parseSpec(body));
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const o = body as Record<string, unknown>;
    if (typeof o.name === "string" && o.name.includes("/")) {
      throw new DaemonError("POLICY_DENIED", `"${o.name.slice(0, 80)}": a tenant creates unikernels under its own path only; to create one for a sub-tenant, use the sub-tenant's certificate`);
    }
    if (o.devices !== undefined) body = { ...o, devices: placeVolumes(caller, o.devices) };
  }
  const spec = parseSpec(body);
  const tenant = caller.tenant;
  return daemon.create(
    { ...spec, name: fullName(caller, spec.name) },
    (s, manifest, others, volumeFiles) => admit(tenant, s, manifest, others, volumeFiles),
    tenant,
    (volume) => callerName(caller, volume) ?? volume,
  );
}

const VOLUME_KEYS = ["name", "sizeMb"];

/** A block volume's create: a tenant's directly under its path, admitted against its storage budget and each ancestor's. */
function createVolume(daemon: Daemon, caller: Caller, body: unknown): VolumeRecord {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new DaemonError("REQUEST_MALFORMED", "a block volume's create is a JSON object: { name, sizeMb }");
  const o = body as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!VOLUME_KEYS.includes(key)) throw new DaemonError("REQUEST_MALFORMED", `unknown key ${JSON.stringify(key).slice(0, 80)} in the block volume's create: the keys are ${VOLUME_KEYS.join(", ")}`);
  }
  if (typeof o.name !== "string") throw new DaemonError("REQUEST_MALFORMED", "name must be the block volume's name, a string (e.g. data)");
  if (caller.kind === "admin") return daemon.createVolume(o.name, o.sizeMb as number);
  if (o.name.includes("/")) throw new DaemonError("POLICY_DENIED", `"${o.name.slice(0, 80)}": a tenant creates block volumes under its own path only; to create one for a sub-tenant, use the sub-tenant's certificate`);
  const tenant = caller.tenant;
  return daemon.createVolume(fullName(caller, o.name, "block volume"), o.sizeMb as number, (sizeMb, volumes) => admitVolume(tenant, sizeMb, volumes, daemon.registry.owners()), tenant, o.name);
}

/** A volume as the caller sees it: its name and its unikernels' relative to the tenant, and no host path. */
function presentVolume(daemon: Daemon, caller: Caller, volume: VolumeRecord) {
  const info = daemon.volumeInfo(volume);
  if (caller.kind === "admin") return info;
  const { file: _file, tenant: _tenant, ...rest } = info;
  return { ...rest, name: callerName(caller, info.name) ?? info.name, boundBy: info.boundBy.map((u) => shownUnikernel(caller, u)) };
}

/** A unikernel's (or volume's) name as the caller writes it; one outside its subtree (the administrator's) is not named. */
function shownUnikernel(caller: Caller, name: string): string {
  return callerName(caller, name) ?? "(a unikernel of the host's administrator)";
}

function consoleLines(daemon: Daemon, name: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const ring = daemon.get(name).ring;
  const count = query.has("count") ? wholeNumber(query.get("count")!, "count") : undefined;
  const since = query.has("since") ? parseTime(query.get("since")!) : undefined;
  const follow = query.get("follow") === "1" || query.get("follow") === "true";
  const write = (line: object) => res.write(`${JSON.stringify(line)}\n`);
  if (!follow) {
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    for (const line of ring.history({ ...(count === undefined ? {} : { count }), ...(since === undefined ? {} : { since }) })) write(line);
    res.end();
    return;
  }
  const unfollow = ring.follow({
    line: (line) => {
      write(line);
      if (res.writableLength > MAX_FOLLOW_BUFFER) res.destroy();
    },
    end: () => res.end(),
  });
  if (unfollow === undefined) throw new DaemonError("CONSOLE_BUSY", `the console of "${name}" already has ${ring.maxFollowers} followers: try again when one has left`);
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  // History first (to the default of the last 10 lines), then live lines as they come.
  for (const line of ring.history({ count: count ?? (since === undefined ? 10 : undefined), ...(since === undefined ? {} : { since }) })) write(line);
  res.flushHeaders();
  const stop = () => unfollow();
  req.on("close", stop);
  res.on("close", stop);
}

function wholeNumber(text: string, key: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new DaemonError("REQUEST_VALUE", `${key} must be a whole number, found ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

/** A time: ms since the epoch, or an ISO 8601 date. */
function parseTime(text: string): number {
  const time = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(time)) throw new DaemonError("REQUEST_VALUE", `since must be a time (ISO 8601, e.g. 2026-01-31T12:00:00Z, or ms since the epoch), found ${JSON.stringify(text.slice(0, 40))}`);
  return time;
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const bytes = await readBody(req, limit, "request");
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw new DaemonError("REQUEST_MALFORMED", `the request body is not JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  // Before anything recursive reads it.
  checkJsonDepth(body);
  return body;
}

/** Reads the whole body, refusing it (413) as soon as it is known to exceed `limit`. */
function readBody(req: IncomingMessage, limit: number, what: string): Promise<Uint8Array> {
  const tooLarge = () => new DaemonError("REQUEST_TOO_LARGE", `the ${what} is larger than the ${limit} bytes this daemon accepts${what === "image" ? " (tsuki daemon --max-image)" : ""}`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}

function fail(res: ServerResponse, error: unknown): void {
  if (res.headersSent) return void res.destroy();
  const { status, body } = errorBody(error);
  const retryAfterS = (error as { retryAfterS?: unknown }).retryAfterS;
  if (typeof retryAfterS === "number") res.setHeader("retry-after", String(retryAfterS));
  // A refused body is not read to its end: close the connection rather than drain it.
  const close = status === 413 || status === 429;
  if (close) res.setHeader("connection", "close");
  send(res, status, body);
  if (close) res.on("finish", () => res.socket?.destroySoon());
}
