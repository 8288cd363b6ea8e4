/**
 * Test PKI for tsukid's remote API: a CA with a server certificate, tenants with policies and
 * their client certificates, made with the same library calls `tsuki ca` and `tsuki cert` use, and
 * written to files the way they write them (client.pem = leaf then its tenant certificates).
 */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Issued, type Validity, certPem, createCa, issueClient, issueServer, issueTenant, keyPem } from "../../../src/host/orchestrator/pki/certs.ts";
import type { RemoteTarget } from "../../../src/host/orchestrator/api/client.ts";
import type { Policy } from "../../../src/host/orchestrator/pki/policy.ts";
import { tempDir } from "../../helpers.ts";

export const POLICY: Policy = { unikernels: 4, memoryMb: 256, storageMb: 64, targets: ["isolate"], addresses: ["127.0.0.1"], ports: [{ first: 18100, last: 18199 }], cpuMs: 1000, connections: 4096, peers: [] };

export interface Ca extends Issued {
  readonly dir: string;
  readonly caPem: string;
  readonly serverPem: string;
  readonly serverKey: string;
}

export interface TenantFiles extends Issued {
  /** The tenant certificates from this one up (this one first). */
  readonly chain: Issued["cert"][];
  readonly clientPem: string;
  readonly clientKey: string;
}

export async function makeCa(name = "tsuki test CA"): Promise<Ca> {
  const ca = await createCa(name);
  const server = await issueServer({ cert: ca.cert, key: ca.keys.privateKey }, ["localhost", "127.0.0.1"]);
  const dir = tempDir("tsuki-pki-");
  const files = { caPem: path.join(dir, "ca.pem"), serverPem: path.join(dir, "server.pem"), serverKey: path.join(dir, "server.key") };
  writeFileSync(files.caPem, certPem([ca.cert]));
  writeFileSync(files.serverPem, certPem([server.cert]));
  writeFileSync(files.serverKey, await keyPem(server.keys.privateKey));
  return { ...ca, dir, ...files };
}

/** A tenant under the CA or under another tenant, with a client certificate written to files. */
export async function makeTenant(issuer: Issued & { chain?: Issued["cert"][] }, name: string, policy: Policy, client: Validity = {}): Promise<TenantFiles> {
  const tenant = await issueTenant({ cert: issuer.cert, key: issuer.keys.privateKey }, name, policy);
  const chain = [tenant.cert, ...(issuer.chain ?? [])];
  const leaf = await issueClient({ cert: tenant.cert, key: tenant.keys.privateKey }, `${name}-client`, client);
  const dir = path.join(tempDir("tsuki-tenant-"), name);
  mkdirSync(dir, { recursive: true });
  const clientPem = path.join(dir, "client.pem");
  const clientKey = path.join(dir, "client.key");
  writeFileSync(clientPem, certPem([leaf.cert, ...chain]));
  writeFileSync(clientKey, await keyPem(leaf.keys.privateKey));
  return { ...tenant, chain, clientPem, clientKey };
}

export function target(url: string, ca: Ca, tenant: TenantFiles): RemoteTarget {
  return { url, ca: readFileSync(ca.caPem, "utf8"), cert: readFileSync(tenant.clientPem, "utf8"), key: readFileSync(tenant.clientKey, "utf8") };
}
