/**
 * @module host/orchestrator/api/tls-errors
 * A failed request to a remote tsukid, as an error that says what to fix. TLS 1.3 makes this
 * harder than it looks: when the daemon refuses our certificate (another CA, expired), Node's
 * TLS server closes the connection without an alert, so all we see is a reset. We then look at
 * our own certificates (node:crypto's X509Certificate): one that is not valid now is
 * ERR_TLS_CERT_EXPIRED, a chain that the CA we trust did not issue is ERR_TLS_CERT_UNTRUSTED
 * (the daemon trusts that same CA: it issued the daemon's certificate, which we just verified),
 * anything else ERR_TLS_HANDSHAKE pointing at the daemon's event log (`tls-refused`).
 */

import { X509Certificate } from "node:crypto";
import { DaemonError, RemoteError } from "./errors.ts";

export interface TlsIdentity {
  readonly url: string;
  readonly ca: string | Buffer;
  readonly cert: string | Buffer;
}

/** The daemon's certificate could not be verified with our --ca. */
const SERVER_UNTRUSTED = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export function tlsFailure(target: TlsIdentity, error: NodeJS.ErrnoException): RemoteError {
  const code = error.code ?? "";
  const at = `tsukid at ${target.url}`;
  const make = (name: ConstructorParameters<typeof DaemonError>[0], message: string) => RemoteError.from(new DaemonError(name, message));
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "ETIMEDOUT" || code === "EAI_AGAIN") {
    return make("DAEMON_UNREACHABLE", `cannot reach ${at}: ${code}; check the URL (--remote, $TSUKI_REMOTE) and that the daemon runs with --listen`);
  }
  if (code === "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED") {
    return make("TLS_CERT_REQUIRED", `${at} wants a client certificate and we sent none: give --cert client.pem --key client.key (from tsuki cert issue), or $TSUKI_CERT and $TSUKI_KEY`);
  }
  if (SERVER_UNTRUSTED.has(code)) {
    return make("TLS_SERVER_UNTRUSTED", `the certificate of ${at} is not trusted (${code}: ${error.message}): give --ca with the CA that issued it (ca.pem from tsuki ca create), and a URL host its certificate names`);
  }
  if (code.startsWith("ERR_SSL_") && /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION_NUMBER/.test(code)) {
    return make("TLS_HANDSHAKE", `${at} does not speak TLS 1.3 (${code}): is it a tsukid --listen port, and is the URL https://?`);
  }
  if (code === "ECONNRESET" || code === "EPIPE" || code.startsWith("ERR_SSL_")) {
    const ours = diagnose(target);
    if (ours !== undefined) return ours;
    return make("TLS_HANDSHAKE", `${at} closed the connection during the TLS handshake (${code || error.message}): it refused our certificate or the connection; its event log says why (event "tls-refused")`);
  }
  return make("DAEMON_UNREACHABLE", `cannot reach ${at}: ${error.message}`);
}

/** Why the daemon would refuse our chain, as far as we can tell from here; undefined if it looks fine. */
function diagnose(target: TlsIdentity): RemoteError | undefined {
  let ours: X509Certificate[];
  let cas: X509Certificate[];
  try {
    ours = pemBlocks(target.cert).map((p) => new X509Certificate(p));
    cas = pemBlocks(target.ca).map((p) => new X509Certificate(p));
  } catch {
    return undefined;
  }
  const now = Date.now();
  for (const cert of ours) {
    if (now > Date.parse(cert.validTo) || now < Date.parse(cert.validFrom)) {
      return RemoteError.from(
        new DaemonError("TLS_CERT_EXPIRED", `the daemon refused our certificate: "${subjectCn(cert)}" in --cert is valid from ${new Date(cert.validFrom).toISOString()} to ${new Date(cert.validTo).toISOString()}, not now: have a new one issued (tsuki cert issue)`),
      );
    }
  }
  const top = ours.at(-1);
  if (top !== undefined && !cas.some((ca) => top.checkIssued(ca) && top.verify(ca.publicKey))) {
    return RemoteError.from(
      new DaemonError("TLS_CERT_UNTRUSTED", `the daemon refused our certificate: "${subjectCn(top)}" in --cert is not issued by the CA the daemon trusts ("${cas.map(subjectCn).join('", "')}" in --ca): use a certificate issued under that CA (tsuki cert issue --ca-dir …)`),
    );
  }
  return undefined;
}

function pemBlocks(pem: string | Buffer): string[] {
  return String(pem).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function subjectCn(cert: X509Certificate): string {
  return /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? cert.subject;
}
