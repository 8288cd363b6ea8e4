/**
 * @module cli/commands/ca
 * `tsuki ca create --out DIR`: the certificate authority of a tsukid's remote API — a self-signed
 * CA (ECDSA P-256) and the daemon's TLS certificate issued by it. The daemon trusts this one CA
 * (`tsuki daemon --ca DIR/ca.pem --cert DIR/server.pem --key DIR/server.key`); tenants are issued
 * under it with `tsuki cert issue --ca-dir DIR`.
 */

import { hostname } from "node:os";
import path from "node:path";
import { TsukiError } from "../../host/common/index.ts";
import { certPem, createCa, issueServer, keyPem } from "../../host/orchestrator/pki/index.ts";
import { parse, parseInteger } from "../support/args.ts";
import { FILES, writeAll } from "../support/pki-files.ts";
import { reporting } from "../support/remote.ts";

export const usage = `Usage: tsuki ca create --out DIR [--name NAME] [--host NAME|IP]... [--days N]

Makes the CA a tsukid trusts for its remote API, and the daemon's certificate:
  DIR/ca.pem, DIR/ca.key        the CA (keep ca.key safe: it issues every tenant)
  DIR/server.pem, DIR/server.key  for tsuki daemon --listen … --ca DIR/ca.pem --cert DIR/server.pem --key DIR/server.key

  --out DIR          where to write them (made if absent; existing files are never overwritten)
  --name NAME        the CA's common name (default "tsuki CA")
  --host NAME|IP     a name or address clients reach the daemon by (repeatable; default localhost,
                     127.0.0.1, ::1 and this host's name)
  --days N           how long the CA is valid (default 3650; the server certificate 825)

Then issue tenants: tsuki cert issue --ca-dir DIR --name acme --max-unikernels 4 --memory 512M …`;

export async function caCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("ca", argv, {
    out: { type: "string" },
    name: { type: "string" },
    host: { type: "string", multiple: true },
    days: { type: "string" },
  });
  if (values.help) return void console.log(usage), 0;
  if (positionals[0] !== "create" || positionals.length !== 1) throw new TsukiError("FLAG_VALUE", `"tsuki ca" takes one subcommand, create: tsuki ca create --out DIR (see "tsuki ca --help")`);
  if (values.out === undefined) throw new TsukiError("MISSING_ARGUMENT", `"tsuki ca create" needs --out DIR, where to write the CA and the daemon's certificate`);
  const days = values.days === undefined ? undefined : parseInteger("--days", values.days);
  if (days !== undefined && (days < 1 || days > 36500)) throw new TsukiError("FLAG_VALUE", `--days ${days} is out of range: give 1–36500`);
  const hosts = values.host ?? ["localhost", "127.0.0.1", "::1", hostname()];
  for (const h of hosts) {
    if (!/^[A-Za-z0-9.:-]{1,253}$/.test(h)) throw new TsukiError("FLAG_VALUE", `--host ${JSON.stringify(h)} is not a host name or IP address`);
  }
  return reporting(async () => {
    const ca = await createCa(values.name ?? "tsuki CA", days === undefined ? {} : { days });
    const server = await issueServer({ cert: ca.cert, key: ca.keys.privateKey }, [...new Set(hosts)]);
    const dir = path.resolve(values.out!);
    const written = writeAll(dir, {
      [FILES.caKey]: await keyPem(ca.keys.privateKey),
      [FILES.caCert]: certPem([ca.cert]),
      [FILES.serverKey]: await keyPem(server.keys.privateKey),
      [FILES.serverCert]: certPem([server.cert]),
    });
    for (const file of written) console.log(`wrote ${file}`);
    console.log(`start the daemon with: tsuki daemon --listen 127.0.0.1:8443 --ca ${path.join(dir, FILES.caCert)} --cert ${path.join(dir, FILES.serverCert)} --key ${path.join(dir, FILES.serverKey)}`);
    return 0;
  });
}
