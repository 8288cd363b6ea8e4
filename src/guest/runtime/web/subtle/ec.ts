/**
 * @module guest/runtime/web/subtle/ec
 * ECDSA and ECDH on P-256, P-384 and P-521 (WebCrypto §23, §24): keys in raw (public: the SEC 1
 * point, compressed or not), SPKI, PKCS#8 (RFC 5915 ECPrivateKey) and JWK, parsed here; the host
 * checks that points are on their curve (`crypto.import`) and signs, verifies and derives.
 * Signatures are IEEE P1363 (r‖s), as Web Crypto's.
 */

import { type Params, hashName } from "./algorithms.ts";
import { base64url, concat, padTo } from "./bytes.ts";
import { OID, curveParameter, readPkcs8, readSpki, writePkcs8, writeSpki } from "./containers.ts";
import { DerError, Reader, TAG, der, derBits, derOid } from "./der.ts";
import { fail, guard } from "./errors.ts";
import { type Family, unsupportedFormat } from "./family.ts";
import { type Jwk, checkJwk, exported, member } from "./jwk.ts";
import { type KeyUsage, type Slots, allowOnly, intersect, keySlots, makeKey } from "./key.ts";
import { checkMessage, deriveLength, importPacked, privateOnly, publicOf, publicOnly } from "./asymmetric.ts";
import { host } from "./host.ts";

type NamedCurve = "P-256" | "P-384" | "P-521";
const SIZE: Record<NamedCurve, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };
const JWK_ALG: Record<NamedCurve, string> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };
const NONE = new Uint8Array(0);

function curveOf(params: Params): NamedCurve {
  const curve = params.namedCurve as string;
  if (!Object.hasOwn(SIZE, curve)) fail("NotSupportedError", `no curve "${curve.slice(0, 40)}" (P-256, P-384, P-521)`);
  return curve as NamedCurve;
}

function usagesFor(name: string, type: "public" | "private"): KeyUsage[] {
  if (name === "ECDH") return type === "private" ? ["deriveKey", "deriveBits"] : [];
  return type === "private" ? ["sign"] : ["verify"];
}

function makeEcKey(name: string, curve: NamedCurve, type: "public" | "private", packed: Uint8Array, extractable: boolean, usages: KeyUsage[]) {
  return makeKey({ type, extractable, usages, algorithm: { name, namedCurve: curve }, data: packed });
}

/** RFC 5915 ECPrivateKey → [point or empty, d]. */
function readEcPrivateKey(bytes: Uint8Array, curve: NamedCurve): [Uint8Array, Uint8Array] {
  return guard("DataError", "the key is not an RFC 5915 ECPrivateKey", () => {
    const outer = new Reader(bytes);
    const seq = outer.sequence();
    outer.end();
    if (seq.small() !== 1) throw new DerError("ECPrivateKey version 1");
    const d = padTo(seq.next(TAG.OCTET_STRING).body, SIZE[curve]);
    if (d === undefined) throw new DerError("the private key is too long");
    let point: Uint8Array = NONE;
    if (!seq.done && seq.peek() === 0xa0) {
      const params = seq.next().body;
      if (curveParameter(params) !== OID[curve]) fail("DataError", "the ECPrivateKey's curve is not the key's");
    }
    if (!seq.done && seq.peek() === 0xa1) point = new Reader(seq.next().body).bits();
    seq.end();
    return [point, d];
  });
}

export const ec: Family = {
  generate(params, extractable, usages) {
    allowOnly(usages, params.name === "ECDH" ? ["deriveKey", "deriveBits"] : ["sign", "verify"], `an ${params.name} key pair`);
    const curve = curveOf(params);
    const packed = host("OperationError", "key generation failed", "crypto.generate", curve, 0, NONE);
    return {
      publicKey: makeEcKey(params.name, curve, "public", publicOf(packed), true, intersect(usages, usagesFor(params.name, "public"))),
      privateKey: makeEcKey(params.name, curve, "private", packed, extractable, intersect(usages, usagesFor(params.name, "private"))),
    };
  },

  importKey(format, data, params, extractable, usages) {
    const curve = curveOf(params);
    const name = params.name;
    const publicKey = (point: Uint8Array) => {
      allowOnly(usages, usagesFor(name, "public"), `an ${name} public key`);
      return makeEcKey(name, curve, "public", importPacked({ kind: "ec-public", curve, parts: [point] }), extractable, usages);
    };
    const privateKey = (point: Uint8Array, d: Uint8Array) => {
      allowOnly(usages, usagesFor(name, "private"), `an ${name} private key`);
      return makeEcKey(name, curve, "private", importPacked({ kind: "ec-private", curve, parts: [point, d] }), extractable, usages);
    };
    switch (format) {
      case "raw":
        return publicKey(data as Uint8Array);
      case "spki": {
        const { algorithm, key } = readSpki(data as Uint8Array);
        if (algorithm.oid !== OID.ecPublicKey) fail("DataError", "the key is not an elliptic-curve key (id-ecPublicKey)");
        if (curveParameter(algorithm.parameters) !== OID[curve]) fail("DataError", `the key is not on ${curve}`);
        return publicKey(key);
      }
      case "pkcs8": {
        const { algorithm, key } = readPkcs8(data as Uint8Array);
        if (algorithm.oid !== OID.ecPublicKey) fail("DataError", "the key is not an elliptic-curve key (id-ecPublicKey)");
        if (curveParameter(algorithm.parameters) !== OID[curve]) fail("DataError", `the key is not on ${curve}`);
        const [point, d] = readEcPrivateKey(key, curve);
        return privateKey(point, d);
      }
      case "jwk": {
        const jwk = data as Jwk;
        checkJwk(jwk, "EC", name === "ECDH" ? "enc" : "sig", usages, extractable);
        if (jwk.crv !== curve) fail("DataError", `the JWK's crv is ${JSON.stringify(jwk.crv)}, not "${curve}"`);
        if (name === "ECDSA" && jwk.alg !== undefined && jwk.alg !== JWK_ALG[curve]) fail("DataError", `the JWK's alg "${jwk.alg}" is not ${JWK_ALG[curve]}`);
        const [x, y] = [member(jwk, "x"), member(jwk, "y")];
        if (x.length !== SIZE[curve] || y.length !== SIZE[curve]) fail("DataError", `the JWK's x and y are ${SIZE[curve]} bytes on ${curve}`);
        const point = concat(new Uint8Array([4]), x, y);
        if (jwk.d === undefined) return publicKey(point);
        const d = member(jwk, "d");
        if (d.length !== SIZE[curve]) fail("DataError", `the JWK's d is ${SIZE[curve]} bytes on ${curve}`);
        return privateKey(point, d);
      }
    }
  },

  exportKey(format, key) {
    const curve = key.algorithm.namedCurve as NamedCurve;
    const point = publicOf(key.data).subarray(6);
    switch (format) {
      case "raw":
        return publicOnly(key, format), point.slice();
      case "spki":
        return publicOnly(key, format), writeSpki(OID.ecPublicKey, derOid(OID[curve]), point);
      case "pkcs8": {
        privateOnly(key, format);
        const d = key.data.subarray(6 + point.length + 4);
        const inner = der(TAG.SEQUENCE, der(TAG.INTEGER, new Uint8Array([1])), der(TAG.OCTET_STRING, d), der(0xa1, derBits(point)));
        return writePkcs8(OID.ecPublicKey, derOid(OID[curve]), inner);
      }
      case "jwk": {
        const size = SIZE[curve];
        const jwk: Jwk = { kty: "EC", crv: curve, x: base64url(point.subarray(1, 1 + size)), y: base64url(point.subarray(1 + size)) };
        if (key.type === "private") jwk.d = base64url(key.data.subarray(6 + point.length + 4));
        return exported(jwk, key.usages, key.extractable);
      }
      default:
        return unsupportedFormat(format, key.algorithm.name);
    }
  },

  sign(params, key, data) {
    if (key.type !== "private") fail("InvalidAccessError", "ECDSA signs with a private key");
    checkMessage(data, "ECDSA");
    return host("OperationError", "ECDSA", "crypto.sign", `ECDSA/${hashName(params)}`, key.data, data, 0);
  },

  verify(params, key, signature, data) {
    if (key.type !== "public") fail("InvalidAccessError", "ECDSA verifies with a public key");
    checkMessage(data, "ECDSA");
    if (signature.length !== 2 * SIZE[key.algorithm.namedCurve as NamedCurve]) return false;
    return host("OperationError", "ECDSA", "crypto.verify", `ECDSA/${hashName(params)}`, key.data, data, signature, 0);
  },

  deriveBits(params, key, length) {
    const peer = keySlots(params.public, "the algorithm's public");
    checkPeer(key, peer);
    if (peer.algorithm.namedCurve !== key.algorithm.namedCurve) fail("InvalidAccessError", "the public key is on another curve");
    const secret = host("OperationError", "ECDH", "crypto.derive", "ECDH", key.data, peer.data, NONE, 0, 0);
    return deriveLength(secret, length);
  },
};

/** WebCrypto's checks of a key agreement's keys: a private key, and a public key of the same algorithm. */
export function checkPeer(key: Slots, peer: Slots): void {
  if (key.type !== "private") fail("InvalidAccessError", `${key.algorithm.name} derives from a private key`);
  if (peer.type !== "public") fail("InvalidAccessError", "the algorithm's public is not a public key");
  if (peer.algorithm.name !== key.algorithm.name) fail("InvalidAccessError", `the public key is an ${peer.algorithm.name} key, not ${key.algorithm.name}`);
}
