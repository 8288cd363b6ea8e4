/**
 * @module host/orchestrator/supervision/image-check-worker
 * The image-check thread: reads an uploaded image from its temporary file and checks it in full
 * (`readImage`: the archive, the manifest, every file's hash, the ABI), off tsukid's control
 * thread, so that a large or hostile upload costs the API nothing while it is parsed. Answers with
 * the image packed into one transferred buffer (tender-protocol.ts), or with the error carried.
 * It runs at a lower CPU priority than the tender threads: a tenant's uploads must not slow
 * another tenant's unikernels.
 */

import { readFileSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { readImage } from "../../image/image.ts";
import { DaemonError } from "../api/errors.ts";
import { carryError, packImage } from "./tender-protocol.ts";
import { lowerThisThread } from "./thread-priority.ts";
import type { CheckRequest, CheckAnswer } from "./image-check.ts";

/** Below the control thread and below tender threads too: checking uploads is background work. */
const IMAGE_CHECK_NICE = 10;
lowerThisThread(IMAGE_CHECK_NICE);

parentPort!.on("message", (request: CheckRequest) => {
  let answer: CheckAnswer;
  let transfer: ArrayBuffer[] = [];
  try {
    // readImage hashes the whole archive once (and each file in it): the name it was sent under is checked against that.
    const checked = readImage(readFileSync(request.file));
    if (checked.sha256 !== request.expected) throw new DaemonError("IMAGE_HASH", `the uploaded image hashes to ${checked.sha256}, not ${request.expected}: the upload was cut or changed on the way`);
    const image = packImage(checked);
    answer = { id: request.id, image };
    transfer = [image.assets];
  } catch (error) {
    answer = { id: request.id, error: carryError(error) };
  }
  parentPort!.postMessage(answer, transfer);
});
