/**
 * @module host/orchestrator/store/image-upload
 * An image upload as tsukid takes it: bounded in how many run at once and how fast one tenant's
 * arrive (`UploadGate`: in all, and per top-level tenant with its sub-tenants), streamed to a
 * temporary file in the image store as
 * it arrives (never held in memory whole: thirty concurrent 64 MiB uploads once took 790 MiB), cut
 * off at the size limit, then checked on the image-check thread (supervision/image-check.ts) and renamed into
 * place. Whatever fails on the way leaves no file behind.
 */

import { randomBytes } from "node:crypto";
import { createWriteStream, rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import type { Image } from "../../image/image.ts";
import { DaemonError } from "../api/errors.ts";
import type { ImageStore } from "./image-store.ts";

/**
 * Uploads at once in all and per top-level tenant, and the bytes a second one tenant's uploads
 * may take together: receiving and checking an image costs the host CPU (TLS, hashing, parsing),
 * which at full speed made a neighbour's p99 eight times its quiet value in the soak test.
 */
export const UPLOAD_DEFAULTS = { maxUploads: 4, maxTenantUploads: 2, tenantBytesPerSecond: 32 * 2 ** 20 } as const;

/**
 * How many uploads may run at once: in all, and per key (a top-level tenant; the administrator's
 * key "" only in all); and how fast one key's uploads may arrive together (`pace`: a token bucket
 * of a second's bytes; the administrator is not paced).
 */
export class UploadGate {
  readonly max: number;
  readonly perKey: number;
  readonly bytesPerSecond: number;
  #running = 0;
  #byKey = new Map<string, number>();
  #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(max: number = UPLOAD_DEFAULTS.maxUploads, perKey: number = UPLOAD_DEFAULTS.maxTenantUploads, bytesPerSecond: number = UPLOAD_DEFAULTS.tenantBytesPerSecond) {
    this.max = max;
    this.perKey = perKey;
    this.bytesPerSecond = bytesPerSecond;
  }

  /** `bytes` more of `key`'s uploads arrived: how long (ms) to wait before reading on. */
  pace(key: string, bytes: number, now = performance.now()): number {
    if (key === "") return 0;
    // A bucket refilled to the full second is as good as none: forgotten, so the map stays small.
    if (this.#buckets.size > 1024) for (const [k, b] of this.#buckets) if (now - b.at > 1000 - (b.tokens / this.bytesPerSecond) * 1000) this.#buckets.delete(k);
    const bucket = this.#buckets.get(key) ?? { tokens: this.bytesPerSecond, at: now };
    bucket.tokens = Math.min(this.bytesPerSecond, bucket.tokens + ((now - bucket.at) / 1000) * this.bytesPerSecond) - bytes;
    bucket.at = now;
    this.#buckets.set(key, bucket);
    return bucket.tokens >= 0 ? 0 : (-bucket.tokens / this.bytesPerSecond) * 1000;
  }

  /** Takes a place for `key`, or throws ERR_UPLOADS_BUSY; the function it returns gives the place back. */
  enter(key: string): () => void {
    const mine = this.#byKey.get(key) ?? 0;
    if (this.#running >= this.max) throw new DaemonError("UPLOADS_BUSY", `tsukid takes ${this.max} image uploads at once and has that many under way: try again in a moment (tsuki daemon --max-uploads)`);
    if (key !== "" && mine >= this.perKey) throw new DaemonError("UPLOADS_BUSY", `tenant "${key}" has ${mine} image uploads under way, as many as one tenant may: wait for one to end`);
    this.#running++;
    this.#byKey.set(key, mine + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#running--;
      const left = this.#byKey.get(key)! - 1;
      if (left === 0) this.#byKey.delete(key);
      else this.#byKey.set(key, left);
    };
  }
}

/**
 * What checks an uploaded file off the control thread (supervision/image-check.ts's ImageChecker,
 * handed in by the daemon, which owns the threads): the image it holds, or the error refusing it.
 */
export interface ImageCheck {
  check(file: string, expected: string): Promise<Image>;
  close(): Promise<void>;
}

/**
 * Receives `req`'s body as the image `expected` (its SHA-256): to a temporary file, refused (413)
 * past `limit` bytes, then checked off the control thread and moved into the store.
 */
export async function receiveImage(req: IncomingMessage, expected: string, limit: number, store: ImageStore, checker: ImageCheck, pace: (bytes: number) => number = () => 0): Promise<Image> {
  const tooLarge = () => new DaemonError("REQUEST_TOO_LARGE", `the image is larger than the ${limit} bytes this daemon accepts (tsuki daemon --max-image)`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const tmp = path.join(store.dir, `.upload-${randomBytes(8).toString("hex")}.tmp`);
  try {
    await toFile(req, tmp, limit, tooLarge, pace);
    const image = await checker.check(tmp, expected);
    store.adopt(image, tmp);
    return image;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Writes the body to `file` (flushed to disk when done), reading no faster than `pace` allows and
 * no faster than the disk takes it. Past `limit` it stops reading without destroying the request,
 * so that the API can still answer 413 (and close the connection).
 */
function toFile(req: IncomingMessage, file: string, limit: number, tooLarge: () => Error, pace: (bytes: number) => number): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file, { mode: 0o600, flush: true });
    let size = 0;
    let failed = false;
    let draining = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      req.pause();
      out.destroy();
      reject(error);
    };
    const resume = () => {
      if (!failed && !draining && timer === undefined) req.resume();
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return fail(tooLarge());
      if (!out.write(chunk)) {
        draining = true;
        req.pause();
        out.once("drain", () => {
          draining = false;
          resume();
        });
      }
      const wait = pace(chunk.length);
      if (wait > 0 && timer === undefined) {
        req.pause();
        timer = setTimeout(() => {
          timer = undefined;
          resume();
        }, wait);
      }
    });
    req.on("end", () => failed || out.end());
    req.on("error", fail);
    req.on("close", () => req.complete || fail(new DaemonError("REQUEST_MALFORMED", "the image upload was cut off before its end")));
    out.on("error", fail);
    out.on("close", () => failed || resolve());
  });
}
