/**
 * @module guest/runtime/web/subtle/containers
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) and PrivateKeyInfo / OneAsymmetricKey (RFC 5208,
 * RFC 5958): the envelopes of `spki` and `pkcs8` keys, read and written here. What is inside
 * (an RSA key, an EC point, a Curve25519 key) is each family's to read.
 */

import { DerError, Reader, TAG, der, derBits, derOid, fromHex, hex } from "./der.ts";
import { guard } from "./errors.ts";

export const OID = {
  rsaEncryption: "2a864886f70d010101",
  ecPublicKey: "2a8648ce3d0201",
  "P-256": "2a8648ce3d030107",
  "P-384": "2b81040022",
  "P-521": "2b81040023",
  Ed25519: "2b6570",
  X25519: "2b656e",
} as const;

/** An AlgorithmIdentifier: the OID, and the parameters' DER if present. */
export interface AlgorithmId {
  oid: string;
  parameters: Uint8Array | undefined;
}

function algorithmId(reader: Reader): AlgorithmId {
  const seq = reader.sequence();
  const oid = seq.oid();
  let parameters: Uint8Array | undefined;
  if (!seq.done) {
    const start = seq.peek();
    const element = seq.next();
    parameters = der(start!, element.body);
  }
  seq.end();
  return { oid, parameters };
}

export function readSpki(bytes: Uint8Array): { algorithm: AlgorithmId; key: Uint8Array } {
  return guard("DataError", "the key is not a DER SubjectPublicKeyInfo", () => {
    const outer = new Reader(bytes);
    const seq = outer.sequence();
    outer.end();
    const algorithm = algorithmId(seq);
    const key = seq.bits();
    seq.end();
    return { algorithm, key };
  });
}

export function readPkcs8(bytes: Uint8Array): { algorithm: AlgorithmId; key: Uint8Array } {
  return guard("DataError", "the key is not a DER PrivateKeyInfo (PKCS #8)", () => {
    const outer = new Reader(bytes);
    const seq = outer.sequence();
    outer.end();
    const version = seq.small();
    if (version !== 0 && version !== 1) throw new DerError("PKCS #8 version 0 or 1");
    const algorithm = algorithmId(seq);
    const key = seq.next(TAG.OCTET_STRING).body;
    // attributes [0] and (version 1) publicKey [1] may follow, in that order.
    if (!seq.done && seq.peek() === 0xa0) seq.next();
    if (!seq.done && seq.peek() === 0xa1 && version === 1) seq.next();
    seq.end();
    return { algorithm, key };
  });
}

/** The parameters as a named curve's OID, or undefined if they are not one. */
export function curveParameter(parameters: Uint8Array | undefined): string | undefined {
  if (parameters === undefined || parameters[0] !== TAG.OID) return undefined;
  return guard("DataError", "bad curve parameters", () => {
    const r = new Reader(parameters);
    const oid = r.oid();
    r.end();
    return oid;
  });
}

export const isNull = (parameters: Uint8Array | undefined) => parameters !== undefined && parameters.length === 2 && parameters[0] === TAG.NULL && parameters[1] === 0;

export function writeSpki(oid: string, parameters: Uint8Array | undefined, key: Uint8Array): Uint8Array {
  const id = parameters === undefined ? der(TAG.SEQUENCE, derOid(oid)) : der(TAG.SEQUENCE, derOid(oid), parameters);
  return der(TAG.SEQUENCE, id, derBits(key));
}

export function writePkcs8(oid: string, parameters: Uint8Array | undefined, key: Uint8Array): Uint8Array {
  const id = parameters === undefined ? der(TAG.SEQUENCE, derOid(oid)) : der(TAG.SEQUENCE, derOid(oid), parameters);
  return der(TAG.SEQUENCE, der(TAG.INTEGER, new Uint8Array([0])), id, der(TAG.OCTET_STRING, key));
}

export const NULL_PARAMETERS = fromHex("0500");
export { hex };
