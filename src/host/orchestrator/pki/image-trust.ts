/**
 * @module host/orchestrator/pki/image-trust
 * tsukid's side of signed images: the signature a create carries and the check against the keys
 * the daemon trusts (tsuki daemon --trusted-key). The checks themselves are image/signing.ts, shared
 * with `tsuki verify`; here their host errors become the API's, so that a refusal keeps its code
 * (ERR_IMAGE_UNSIGNED, ERR_SIGNATURE_INVALID) and answers 403, as a policy refusal does.
 */

import type { KeyObject } from "node:crypto";
import { TsukiError } from "../../common/errors.ts";
import * as signing from "../../image/signing.ts";
import { DaemonError } from "../api/errors.ts";

export type { Signature } from "../../image/signing.ts";

/** A create's `signature` field; ERR_SIGNATURE_INVALID (403) when it is not one. */
export function parseSignature(value: unknown): signing.Signature {
  return asDaemonError(() => signing.parseSignature(value));
}

/** The trusted key that signed image `sha`; ERR_IMAGE_UNSIGNED or ERR_SIGNATURE_INVALID (403) otherwise. */
export function checkSignature(sha: string, signature: signing.Signature | undefined, trusted: readonly KeyObject[]): string {
  return asDaemonError(() => signing.checkSignature(sha, signature, trusted));
}

function asDaemonError<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof TsukiError && (error.code === "ERR_SIGNATURE_INVALID" || error.code === "ERR_IMAGE_UNSIGNED")) {
      throw new DaemonError(error.code === "ERR_SIGNATURE_INVALID" ? "SIGNATURE_INVALID" : "IMAGE_UNSIGNED", error.message);
    }
    throw error;
  }
}
