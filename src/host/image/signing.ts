/**
 * @module host/image/signing
 * Signed images: Ed25519 (node:crypto) over the image's SHA-256, with keys in PEM files. The
 * signed message is `tsuki.image/1 sha256:<hex>`, so a signature says "this key vouches for the
 * image with this hash" and cannot be taken for anything else. A signature travels as a small
 * JSON file (`<image>.sig`) naming the hash, the key (by the SHA-256 of its public key, DER), and
 * the signature in base64. A daemon started with trusted keys refuses images without a valid
 * signature by one of them.
 *
 * Its errors are the host's (`TsukiError`): `tsuki verify` is a local command and needs no daemon.
 * tsukid answers them with the API's status (orchestrator/pki/image-trust.ts).
 */

import { type KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { TsukiError } from "../common/errors.ts";

export const SIGNATURE_FORMAT = "tsuki.signature/1";

export interface Signature {
  readonly format: typeof SIGNATURE_FORMAT;
  /** The image's SHA-256, hex. */
  readonly sha256: string;
  /** SHA-256 of the public key's SPKI DER, hex: which key signed. */
  readonly key: string;
  /** Ed25519 signature, base64. */
  readonly signature: string;
}

const message = (sha: string) => Buffer.from(`tsuki.image/1 sha256:${sha}`, "utf8");

export function keyId(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex");
}

export function generateKeys(): { privatePem: string; publicPem: string; id: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privatePem: privateKey.export({ type: "pkcs8", format: "pem" }) as string, publicPem: publicKey.export({ type: "spki", format: "pem" }) as string, id: keyId(publicKey) };
}

/** A private Ed25519 key from PEM; `what` names the file for messages. */
export function privateKey(pem: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new TsukiError("FLAG_VALUE", `${what} is not a private key in PEM: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new TsukiError("FLAG_VALUE", `${what} is a ${key.asymmetricKeyType} key: tsuki signs with Ed25519 keys (make one with "tsuki keygen")`);
  return key;
}

/** A public Ed25519 key from PEM (a private key's PEM gives its public half). */
export function publicKey(pem: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new TsukiError("FLAG_VALUE", `${what} is not a public key in PEM: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new TsukiError("FLAG_VALUE", `${what} is a ${key.asymmetricKeyType} key: tsuki verifies Ed25519 keys`);
  return key;
}

export function signImage(sha: string, key: KeyObject): Signature {
  return { format: SIGNATURE_FORMAT, sha256: sha, key: keyId(createPublicKey(key)), signature: sign(null, message(sha), key).toString("base64") };
}

/** Parses a signature file's JSON; throws ERR_SIGNATURE_INVALID when it is not one. */
export function parseSignature(value: unknown): Signature {
  const s = value as Partial<Signature> | null;
  if (typeof s !== "object" || s === null || s.format !== SIGNATURE_FORMAT || typeof s.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(s.sha256) || typeof s.key !== "string" || !/^[0-9a-f]{64}$/.test(s.key) || typeof s.signature !== "string" || s.signature.length > 200) {
    throw new TsukiError("SIGNATURE_INVALID", `not a tsuki signature: expected {"format":"${SIGNATURE_FORMAT}","sha256","key","signature"}`);
  }
  return { format: SIGNATURE_FORMAT, sha256: s.sha256, key: s.key, signature: s.signature };
}

/**
 * Checks that `signature` is a valid signature of the image `sha` by one of `trusted`; returns the
 * key's id, or throws ERR_IMAGE_UNSIGNED / ERR_SIGNATURE_INVALID with what to do.
 */
export function checkSignature(sha: string, signature: Signature | undefined, trusted: readonly KeyObject[]): string {
  if (signature === undefined) throw new TsukiError("IMAGE_UNSIGNED", `image ${sha} is not signed, and this daemon runs only images signed by a key it trusts: sign it with "tsuki sign IMAGE --key KEY" (the client sends IMAGE.sig along)`);
  if (signature.sha256 !== sha) throw new TsukiError("SIGNATURE_INVALID", `the signature is for image ${signature.sha256}, not ${sha}`);
  const key = trusted.find((k) => keyId(k) === signature.key);
  if (!key) throw new TsukiError("SIGNATURE_INVALID", `image ${sha} is signed by key ${signature.key.slice(0, 16)}…, which is not among the trusted keys (tsuki daemon --trusted-key, tsuki verify --key)`);
  if (!verify(null, message(sha), key, Buffer.from(signature.signature, "base64"))) throw new TsukiError("SIGNATURE_INVALID", `the signature of image ${sha} by key ${signature.key.slice(0, 16)}… does not verify: it was not made over this image with this key`);
  return signature.key;
}
