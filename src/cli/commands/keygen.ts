/**
 * @module cli/commands/keygen
 * `tsuki keygen NAME`: a new Ed25519 key pair for signing images, NAME.key (private, mode 0600)
 * and NAME.pub (public: give it to daemons as --trusted-key). Both PEM, as openssl writes them.
 */

import { existsSync, writeFileSync } from "node:fs";
import { TsukiError, generateKeys } from "../../host/index.ts";
import { parse, positional } from "../support/args.ts";

export const usage = `Usage: tsuki keygen <name>

Makes an Ed25519 key pair for tsuki sign: <name>.key (private, mode 0600) and <name>.pub (for
tsuki daemon --trusted-key and tsuki verify), both PEM. Refuses to overwrite either.`;

export async function keygen(argv: string[]): Promise<number> {
  const { values, positionals } = parse("keygen", argv, {});
  if (values.help) return void console.log(usage), 0;
  const name = positional("keygen", positionals, "a name for the key files");
  for (const file of [`${name}.key`, `${name}.pub`]) if (existsSync(file)) throw new TsukiError("FLAG_VALUE", `${file} exists: tsuki keygen does not overwrite keys; choose another name`);
  const keys = generateKeys();
  writeFileSync(`${name}.key`, keys.privatePem, { mode: 0o600, flag: "wx" });
  writeFileSync(`${name}.pub`, keys.publicPem, { flag: "wx" });
  console.log(`${name}.key\n${name}.pub\nkey ${keys.id}`);
  return 0;
}
