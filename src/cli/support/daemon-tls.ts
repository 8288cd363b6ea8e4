/**
 * @module cli/support/daemon-tls
 * `tsuki daemon`'s remote API flags: `--listen HOST:PORT --ca FILE --cert FILE --key FILE`, all
 * four or none, read and checked before the daemon touches its state.
 */

import { readFileSync } from "node:fs";
import { TsukiError } from "../../host/common/index.ts";
import { type TlsOptions, parseListen } from "../../host/orchestrator/index.ts";

const FLAGS = ["listen", "ca", "cert", "key"] as const;

export function tlsFlags(values: { listen?: string | undefined; ca?: string | undefined; cert?: string | undefined; key?: string | undefined }): TlsOptions | undefined {
  const missing = FLAGS.filter((f) => values[f] === undefined);
  if (missing.length === FLAGS.length) return undefined;
  if (missing.length > 0) {
    throw new TsukiError("FLAG_VALUE", `the remote API needs --listen, --ca, --cert and --key together; missing ${missing.map((f) => `--${f}`).join(", ")} (tsuki ca create writes ca.pem, server.pem and server.key)`);
  }
  let where: { host: string; port: number };
  try {
    where = parseListen(values.listen!);
  } catch (error) {
    throw new TsukiError("FLAG_VALUE", (error as Error).message);
  }
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      throw new TsukiError("FLAG_VALUE", `--${flag} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); tsuki ca create writes ca.pem, server.pem and server.key`);
    }
  };
  return { ...where, ca: read("ca", values.ca!), cert: read("cert", values.cert!), key: read("key", values.key!) };
}
