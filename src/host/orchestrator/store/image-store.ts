/**
 * @module host/orchestrator/store/image-store
 * Images on disk, each stored once under its SHA-256 (`images/<sha256>.tsuki`). An upload is
 * checked in full (`readImage`: archive, manifest, every file's hash, ABI) and must hash to the
 * name it was sent under; it is written to a temporary file, flushed, renamed into place and the
 * folder flushed, so a stored image is whole even after a `kill -9` (image-upload.ts streams and
 * checks an upload off the control thread, then `adopt`s it). Loaded images are shared by every
 * unikernel that runs them. Who may see and run each one is the daemon's business (image-owners.ts).
 */

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { type Image, readImage, sha256 } from "../../image/image.ts";
import { DaemonError } from "../api/errors.ts";

export class ImageStore {
  readonly dir: string;
  #loaded = new Map<string, Image>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  #file(sha: string): string {
    return path.join(this.dir, `${sha}.tsuki`);
  }

  has(sha: string): boolean {
    return this.#loaded.has(sha) || existsSync(this.#file(sha));
  }

  /** Checks and stores `bytes` sent as `expected`; returns the image (at once if already stored). */
  put(expected: string, bytes: Uint8Array): Image {
    const actual = sha256(bytes);
    if (actual !== expected) throw new DaemonError("IMAGE_HASH", `the uploaded image hashes to ${actual}, not ${expected}: the upload was cut or changed on the way`);
    const image = readImage(bytes);
    if (!this.has(actual)) {
      const tmp = path.join(this.dir, `.${actual}.${process.pid}.tmp`);
      const fd = openSync(tmp, "w", 0o600);
      try {
        writeSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.#file(actual));
      const dirFd = openSync(this.dir, "r");
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    }
    this.#loaded.set(actual, image);
    return image;
  }

  /**
   * Stores an image checked in full (image-check.ts) from the temporary file it was checked in:
   * renamed into place (unless stored already) and the folder flushed, so that a stored image is
   * whole even after a kill -9.
   */
  adopt(image: Image, tmp: string): void {
    if (!this.has(image.sha256)) {
      renameSync(tmp, this.#file(image.sha256));
      const dirFd = openSync(this.dir, "r");
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    }
    this.#loaded.set(image.sha256, image);
  }

  /** The stored image's size in bytes, or undefined when it is not stored. */
  sizeOf(sha: string): number | undefined {
    const loaded = this.#loaded.get(sha);
    if (loaded !== undefined) return loaded.size;
    try {
      return statSync(this.#file(sha)).size;
    } catch {
      return undefined;
    }
  }

  /** The stored image, checked again when first read from disk. */
  get(sha: string): Image {
    const cached = this.#loaded.get(sha);
    if (cached) return cached;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(this.#file(sha));
    } catch {
      throw unknownImage(sha);
    }
    const image = readImage(bytes);
    if (image.sha256 !== sha) throw new DaemonError("IMAGE_HASH", `the stored image ${sha} hashes to ${image.sha256}: the state directory was changed`);
    this.#loaded.set(sha, image);
    return image;
  }

  /** Removes a stored image (no unikernel uses it any more). */
  remove(sha: string): void {
    this.#loaded.delete(sha);
    rmSync(this.#file(sha), { force: true });
  }

  /**
   * Removes every image `keep` says no and, with `temporaries` (when the daemon starts, no upload
   * under way), the temporary files of uploads. Returns the SHA-256s removed.
   */
  collect(keep: (sha: string) => boolean, temporaries = true): string[] {
    const removed: string[] = [];
    for (const file of readdirSync(this.dir)) {
      if (temporaries && file.endsWith(".tmp")) rmSync(path.join(this.dir, file), { force: true });
      const m = /^([0-9a-f]{64})\.tsuki$/.exec(file);
      if (m && !keep(m[1]!)) {
        this.remove(m[1]!);
        removed.push(m[1]!);
      }
    }
    return removed;
  }
}

/** The answer for an image the daemon does not hold, or that the caller may not see: the same words either way. */
export function unknownImage(sha: string): DaemonError {
  return new DaemonError("IMAGE_NOT_FOUND", `the daemon holds no image with SHA-256 ${sha}: upload it first (the tsuki client does so)`);
}
