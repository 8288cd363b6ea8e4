/**
 * @module host/orchestrator/supervision/image-check
 * Checks uploaded images on a thread of their own (image-check-worker.ts), so that parsing one
 * never holds up tsukid's control thread: a 64 MiB upload used to stall every tenant's requests
 * for about 2 s. One thread, started on the first upload and ended after `IDLE_MS` without one;
 * checks queue on it in order (the uploads that may run at once are bounded before they get here,
 * image-upload.ts). A thread that dies fails the checks it had, and the next check starts another.
 */

import { Worker } from "node:worker_threads";
import type { Image } from "../../image/image.ts";
import { type CarriedError, type PackedImage, rebuildError, unpackImage } from "./tender-protocol.ts";

/** How long the thread waits for another upload before it ends. */
export const IDLE_MS = 2_000;

const ENTRY = new URL("./image-check-entry.js", import.meta.url);

export interface CheckRequest {
  readonly id: number;
  /** The uploaded bytes, in a temporary file. */
  readonly file: string;
  /** The SHA-256 it was sent under. */
  readonly expected: string;
}

export type CheckAnswer = { readonly id: number; readonly image: PackedImage } | { readonly id: number; readonly error: CarriedError };

export class ImageChecker {
  #worker: Worker | undefined;
  #pending = new Map<number, { resolve: (image: Image) => void; reject: (error: Error) => void }>();
  #next = 1;
  #idle: NodeJS.Timeout | undefined;

  /** The image in `file`, checked in full and hashed to `expected`; rejects with the error the check found. */
  check(file: string, expected: string): Promise<Image> {
    const worker = this.#thread();
    clearTimeout(this.#idle);
    const id = this.#next++;
    return new Promise<Image>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, file, expected } satisfies CheckRequest);
    });
  }

  /** Ends the thread (the daemon is stopping). */
  async close(): Promise<void> {
    clearTimeout(this.#idle);
    await this.#worker?.terminate();
  }

  #thread(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(ENTRY, { name: "image-check" });
    this.#worker = worker;
    worker.on("message", (answer: CheckAnswer) => {
      const waiting = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      if ("image" in answer) waiting?.resolve(unpackImage(answer.image));
      else waiting?.reject(rebuildError(answer.error));
      if (this.#pending.size === 0) {
        this.#idle = setTimeout(() => void this.#end(worker), IDLE_MS);
        this.#idle.unref();
      }
    });
    const failed = (why: string) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const { reject } of this.#pending.values()) reject(new Error(`the image-check thread failed: ${why}`));
      this.#pending.clear();
    };
    worker.on("error", (error) => failed(error.message));
    worker.on("exit", (code) => failed(`it exited with code ${code}`));
    return worker;
  }

  async #end(worker: Worker): Promise<void> {
    if (this.#worker !== worker || this.#pending.size > 0) return;
    this.#worker = undefined;
    await worker.terminate();
  }
}
