/**
 * @module host/orchestrator/pki/tenant-chain
 * The tenant of a verified certificate chain (control/tenants.ts describes tenants and their budgets),
 * read with Node's X509Certificate (native-certs.ts): apart from tenants.ts so that the ASN.1
 * parser of the policy extension is loaded by the TLS listener, not by every daemon that
 * accounts creates.
 */

import { type X509Certificate, commonName, policyOf } from "./native-certs.ts";
import { DaemonError } from "../api/errors.ts";
import { type Policy, policyExcess } from "./policy.ts";
import { NAME_LABEL } from "../api/spec.ts";
import { MAX_TENANT_DEPTH, type Tenant } from "./tenant.ts";

/**
 * The tenant a verified chain (leaf first, then its issuers, possibly the CA last) belongs to.
 * `isRoot` tells the trusted CA apart; everything between it and the leaf is a tenant.
 */
export function tenantFromChain(chain: readonly X509Certificate[], isRoot: (cert: X509Certificate) => boolean): Tenant {
  const [leaf, ...issuers] = chain;
  if (leaf === undefined) throw new DaemonError("CERT_INVALID", "the client presented no certificate: give --cert with a client certificate from tsuki cert issue");
  if (leaf.ca || policyOf(leaf) !== undefined) throw new DaemonError("CERT_INVALID", `the client certificate "${commonName(leaf)}" is a tenant (CA) certificate: present the client certificate (client.pem and client.key) that tsuki cert issue wrote next to it`);
  const tenants = issuers.filter((c) => !isRoot(c)).reverse();
  if (tenants.length === 0) throw new DaemonError("CERT_INVALID", `the client certificate "${commonName(leaf)}" was issued by the CA itself and so names no tenant: issue a tenant with "tsuki cert issue --ca-dir DIR --name NAME …" and use its client.pem`);
  if (tenants.length > MAX_TENANT_DEPTH) throw new DaemonError("CERT_INVALID", `the chain holds ${tenants.length} tenant certificates; tsukid takes at most ${MAX_TENANT_DEPTH}: delegate less deep`);
  const path: string[] = [];
  const policies: Policy[] = [];
  for (const cert of tenants) {
    const name = commonName(cert);
    const where = `tenant certificate "${[...path, name].join("/")}"`;
    if (!NAME_LABEL.test(name)) throw new DaemonError("CERT_INVALID", `the ${where} has the CN ${JSON.stringify(name)}, which is not a name segment (1–63 lower-case letters, digits or dashes): issue it again with a valid --name`);
    if (!cert.ca) throw new DaemonError("CERT_INVALID", `the ${where} is not a CA certificate, so it cannot have issued the one below it: issue tenants with "tsuki cert issue"`);
    const policy = policyOf(cert, `the ${where}`);
    if (policy === undefined) throw new DaemonError("CERT_INVALID", `the ${where} carries no tsuki policy: issue it with "tsuki cert issue", which writes one`);
    const parent = policies.at(-1);
    if (parent !== undefined) {
      const excess = policyExcess(policy, parent);
      if (excess.length > 0) {
        throw new DaemonError("POLICY_EXCEEDS_PARENT", `the policy of "${[...path, name].join("/")}" exceeds its parent "${path.join("/")}": ${excess.join("; ")}; issue it again within the parent's policy ("tsuki cert show" prints both)`);
      }
    }
    path.push(name);
    policies.push(policy);
  }
  return { path, policies, client: commonName(leaf) };
}
