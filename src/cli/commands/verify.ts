/**
 * @module cli/commands/verify
 * `tsuki verify IMAGE --key PUB`: checks the image in full and that its signature (IMAGE.sig) was
 * made over its SHA-256 by the Ed25519 key in PUB, as a daemon with --trusted-key does.
 */

import { TsukiError, checkSignature, publicKey, sha256 } from "../../host/index.ts";
import { parse, positional } from "../support/args.ts";
import { readImageFile, readSignature } from "../support/files.ts";
import { readKeyFile } from "../support/key-file.ts";

export const usage = `Usage: tsuki verify <image> --key PUB [--signature FILE]

Checks the image and its signature: made by the Ed25519 public key in PUB (PEM; repeatable, any
will do) over the image's SHA-256. Exits 0 when it verifies, 65 when it does not.

  --key FILE         a trusted public key, PEM (repeatable)
  --signature FILE   the signature (default <image>.sig)`;

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("verify", argv, { key: { type: "string", multiple: true }, signature: { type: "string" } });
  if (values.help) return void console.log(usage), 0;
  const imagePath = positional("verify", positionals, "an image");
  if (values.key === undefined) throw new TsukiError("MISSING_ARGUMENT", `"tsuki verify" needs --key FILE, a public key in PEM`);
  const keys = values.key.map((file) => publicKey(readKeyFile(file), file));
  const sha = sha256(readImageFile(imagePath));
  const signature = readSignature(values.signature ?? `${imagePath}.sig`, values.signature !== undefined);
  // A local check: its errors are the host's (ERR_SIGNATURE_INVALID, exit 65), no daemon involved.
  const key = checkSignature(sha, signature, keys);
  console.log(`verified: image ${sha} is signed by key ${key}`);
  return 0;
}
