/**
 * @module cli/support/pki-files
 * The files `tsuki ca create` and `tsuki cert issue` write and read, in one directory each:
 *
 *   ca create:   ca.pem, ca.key (keep it offline), server.pem, server.key (for tsuki daemon)
 *   cert issue:  tenant.pem (the tenant's certificate, then its parents'), tenant.key (to issue
 *                sub-tenants with --parent), client.pem (the client certificate, then tenant.pem),
 *                client.key, ca.pem (a copy: the CA to trust)
 *
 * Keys are written 0600, and nothing is overwritten: an existing file is an error.
 */

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DaemonError } from "../../host/orchestrator/pki/index.ts";

export const FILES = {
  caCert: "ca.pem",
  caKey: "ca.key",
  serverCert: "server.pem",
  serverKey: "server.key",
  tenantCert: "tenant.pem",
  tenantKey: "tenant.key",
  clientCert: "client.pem",
  clientKey: "client.key",
} as const;

/** Writes each file into `dir` (made 0700 if absent); keys (`.key`) 0600. Refuses to overwrite. */
export function writeAll(dir: string, files: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // All or nothing: look before writing the first.
  for (const name of Object.keys(files)) {
    if (existsSync(path.join(dir, name))) throw new DaemonError("CERT_FILE", `${path.join(dir, name)} exists already; tsuki never overwrites a certificate or key: choose another --out, or remove it first`);
  }
  const written: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    try {
      writeFileSync(file, text, { flag: "wx", mode: name.endsWith(".key") ? 0o600 : 0o644 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new DaemonError("CERT_FILE", code === "EEXIST" ? `${file} exists already; tsuki never overwrites a certificate or key: choose another --out, or remove it first` : `cannot write ${file}: ${code ?? (error as Error).message}`);
    }
    written.push(file);
  }
  return written;
}
