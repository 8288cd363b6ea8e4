/**
 * @module host/orchestrator/peer-chain
 * The client's tenant certificates, as the daemon needs them to find the tenant and its policies.
 *
 * OpenSSL verifies the client's whole chain during the TLS handshake, but Node gives a TLS server
 * only the client's leaf certificate, not the intermediates it sent (`getPeerCertificate(true)`
 * stops at the leaf). So the client also sends its tenant certificates with every request, in the
 * `tsuki-chain` header: base64 DER certificates separated by commas, the leaf's issuer first, up
 * to (not including) the CA — exactly what follows the leaf in client.pem. The daemon trusts
 * nothing in it: it verifies with `@peculiar/x509` that the leaf OpenSSL verified was signed by
 * the header's first certificate, each one by the next, the last by the trusted CA, that each
 * issuer is a CA certificate whose subject is the child's issuer, and that all are valid now.
 */

import type { X509Certificate } from "./x509.ts";
import { DaemonError } from "./errors.ts";
import { MAX_TENANT_DEPTH } from "./tenants.ts";

export const CHAIN_HEADER = "tsuki-chain";
const MAX_CERT_BASE64 = 8192;

/** The header's value for a client.pem's certificates (leaf first): every one after the leaf. */
export function chainHeader(certs: readonly X509Certificate[]): string {
  return certs
    .slice(1)
    .map((c) => Buffer.from(c.rawData).toString("base64"))
    .join(",");
}

/** Leaf first, then its tenant certificates, each verified up to one of `roots`. */
export async function verifiedChain(leaf: X509Certificate, header: string | undefined, roots: readonly X509Certificate[], now = new Date()): Promise<X509Certificate[]> {
  const fix = `send the tenant certificates that follow the client certificate in client.pem (tsuki does; with another client, send them base64 DER, comma-separated, in a "${CHAIN_HEADER}" header)`;
  if (header === undefined || header.trim() === "") throw new DaemonError("CERT_INVALID", `the request carries no "${CHAIN_HEADER}" header, so tsukid cannot see the tenant certificates above "${leaf.subject}": ${fix}`);
  const parts = header.split(",").map((p) => p.trim());
  if (parts.length > MAX_TENANT_DEPTH || parts.some((p) => p.length > MAX_CERT_BASE64 || !/^[A-Za-z0-9+/]+=*$/.test(p))) {
    throw new DaemonError("CERT_INVALID", `the "${CHAIN_HEADER}" header is not at most ${MAX_TENANT_DEPTH} base64 certificates: ${fix}`);
  }
  // The X.509 stack is loaded by the first request that carries a chain: the client, which only
  // names the header, and a daemon without --listen do without it.
  const { fromDer, isCa } = await import("./certs.ts");
  let certs: X509Certificate[];
  try {
    certs = parts.map((p) => fromDer(new Uint8Array(Buffer.from(p, "base64"))));
  } catch (error) {
    throw new DaemonError("CERT_INVALID", `the "${CHAIN_HEADER}" header holds something that is not a certificate (${(error as Error).message}): ${fix}`);
  }
  const chain = [leaf, ...certs];
  for (let i = 0; i < certs.length; i++) {
    const child = chain[i]!;
    const issuer = chain[i + 1]!;
    if (!(await signedBy(child, issuer, now)) || !isCa(issuer)) {
      throw new DaemonError("CERT_INVALID", `"${child.subject}" is not validly issued by "${issuer.subject}" in the "${CHAIN_HEADER}" header (wrong order, another chain, not a CA, or not valid now): ${fix}`);
    }
    if (!(await validNow(issuer, now))) throw new DaemonError("CERT_INVALID", `the tenant certificate "${issuer.subject}" is not valid now (${issuer.notBefore.toISOString()} to ${issuer.notAfter.toISOString()}): have it issued again`);
  }
  const top = chain.at(-1)!;
  const rooted = await Promise.all(roots.map((root) => signedBy(top, root, now)));
  if (!rooted.includes(true)) throw new DaemonError("CERT_INVALID", `"${top.subject}" is not issued by the CA this daemon trusts: ${fix}`);
  return chain;
}

async function signedBy(child: X509Certificate, issuer: X509Certificate, now: Date): Promise<boolean> {
  if (child.issuer !== issuer.subject) return false;
  try {
    return await child.verify({ publicKey: issuer.publicKey, date: now });
  } catch {
    return false;
  }
}

async function validNow(cert: X509Certificate, now: Date): Promise<boolean> {
  return cert.notBefore <= now && now <= cert.notAfter;
}
