/**
 * @module guest/runtime/web/subtle/okp
 * Ed25519 and X25519 (WebCrypto's "Secure Curves": RFC 8032, RFC 7748) with keys in raw
 * (public), SPKI, PKCS#8 (RFC 8410) and JWK (RFC 8037, kty "OKP"). Signing, verifying and the
 * key agreement run on the host; an all-zero X25519 secret (a small-order peer) is an
 * OperationError, as the specification requires.
 */

import { base64url } from "./bytes.ts";
import { OID, readPkcs8, readSpki, writePkcs8, writeSpki } from "./containers.ts";
import { DerError, Reader, TAG, der } from "./der.ts";
import { fail, guard } from "./errors.ts";
import { type Family, unsupportedFormat } from "./family.ts";
import { type Jwk, checkJwk, exported, member } from "./jwk.ts";
import { type KeyUsage, allowOnly, intersect, keySlots, makeKey } from "./key.ts";
import { checkMessage, deriveLength, importPacked, partsOf, privateOnly, publicOf, publicOnly } from "./asymmetric.ts";
import { checkPeer } from "./ec.ts";
import { host } from "./host.ts";

type Curve = "Ed25519" | "X25519";
const NONE = new Uint8Array(0);

function usagesFor(name: string, type: "public" | "private"): KeyUsage[] {
  if (name === "X25519") return type === "private" ? ["deriveKey", "deriveBits"] : [];
  return type === "private" ? ["sign"] : ["verify"];
}

function makeOkpKey(name: Curve, type: "public" | "private", packed: Uint8Array, extractable: boolean, usages: KeyUsage[]) {
  return makeKey({ type, extractable, usages, algorithm: { name }, data: packed });
}

export const okp: Family = {
  generate(params, extractable, usages) {
    const name = params.name as Curve;
    allowOnly(usages, name === "X25519" ? ["deriveKey", "deriveBits"] : ["sign", "verify"], `an ${name} key pair`);
    const packed = host("OperationError", "key generation failed", "crypto.generate", name, 0, NONE);
    return {
      publicKey: makeOkpKey(name, "public", publicOf(packed), true, intersect(usages, usagesFor(name, "public"))),
      privateKey: makeOkpKey(name, "private", packed, extractable, intersect(usages, usagesFor(name, "private"))),
    };
  },

  importKey(format, data, params, extractable, usages) {
    const name = params.name as Curve;
    const publicKey = (x: Uint8Array) => {
      allowOnly(usages, usagesFor(name, "public"), `an ${name} public key`);
      if (x.length !== 32) fail("DataError", `an ${name} public key is 32 bytes, got ${x.length}`);
      return makeOkpKey(name, "public", importPacked({ kind: "okp-public", curve: name, parts: [x] }), extractable, usages);
    };
    const privateKey = (x: Uint8Array, d: Uint8Array) => {
      allowOnly(usages, usagesFor(name, "private"), `an ${name} private key`);
      if (d.length !== 32) fail("DataError", `an ${name} private key is 32 bytes, got ${d.length}`);
      return makeOkpKey(name, "private", importPacked({ kind: "okp-private", curve: name, parts: [x, d] }), extractable, usages);
    };
    switch (format) {
      case "raw":
        return publicKey(data as Uint8Array);
      case "spki": {
        const { algorithm, key } = readSpki(data as Uint8Array);
        if (algorithm.oid !== OID[name] || algorithm.parameters !== undefined) fail("DataError", `the key is not an ${name} key`);
        return publicKey(key);
      }
      case "pkcs8": {
        const { algorithm, key } = readPkcs8(data as Uint8Array);
        if (algorithm.oid !== OID[name] || algorithm.parameters !== undefined) fail("DataError", `the key is not an ${name} key`);
        const d = guard("DataError", "the key is not an RFC 8410 CurvePrivateKey", () => {
          const r = new Reader(key);
          const body = r.next(TAG.OCTET_STRING).body;
          r.end();
          if (body.length !== 32) throw new DerError("32 bytes");
          return body;
        });
        return privateKey(NONE, d);
      }
      case "jwk": {
        const jwk = data as Jwk;
        checkJwk(jwk, "OKP", name === "X25519" ? "enc" : "sig", usages, extractable);
        if (jwk.crv !== name) fail("DataError", `the JWK's crv is ${JSON.stringify(jwk.crv)}, not "${name}"`);
        if (name === "Ed25519" && jwk.alg !== undefined && jwk.alg !== "Ed25519" && jwk.alg !== "EdDSA") fail("DataError", `the JWK's alg "${jwk.alg}" is not Ed25519 or EdDSA`);
        const x = member(jwk, "x");
        if (jwk.d === undefined) return publicKey(x);
        if (x.length !== 32) fail("DataError", `the JWK's x is 32 bytes, got ${x.length}`);
        return privateKey(x, member(jwk, "d"));
      }
    }
  },

  exportKey(format, key) {
    const name = key.algorithm.name;
    const [x, d] = partsOf(key) as [Uint8Array, Uint8Array | undefined];
    switch (format) {
      case "raw":
        return publicOnly(key, format), x.slice();
      case "spki":
        return publicOnly(key, format), writeSpki(OID[name as Curve], undefined, x);
      case "pkcs8":
        return privateOnly(key, format), writePkcs8(OID[name as Curve], undefined, der(TAG.OCTET_STRING, d!));
      case "jwk": {
        const jwk: Jwk = { kty: "OKP", crv: name, x: base64url(x) };
        if (key.type === "private") jwk.d = base64url(d!);
        return exported(jwk, key.usages, key.extractable);
      }
      default:
        return unsupportedFormat(format, name);
    }
  },

  sign(_params, key, data) {
    if (key.type !== "private") fail("InvalidAccessError", "Ed25519 signs with a private key");
    checkMessage(data, "Ed25519");
    return host("OperationError", "Ed25519", "crypto.sign", "Ed25519", key.data, data, 0);
  },

  verify(_params, key, signature, data) {
    if (key.type !== "public") fail("InvalidAccessError", "Ed25519 verifies with a public key");
    checkMessage(data, "Ed25519");
    if (signature.length !== 64) return false;
    return host("OperationError", "Ed25519", "crypto.verify", "Ed25519", key.data, data, signature, 0);
  },

  deriveBits(params, key, length) {
    const peer = keySlots(params.public, "the algorithm's public");
    checkPeer(key, peer);
    const secret = host("OperationError", "X25519", "crypto.derive", "X25519", key.data, peer.data, NONE, 0, 0);
    if (secret.every((byte) => byte === 0)) fail("OperationError", "X25519 gave the all-zero secret: the public key is of small order");
    return deriveLength(secret, length);
  },
};
