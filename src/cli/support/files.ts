/**
 * @module cli/support/files
 * The files the signing and deploying commands read: an image (checked in full: a signature
 * vouches only for a valid image) and a signature made by tsuki sign.
 */

import { existsSync, readFileSync } from "node:fs";
import { type Signature, TsukiError, parseSignature, readImage } from "../../host/index.ts";

/** The bytes of an image file, checked in full (a signature vouches only for a valid image). */
export function readImageFile(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new TsukiError("IMAGE_NOT_FOUND", `no image at ${file}: build one with "tsuki build <dir>" or check the path`);
  }
  readImage(bytes);
  return bytes;
}

/** A signature file: required when named by a flag, optional (undefined when absent) otherwise. */
export function readSignature(file: string, required: boolean): Signature | undefined {
  if (!required && !existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new TsukiError("FLAG_VALUE", `cannot read the signature ${file}: ${(error as Error).message}`);
  }
  try {
    return parseSignature(JSON.parse(text));
  } catch {
    throw new TsukiError("FLAG_VALUE", `${file} is not a tsuki signature (made by "tsuki sign")`);
  }
}
