/**
 * Image signatures on their own, without a daemon: checkSignature accepts a trusted key's
 * signature of the image and refuses the rest with the host's errors (a local `tsuki verify` must
 * not need the daemon's error type); parseSignature refuses what is not a signature; and tsukid's
 * wrapper (orchestrator/pki/image-trust.ts) answers the same refusals with the API's 403.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TsukiError } from "../../../src/host/common/errors.ts";
import { sha256 } from "../../../src/host/image/image.ts";
import { checkSignature, generateKeys, parseSignature, privateKey, publicKey, signImage } from "../../../src/host/image/signing.ts";
import { DaemonError } from "../../../src/host/orchestrator/api/errors.ts";
import * as trust from "../../../src/host/orchestrator/pki/image-trust.ts";

describe("checkSignature", () => {
  const keys = generateKeys();
  const trusted = [publicKey(keys.publicPem, "alice.pub")];
  const a = sha256(Buffer.from("image a"));
  const b = sha256(Buffer.from("image b"));
  const ofA = signImage(a, privateKey(keys.privatePem, "alice.key"));

  test("accepts a trusted key's signature of the image, naming the key", () => {
    assert.equal(checkSignature(a, ofA, trusted), keys.id);
  });

  test("refuses a valid signature of one image offered for another, naming both", () => {
    assert.throws(() => checkSignature(b, ofA, trusted), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ERR_SIGNATURE_INVALID");
      assert.equal(error.message, `the signature is for image ${a}, not ${b}`);
      return true;
    });
  });

  test("refuses another image's signature whose image field was rewritten: it is checked over the image's own hash", () => {
    assert.throws(() => checkSignature(b, { ...ofA, sha256: b }, trusted), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ERR_SIGNATURE_INVALID");
      assert.match(error.message, /^the signature of image [0-9a-f]{64} by key [0-9a-f]{16}… does not verify/);
      return true;
    });
  });
});

describe("signing errors", () => {
  const keys = generateKeys();
  const other = generateKeys();
  const a = sha256(Buffer.from("image a"));
  const ofA = signImage(a, privateKey(keys.privatePem, "alice.key"));

  test("are host errors with exit code 65, not the daemon's", () => {
    for (const [run, code] of [
      [() => checkSignature(a, undefined, [publicKey(keys.publicPem, "alice.pub")]), "ERR_IMAGE_UNSIGNED"],
      [() => checkSignature(a, ofA, [publicKey(other.publicPem, "mallory.pub")]), "ERR_SIGNATURE_INVALID"],
      [() => parseSignature({ format: "tsuki.signature/1", sha256: a }), "ERR_SIGNATURE_INVALID"],
      [() => parseSignature(null), "ERR_SIGNATURE_INVALID"],
    ] as const) {
      assert.throws(run, (error: unknown) => {
        assert.ok(error instanceof TsukiError, `${code}: a TsukiError`);
        assert.ok(!(error instanceof DaemonError));
        assert.equal(error.code, code);
        assert.equal(error.exitCode, 65);
        return true;
      });
    }
  });

  test("a signature parses back to itself", () => {
    assert.deepEqual(parseSignature(JSON.parse(JSON.stringify(ofA))), ofA);
  });

  test("tsukid answers them with their own code and 403", () => {
    assert.equal(trust.checkSignature(a, ofA, [publicKey(keys.publicPem, "alice.pub")]), keys.id);
    for (const [run, code] of [
      [() => trust.checkSignature(a, undefined, [publicKey(keys.publicPem, "alice.pub")]), "ERR_IMAGE_UNSIGNED"],
      [() => trust.checkSignature(a, ofA, [publicKey(other.publicPem, "mallory.pub")]), "ERR_SIGNATURE_INVALID"],
      [() => trust.parseSignature("nope"), "ERR_SIGNATURE_INVALID"],
    ] as const) {
      assert.throws(run, (error: unknown) => {
        assert.ok(error instanceof DaemonError);
        assert.equal(error.code, code);
        assert.equal(error.status, 403);
        assert.equal(error.exitCode, 65);
        return true;
      });
    }
  });
});
