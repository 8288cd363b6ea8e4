/**
 * @module cli/commands/sign
 * `tsuki sign IMAGE --key KEY`: signs the image's SHA-256 with an Ed25519 private key (PEM) and
 * writes the signature next to it as IMAGE.sig, which `tsuki create` sends along to a daemon
 * that runs only signed images. Also the key and signature files the other commands read.
 */

import { writeFileSync } from "node:fs";
import { TsukiError, privateKey, sha256, signImage } from "../../host/index.ts";
import { readImageFile } from "../support/files.ts";
import { readKeyFile } from "../support/key-file.ts";
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
