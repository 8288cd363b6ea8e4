/**
 * @module cli/commands/sign
 * `tsuki sign IMAGE --key KEY`: signs the image's SHA-256 with an Ed25519 private key (PEM) and
 * writes the signature next to it as IMAGE.sig, which `tsuki create` sends along to a daemon
 * that runs only signed images. Also the key and signature files the other commands read.
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { sha256 } from "../../host/build/image.ts";
import { readImage } from "../../host/build/image.ts";
import { TsukiError } from "../../host/common/errors.ts";
import { type Signature, parseSignature, privateKey, signImage } from "../../host/orchestrator/signing.ts";
import { parse, positional } from "../support/args.ts";

export const usage = `Usage: tsuki sign <image> --key KEY [--out FILE]

Signs the image's SHA-256 with the Ed25519 private key in KEY (PEM; make a pair with tsuki keygen)
and writes the signature to <image>.sig, where tsuki create finds it. A daemon started with
--trusted-key runs only images signed by one of its keys.

  --key FILE         the private key, PEM
  --out FILE         where to write the signature (default <image>.sig)`;

export async function signCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("sign", argv, { key: { type: "string" }, out: { type: "string" } });
  if (values.help) return void console.log(usage), 0;
  const imagePath = positional("sign", positionals, "an image");
  if (values.key === undefined) throw new TsukiError("MISSING_ARGUMENT", `"tsuki sign" needs --key FILE, an Ed25519 private key in PEM (make one with "tsuki keygen NAME")`);
  const key = privateKey(readKeyFile(values.key), values.key);
  const bytes = readImageFile(imagePath);
  const signature = signImage(sha256(bytes), key);
  const out = values.out ?? `${imagePath}.sig`;
  writeFileSync(out, `${JSON.stringify(signature, null, 2)}\n`);
  console.log(`${out}\nsha256 ${signature.sha256}\nkey ${signature.key}`);
  return 0;
}

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

export function readKeyFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new TsukiError("FLAG_VALUE", `cannot read the key ${file}: ${(error as Error).message}`);
  }
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
