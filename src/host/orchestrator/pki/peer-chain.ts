/**
 * @module host/orchestrator/pki/peer-chain
 * The client's tenant certificates, as the daemon needs them to find the tenant and its policies.
 *
 * OpenSSL verifies the client's whole chain during the TLS handshake, but Node gives a TLS server
 * only the client's leaf certificate, not the intermediates it sent (`getPeerCertificate(true)`
 * stops at the leaf). So the client also sends its tenant certificates with every request, in the
 * `tsuki-chain` header: base64 DER certificates separated by commas, the leaf's issuer first, up
 * to (not including) the CA — exactly what follows the leaf in client.pem. The daemon trusts
 * nothing in it: it verifies with Node's `crypto.X509Certificate` (OpenSSL) that the leaf
 * OpenSSL verified was signed by the header's first certificate, each one by the next, the last
 * by the trusted CA, that each issuer is a CA certificate whose subject is the child's issuer
 * (`checkIssued`), and that all, the leaf too, are valid now.
 *
 * Verifying costs about a millisecond of signatures and parsing, so verified chains are kept
 * (`ChainCache`): keyed by the SHA-256 of the TLS-verified leaf and of the exact header, each
 * entry checked against that leaf's bytes on every hit, and dropped once any certificate of the
 * chain is no longer valid (the earliest notAfter) — a cached chain never authorises another
 * leaf, nor outlives a certificate.
 */

import { X509Certificate, createHash } from "node:crypto";
import { DaemonError } from "../api/errors.ts";
import { CHAIN_HEADER } from "../api/wire.ts";
import { MAX_TENANT_DEPTH } from "./tenant.ts";

export { CHAIN_HEADER };

const MAX_CERT_BASE64 = 8192;

/** The header's value for a client.pem's certificates as DER (leaf first): every one after the leaf. */
export function chainHeader(ders: readonly Uint8Array[]): string {
  return ders
    .slice(1)
    .map((der) => Buffer.from(der).toString("base64"))
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
  const certs = parts.map((p, i) => certFromDer(Buffer.from(p, "base64"), `certificate ${i + 1} of the "${CHAIN_HEADER}" header`));
  if (!validAt(leaf, now)) throw new DaemonError("CERT_INVALID", `the client certificate "${leaf.subject}" is not valid now (${leaf.validFromDate.toISOString()} to ${leaf.validToDate.toISOString()}): have it issued again`);
  const chain = [leaf, ...certs];
  for (let i = 0; i < certs.length; i++) {
    const child = chain[i]!;
    const issuer = chain[i + 1]!;
    if (!signedBy(child, issuer) || !issuer.ca) {
      throw new DaemonError("CERT_INVALID", `"${child.subject}" is not validly issued by "${issuer.subject}" in the "${CHAIN_HEADER}" header (wrong order, another chain, or not a CA): ${fix}`);
    }
    if (!validAt(issuer, now)) throw new DaemonError("CERT_INVALID", `the tenant certificate "${issuer.subject}" is not valid now (${issuer.validFromDate.toISOString()} to ${issuer.validToDate.toISOString()}): have it issued again`);
  }
  const top = chain.at(-1)!;
  if (!roots.some((root) => signedBy(top, root))) throw new DaemonError("CERT_INVALID", `"${top.subject}" is not issued by the CA this daemon trusts: ${fix}`);
  return chain;
}

/** DER → certificate; `where` names it for the message. */
export function certFromDer(der: Uint8Array, where: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new DaemonError("CERT_INVALID", `${where} is not an X.509 certificate (${(error as Error).message}): send the certificates tsuki cert issue wrote`);
  }
}

/** When every certificate of a chain is valid: from the latest notBefore to the earliest notAfter, ms since the epoch. */
export function chainValidity(chain: readonly X509Certificate[]): { notBefore: number; notAfter: number } {
  return {
    notBefore: Math.max(...chain.map((c) => c.validFromDate.getTime())),
    notAfter: Math.min(...chain.map((c) => c.validToDate.getTime())),
  };
}

function validAt(cert: X509Certificate, now: Date): boolean {
  return cert.validFromDate <= now && now <= cert.validToDate;
}

function signedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

interface Entry<T> {
  readonly leaf: Buffer;
  readonly value: T;
  /** When every certificate of the chain is valid, ms since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** Verified chains (and what was made of them), bounded, least recently used dropped first. */
export class ChainCache<T> {
  readonly max: number;
  #entries = new Map<string, Entry<T>>();

  constructor(max = 1024) {
    this.max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The key of a TLS-verified leaf (its DER) with a request's header. */
  static key(leaf: Uint8Array, header: string): string {
    return `${createHash("sha256").update(leaf).digest("base64")} ${createHash("sha256").update(header).digest("base64")}`;
  }

  /** What was made of the key's chain for exactly this leaf (and until when), if it is still valid at `now`. */
  get(key: string, leaf: Uint8Array, now = Date.now()): { value: T; notAfter: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (now < entry.notBefore || now > entry.notAfter || !entry.leaf.equals(leaf)) return undefined;
    this.#entries.set(key, entry);
    return { value: entry.value, notAfter: entry.notAfter };
  }

  /** Keeps `value` for a verified `chain` (leaf first), until its earliest notAfter. */
  set(key: string, chain: readonly X509Certificate[], value: T): { notBefore: number; notAfter: number } {
    const validity = chainValidity(chain);
    this.#entries.delete(key);
    while (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { leaf: Buffer.from(chain[0]!.raw), value, ...validity });
    return validity;
  }
}
