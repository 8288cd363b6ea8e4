/**
 * @module host/orchestrator/pki/native-certs
 * Client certificate chains as the daemon reads them on its request path, with Node's own
 * `crypto.X509Certificate` (OpenSSL): signatures (`verify`), issuer and subject matching
 * (`checkIssued`), validity (`validFromDate`, `validToDate`), the CA flag (`ca`), the subject.
 * The one thing it cannot read, tsuki's policy extension, is found with a small
 * `@peculiar/asn1-schema` schema of the certificate that stops at its extensions, and decoded
 * by policy-der.ts. So a daemon started with `--listen` never loads `@peculiar/x509` (with
 * tsyringe, reflect-metadata and a dozen ASN.1 modules: about 8 MiB of RSS); certificates are
 * still made with it, by `tsuki ca` and `tsuki cert` (certs.ts).
 */

import { X509Certificate } from "node:crypto";
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from "@peculiar/asn1-schema";
import { DaemonError } from "../api/errors.ts";
import { type Policy, POLICY_OID } from "./policy.ts";
import { decodePolicy } from "./policy-der.ts";

export type { X509Certificate };

// RFC 5280's Certificate, only as deep as the extensions: everything else is read by OpenSSL and
// kept here as opaque DER (asn1-schema's decorators called as functions, as in policy-der.ts).
class ExtensionAsn {
  extnID = "";
  critical = false;
  extnValue = new ArrayBuffer(0);
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(ExtensionAsn.prototype, "extnID");
AsnProp({ type: AsnPropTypes.Boolean, defaultValue: false })(ExtensionAsn.prototype, "critical");
AsnProp({ type: AsnPropTypes.OctetString })(ExtensionAsn.prototype, "extnValue");
AsnType({ type: AsnTypeTypes.Sequence })(ExtensionAsn);

class ExtensionsAsn extends AsnArray<ExtensionAsn> {}
AsnType({ type: AsnTypeTypes.Sequence, itemType: ExtensionAsn })(ExtensionsAsn);

class TbsCertificateAsn {
  version = 0;
  serialNumber = new ArrayBuffer(0);
  signature = new ArrayBuffer(0);
  issuer = new ArrayBuffer(0);
  validity = new ArrayBuffer(0);
  subject = new ArrayBuffer(0);
  subjectPublicKeyInfo = new ArrayBuffer(0);
  issuerUniqueID?: ArrayBuffer;
  subjectUniqueID?: ArrayBuffer;
  extensions?: ExtensionsAsn;
}
AsnProp({ type: AsnPropTypes.Integer, context: 0, defaultValue: 0 })(TbsCertificateAsn.prototype, "version");
for (const key of ["serialNumber", "signature", "issuer", "validity", "subject", "subjectPublicKeyInfo"]) AsnProp({ type: AsnPropTypes.Any })(TbsCertificateAsn.prototype, key);
AsnProp({ type: AsnPropTypes.BitString, context: 1, implicit: true, optional: true })(TbsCertificateAsn.prototype, "issuerUniqueID");
AsnProp({ type: AsnPropTypes.BitString, context: 2, implicit: true, optional: true })(TbsCertificateAsn.prototype, "subjectUniqueID");
AsnProp({ type: ExtensionsAsn, context: 3, optional: true })(TbsCertificateAsn.prototype, "extensions");
AsnType({ type: AsnTypeTypes.Sequence })(TbsCertificateAsn);

class CertificateAsn {
  tbsCertificate = new TbsCertificateAsn();
  signatureAlgorithm = new ArrayBuffer(0);
  signatureValue = new ArrayBuffer(0);
}
AsnProp({ type: TbsCertificateAsn })(CertificateAsn.prototype, "tbsCertificate");
AsnProp({ type: AsnPropTypes.Any })(CertificateAsn.prototype, "signatureAlgorithm");
AsnProp({ type: AsnPropTypes.Any })(CertificateAsn.prototype, "signatureValue");
AsnType({ type: AsnTypeTypes.Sequence })(CertificateAsn);

/** Every certificate in PEM text, in order; `where` names it for messages. */
export function certsFromPem(text: string, where: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new Error("no CERTIFICATE block");
    return blocks.map((pem) => new X509Certificate(pem));
  } catch (error) {
    throw new DaemonError("CERT_FILE", `${where} is not a PEM certificate file (${(error as Error).message}): give the .pem written by tsuki ca create / tsuki cert issue`);
  }
}

/**
 * The subject's CN ("" without one). Node prints the subject one attribute per line with control
 * characters escaped (`\0A`), so a CN cannot fake a second line.
 */
export function commonName(cert: X509Certificate): string {
  const line = cert.subject.split("\n").find((l) => l.startsWith("CN="));
  return line === undefined ? "" : line.slice(3);
}

/** The policy a certificate carries, or undefined; `where` names it for messages. */
export function policyOf(cert: X509Certificate, where = `certificate "${commonName(cert)}"`): Policy | undefined {
  let parsed: CertificateAsn;
  try {
    parsed = AsnConvert.parse(cert.raw, CertificateAsn);
  } catch (error) {
    throw new DaemonError("CERT_INVALID", `the extensions of ${where} cannot be read (${(error as Error).message}): issue it again with "tsuki cert issue"`);
  }
  const found = (parsed.tbsCertificate.extensions ?? []).filter((e) => e.extnID === POLICY_OID);
  if (found.length > 1) throw new DaemonError("POLICY_INVALID", `${where} carries ${found.length} tsuki policies; a certificate carries one: issue it again with "tsuki cert issue"`);
  return found[0] === undefined ? undefined : decodePolicy(found[0].extnValue, where);
}
