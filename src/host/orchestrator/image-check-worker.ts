/**
 * @module host/orchestrator/image-check-worker
 * The image-check thread: reads an uploaded image from its temporary file and checks it in full
 * (`readImage`: the archive, the manifest, every file's hash, the ABI), off tsukid's control
 * thread, so that a large or hostile upload costs the API nothing while it is parsed. Answers with
 * the image packed into one transferred buffer (tender-protocol.ts), or with the error carried.
 */

import { readFileSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { readImage, sha256 } from "../build/image.ts";
import { DaemonError } from "./errors.ts";
import { carryError, packImage } from "./tender-protocol.ts";
import type { CheckRequest, CheckAnswer } from "./image-check.ts";

parentPort!.on("message", (request: CheckRequest) => {
  let answer: CheckAnswer;
  let transfer: ArrayBuffer[] = [];
  try {
    const bytes = readFileSync(request.file);
    const actual = sha256(bytes);
    if (actual !== request.expected) throw new DaemonError("IMAGE_HASH", `the uploaded image hashes to ${actual}, not ${request.expected}: the upload was cut or changed on the way`);
    const image = packImage(readImage(bytes));
    answer = { id: request.id, image };
    transfer = [image.assets];
  } catch (error) {
    answer = { id: request.id, error: carryError(error) };
  }
  parentPort!.postMessage(answer, transfer);
});
