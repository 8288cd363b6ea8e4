/**
 * @module tsuki/host/pki
 * The certificates of tsukid's remote API, for `tsuki ca` and `tsuki cert`: a CA and the daemon's
 * certificate, tenant certificates that carry a policy, client certificates, reading and writing
 * them in PEM, and the policies themselves (parse, check, compare with a parent's, describe). An
 * entry of its own: the certificate tooling is large, and the daemon does not load it.
 */

export { certPem, commonName, createCa, isCa, issueClient, issueServer, issueTenant, keyPem, policyOf, readCerts, readKey } from "./certs.ts";
export { POLICY_LIMITS, type Policy, checkPolicy, describePolicy, parsePeerRange, parsePortRange, policyExcess } from "./policy.ts";
export type { X509Certificate } from "./x509.ts";
export { MAX_TENANT_DEPTH } from "./tenant.ts";
export { NAME_LABEL } from "../api/spec.ts";
export { DaemonError } from "../api/errors.ts";
// What a policy falls back to where it sets no limit of its own.
export { LIMIT_DEFAULTS } from "../../tender/tender.ts";
export { DEFAULT_MAX_CONNECTIONS } from "../../tender/devices/listener.ts";
