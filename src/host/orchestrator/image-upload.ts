/**
 * @module host/orchestrator/image-upload
 * An image upload as tsukid takes it: bounded in how many run at once (`UploadGate`: in all, and
 * per top-level tenant with its sub-tenants), streamed to a temporary file in the image store as
 * it arrives (never held in memory whole: thirty concurrent 64 MiB uploads once took 790 MiB), cut
 * off at the size limit, then checked on the image-check thread (image-check.ts) and renamed into
 * place. Whatever fails on the way leaves no file behind.
 */

import { randomBytes } from "node:crypto";
import { createWriteStream, rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import type { Image } from "../build/image.ts";
import { DaemonError } from "./errors.ts";
import type { ImageChecker } from "./image-check.ts";
import type { ImageStore } from "./image-store.ts";

export const UPLOAD_DEFAULTS = { maxUploads: 4, maxTenantUploads: 2 } as const;

/** How many uploads may run at once: in all, and per key (a top-level tenant; the administrator's key "" only in all). */
export class UploadGate {
  readonly max: number;
  readonly perKey: number;
  #running = 0;
  #byKey = new Map<string, number>();

  constructor(max: number = UPLOAD_DEFAULTS.maxUploads, perKey: number = UPLOAD_DEFAULTS.maxTenantUploads) {
    this.max = max;
    this.perKey = perKey;
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
 * Receives `req`'s body as the image `expected` (its SHA-256): to a temporary file, refused (413)
 * past `limit` bytes, then checked off the control thread and moved into the store.
 */
export async function receiveImage(req: IncomingMessage, expected: string, limit: number, store: ImageStore, checker: ImageChecker): Promise<Image> {
  const tooLarge = () => new DaemonError("REQUEST_TOO_LARGE", `the image is larger than the ${limit} bytes this daemon accepts (tsuki daemon --max-image)`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const tmp = path.join(store.dir, `.upload-${randomBytes(8).toString("hex")}.tmp`);
  try {
    await toFile(req, tmp, limit, tooLarge);
    const image = await checker.check(tmp, expected);
    store.adopt(image, tmp);
    return image;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Writes the body to `file` (flushed to disk when done). Past `limit` it stops reading without
 * destroying the request, so that the API can still answer 413 (and close the connection).
 */
function toFile(req: IncomingMessage, file: string, limit: number, tooLarge: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file, { mode: 0o600, flush: true });
    let size = 0;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(out);
      req.pause();
      out.destroy();
      reject(error);
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(tooLarge());
    });
    req.on("error", fail);
    req.on("close", () => req.complete || fail(new DaemonError("REQUEST_MALFORMED", "the image upload was cut off before its end")));
    out.on("error", fail);
    out.on("close", () => failed || resolve());
    req.pipe(out);
  });
}
