/**
 * @module host/orchestrator/pki/certs
 * Certificates for tsukid's remote API, made and read with `@peculiar/x509` (WebCrypto):
 *
 *   CA (self-signed, trusted by the daemon)
 *    ├─ server certificate (the daemon's TLS identity: serverAuth, SANs for its names and IPs)
 *    └─ tenant certificate "acme" (an intermediate CA carrying a policy, see policy.ts)
 *        ├─ tenant certificate "web" (a sub-tenant: its policy must fit inside acme's)
 *        │   └─ client certificate (the leaf a tenant's tsuki presents: clientAuth, no policy)
 *        └─ client certificate
 *
 * The daemon does not read certificates with this module: it reads client chains with Node's own
 * X509Certificate (native-certs.ts, peer-chain.ts), so `--listen` does not load @peculiar/x509.
 *
 * Every key is ECDSA P-256 with SHA-256: OpenSSL (Node's TLS), curl and `openssl s_client` all
 * take it for client authentication in TLS 1.3. Keys are written as PKCS #8 PEM, certificates as
 * PEM; a chain file holds the leaf first, then each issuer up to (not including) the CA.
 */

import { randomBytes, type webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import * as x509 from "./x509.ts";
import { DaemonError } from "../api/errors.ts";
import { type Policy, POLICY_OID } from "./policy.ts";
import { decodePolicy, encodePolicy } from "./policy-der.ts";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface Issuer {
  readonly cert: x509.X509Certificate;
  readonly key: CryptoKey;
}

export interface Issued {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

export interface Validity {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Days from now, when notAfter is not given. */
  readonly days?: number;
}

const DAY = 86_400_000;

export function generateKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
}

/** A self-signed CA, the root the daemon trusts. */
export async function createCa(name: string, validity: Validity = {}): Promise<Issued> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [name] }],
    ...dates(validity, 3650),
    signingAlgorithm: KEY_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

/** A tenant: an intermediate CA whose CN is its name (one path segment) and that carries its policy. */
export async function issueTenant(issuer: Issuer, name: string, policy: Policy, validity: Validity = {}): Promise<Issued> {
  return issue(issuer, name, validity, 365, [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
    new x509.Extension(POLICY_OID, false, encodePolicy(policy)),
  ]);
}

/** The leaf a tenant's client presents (clientAuth). Its CN is for people; the tenant is its issuer. */
export async function issueClient(issuer: Issuer, name: string, validity: Validity = {}): Promise<Issued> {
  return issue(issuer, name, validity, 365, [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
}

/** The daemon's TLS certificate, valid for each of `hosts` (DNS names or IP addresses). */
export async function issueServer(issuer: Issuer, hosts: readonly string[], validity: Validity = {}): Promise<Issued> {
  const names = hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(":") ? { type: "ip" as const, value: h } : { type: "dns" as const, value: h }));
  return issue(issuer, hosts[0] ?? "tsukid", validity, 825, [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names),
  ]);
}

async function issue(issuer: Issuer, name: string, validity: Validity, defaultDays: number, extensions: x509.Extension[]): Promise<Issued> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [name] }],
    issuer: issuer.cert.subjectName,
    ...dates(validity, defaultDays),
    signingAlgorithm: KEY_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    extensions: [
      ...extensions,
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert),
    ],
  });
  return { cert, keys };
}

/** The policy a certificate carries, or undefined. */
export function policyOf(cert: x509.X509Certificate, where = `certificate "${commonName(cert)}"`): Policy | undefined {
  const ext = cert.getExtension(POLICY_OID);
  return ext === null ? undefined : decodePolicy(ext.value, where);
}

export function isCa(cert: x509.X509Certificate): boolean {
  return cert.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

export function commonName(cert: x509.X509Certificate): string {
  return cert.subjectName.getField("CN")[0] ?? "";
}

export function certPem(certs: readonly x509.X509Certificate[]): string {
  return certs.map((c) => c.toString("pem")).join("\n") + "\n";
}

export async function keyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return `${x509.PemConverter.encode(der, "PRIVATE KEY")}\n`;
}

/** Every certificate in a PEM file, in order. */
export function readCerts(file: string): x509.X509Certificate[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new DaemonError("CERT_FILE", `cannot read the certificate file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; check the path (tsuki ca create / tsuki cert issue write them)`);
  }
  return certsFromPem(text, file);
}

/** Every certificate in PEM text; `where` names it for messages. */
export function certsFromPem(text: string, where: string): x509.X509Certificate[] {
  try {
    const certs = x509.PemConverter.decode(text).map((der) => new x509.X509Certificate(der));
    if (certs.length === 0) throw new Error("no CERTIFICATE block");
    return certs;
  } catch (error) {
    throw new DaemonError("CERT_FILE", `${where} is not a PEM certificate file (${(error as Error).message}): give the .pem written by tsuki ca create / tsuki cert issue`);
  }
}

/** A PKCS #8 PEM ECDSA P-256 private key. */
export async function readKey(file: string): Promise<CryptoKey> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new DaemonError("CERT_FILE", `cannot read the key file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; check the path`);
  }
  try {
    const [der] = x509.PemConverter.decode(text);
    if (der === undefined) throw new Error("no PRIVATE KEY block");
    return await crypto.subtle.importKey("pkcs8", der, KEY_ALGORITHM, true, ["sign"]);
  } catch (error) {
    throw new DaemonError("CERT_FILE", `${file} is not an ECDSA P-256 private key in PKCS #8 PEM (${(error as Error).message}): give the .key written by tsuki ca create / tsuki cert issue`);
  }
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString("hex");
}

function dates(validity: Validity, defaultDays: number): { notBefore: Date; notAfter: Date } {
  // A minute back, so that a clock a little behind does not find it not yet valid.
  const notBefore = validity.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = validity.notAfter ?? new Date(Date.now() + (validity.days ?? defaultDays) * DAY);
  return { notBefore, notAfter };
}
