/**
 * @module cli/commands/cert
 * `tsuki cert issue`: a tenant (an intermediate certificate carrying its policy) and a client
 * certificate for it, under the CA (`--ca-dir`) or under another tenant (`--parent`, whose policy
 * the new one must fit inside: checked here as the daemon will check it). `tsuki cert show FILE`:
 * each certificate in a PEM file with its subject, issuer, validity and policy, and the tenant
 * path the chain gives.
 */

import path from "node:path";
import { TsukiError } from "../../host/common/index.ts";
import {
  DaemonError,
  MAX_TENANT_DEPTH,
  NAME_LABEL,
  type X509Certificate,
  certPem,
  commonName,
  describePolicy,
  isCa,
  issueClient,
  issueTenant,
  keyPem,
  policyExcess,
  policyOf,
  readCerts,
  readKey,
} from "../../host/orchestrator/pki/index.ts";
import { parse, parseInteger } from "../support/args.ts";
import { FILES, writeAll } from "../support/pki-files.ts";
import { POLICY_FLAGS, policyInput } from "../support/policy-input.ts";
import { reporting } from "../support/remote.ts";

export const usage = `Usage: tsuki cert issue (--ca-dir DIR | --parent DIR) --name NAME [policy] --out DIR
       tsuki cert show FILE [--json]

issue: makes a tenant of a tsukid, NAME, with its policy, and a client certificate for it:
  DIR/client.pem, DIR/client.key, DIR/ca.pem   what the tenant's tsuki presents:
                 tsuki create … --remote https://HOST:8443 --cert client.pem --key client.key --ca ca.pem
  DIR/tenant.pem, DIR/tenant.key              the tenant's own certificate and key, to issue
                 sub-tenants with --parent DIR (their unikernels live under NAME/SUB/…)

  --ca-dir DIR          issue under the CA (tsuki ca create --out DIR)
  --parent DIR          issue a sub-tenant under the tenant in DIR (tsuki cert issue --out DIR);
                        its policy must fit inside the parent's, and defaults to it
  --name NAME           the tenant's name: 1–63 lower-case letters, digits or dashes
  --policy FILE         the policy as YAML (unikernels, memory, storage, targets, addresses,
                        ports, cpu, connections, peers); the flags below override it
  --max-unikernels N    at most N unikernels (across its sub-tenants too)
  --memory SIZE         their memory limits add up to at most SIZE, e.g. 512M
  --storage SIZE        their block volumes and images add up to at most SIZE, e.g. 1G
                        (default 64M: room for a few images)
  --targets LIST        isolate,process (default isolate)
  --addresses LIST      IP addresses listeners may bind (default 127.0.0.1)
  --ports LIST          port ranges listeners may bind, e.g. 8000-8099,9000 (default none)
  --cpu-ms N            the longest turn (--cpu-ms) a unikernel may ask for (default 1000)
  --connections N       its listeners' and connectors' ?max= add up to at most N
                        (default 1024 per unikernel)
  --peers LIST          where connectors and udp peers may go, e.g. 10.0.0.5:5432,[::1]:53
                        (default none)
  --days N              how long both certificates are valid (default 365)
  --out DIR             where to write them (never overwritten)

show: prints each certificate in FILE (a .pem) with its policy, and the tenant path of the chain.`;

export async function certCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("cert", argv, {
    ...POLICY_FLAGS,
    "ca-dir": { type: "string" },
    parent: { type: "string" },
    name: { type: "string" },
    days: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) return void console.log(usage), 0;
  const [sub, ...rest] = positionals;
  if (sub === "show") {
    if (rest.length !== 1) throw new TsukiError("MISSING_ARGUMENT", `"tsuki cert show" takes one file: tsuki cert show client.pem`);
    return reporting(async () => show(rest[0]!, values.json ?? false));
  }
  if (sub !== "issue" || rest.length > 0) throw new TsukiError("FLAG_VALUE", `"tsuki cert" takes a subcommand, issue or show (see "tsuki cert --help")`);
  if ((values["ca-dir"] === undefined) === (values.parent === undefined)) throw new TsukiError("MISSING_ARGUMENT", `"tsuki cert issue" needs exactly one of --ca-dir DIR (a tenant under the CA) or --parent DIR (a sub-tenant)`);
  if (values.name === undefined || !NAME_LABEL.test(values.name)) throw new TsukiError(values.name === undefined ? "MISSING_ARGUMENT" : "FLAG_VALUE", `"tsuki cert issue" needs --name NAME: 1–63 lower-case letters, digits or dashes, starting and ending with a letter or digit (e.g. acme)`);
  if (values.out === undefined) throw new TsukiError("MISSING_ARGUMENT", `"tsuki cert issue" needs --out DIR, where to write the tenant's files`);
  const days = values.days === undefined ? 365 : parseInteger("--days", values.days);
  if (days < 1 || days > 36500) throw new TsukiError("FLAG_VALUE", `--days ${days} is out of range: give 1–36500`);
  const name = values.name;
  const out = path.resolve(values.out);

  return reporting(async () => {
    const fromCa = values["ca-dir"] !== undefined;
    const dir = path.resolve((values["ca-dir"] ?? values.parent)!);
    const issuerChain = readCerts(path.join(dir, fromCa ? FILES.caCert : FILES.tenantCert));
    const issuerKey = await readKey(path.join(dir, fromCa ? FILES.caKey : FILES.tenantKey));
    const caPem = certPem(readCerts(path.join(dir, FILES.caCert)));
    const issuer = issuerChain[0]!;
    const parentPolicy = fromCa ? undefined : policyOf(issuer);
    if (!fromCa && parentPolicy === undefined) throw new DaemonError("CERT_INVALID", `${path.join(dir, FILES.tenantCert)} carries no tsuki policy: --parent takes a directory written by tsuki cert issue`);
    if (!fromCa && issuerChain.length >= MAX_TENANT_DEPTH) throw new DaemonError("CERT_INVALID", `tenants nest at most ${MAX_TENANT_DEPTH} deep`);
    const policy = policyInput(values, parentPolicy);
    if (parentPolicy !== undefined) {
      const excess = policyExcess(policy, parentPolicy);
      if (excess.length > 0) throw new DaemonError("POLICY_EXCEEDS_PARENT", `the policy of "${name}" exceeds its parent "${commonName(issuer)}": ${excess.join("; ")}; ask for less (the parent allows ${describePolicy(parentPolicy)})`);
    }
    const tenant = await issueTenant({ cert: issuer, key: issuerKey }, name, policy, { days });
    const client = await issueClient({ cert: tenant.cert, key: tenant.keys.privateKey }, `${name}-client`, { days });
    const tenantChain = [tenant.cert, ...(fromCa ? [] : issuerChain)];
    const written = writeAll(out, {
      [FILES.tenantKey]: await keyPem(tenant.keys.privateKey),
      [FILES.tenantCert]: certPem(tenantChain),
      [FILES.clientKey]: await keyPem(client.keys.privateKey),
      [FILES.clientCert]: certPem([client.cert, ...tenantChain]),
      [FILES.caCert]: caPem,
    });
    for (const file of written) console.log(`wrote ${file}`);
    console.log(`tenant ${tenantPath(tenantChain)}: ${describePolicy(policy)}`);
    return 0;
  });
}

function show(file: string, json: boolean): number {
  const certs = readCerts(file);
  const now = new Date();
  const rows = certs.map((cert) => {
    const policy = policyOf(cert);
    const kind = policy !== undefined ? "tenant" : isCa(cert) ? "ca" : cert.subject === cert.issuer ? "self-signed" : "client or server";
    return { subject: commonName(cert), issuer: cert.issuerName.getField("CN")[0] ?? cert.issuer, kind, notBefore: cert.notBefore.toISOString(), notAfter: cert.notAfter.toISOString(), validNow: cert.notBefore <= now && now <= cert.notAfter, serial: cert.serialNumber, policy: policy ?? null };
  });
  const tenants = tenantPath(certs);
  if (json) return void console.log(JSON.stringify({ file, tenant: tenants || null, certificates: rows })), 0;
  console.log(`${file}: ${certs.length} certificate${certs.length === 1 ? "" : "s"}${tenants ? `, tenant path ${tenants}` : ""}`);
  rows.forEach((r, i) => {
    console.log(`[${i}] ${r.kind} "${r.subject}", issued by "${r.issuer}"`);
    console.log(`    valid ${r.notBefore} to ${r.notAfter} (${r.validNow ? "valid now" : "NOT valid now"})`);
    if (r.policy) console.log(`    policy: ${describePolicy(r.policy)}`);
  });
  return 0;
}

/** `acme/web` from the tenant certificates in a chain (leaf first). */
function tenantPath(certs: readonly X509Certificate[]): string {
  return certs
    .filter((c) => policyOf(c) !== undefined)
    .map(commonName)
    .reverse()
    .join("/");
}
