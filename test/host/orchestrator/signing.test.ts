/**
 * Signed images through the real commands: tsuki keygen, sign and verify (Ed25519 over the
 * image's SHA-256), and a daemon started with --trusted-key that runs signed images and refuses
 * unsigned ones, ones signed by a key it does not trust and ones whose signature is another
 * image's, each with a clear error. checkSignature itself: test/host/image/signing.test.ts.
 */

import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { sha256 } from "../../../src/host/image/image.ts";
import { craftImage, tempDir } from "../../helpers.ts";
import { tsuki } from "../../cli/spawn.ts";
import { type RunningDaemon, fetchText, helloHttpImage, startDaemon } from "./harness.ts";

const T = { timeout: 60_000 };
const dir = tempDir("tsuki-sign-");
const image = path.join(dir, "hello-http.tsuki");
const unsigned = path.join(dir, "unsigned", "hello-http.tsuki");
/** Another image, which the signature of `image` must not pass for. */
const other = path.join(dir, "other.tsuki");
let daemon: RunningDaemon;

before(async () => {
  const bytes = await helloHttpImage();
  writeFileSync(image, bytes);
  (await import("node:fs")).mkdirSync(path.dirname(unsigned));
  writeFileSync(unsigned, bytes);
  writeFileSync(other, craftImage(`export default {};`));
  for (const name of ["alice", "mallory"]) assert.equal((await tsuki(["keygen", path.join(dir, name)])).code, 0);
  daemon = await startDaemon(undefined, ["--trusted-key", path.join(dir, "alice.pub")]);
});
after(async () => {
  await daemon.stop();
});

describe("tsuki sign and verify", () => {
  test("keygen writes a private key only its owner can read and a public key, both PEM", T, () => {
    assert.equal(statSync(path.join(dir, "alice.key")).mode & 0o777, 0o600);
    assert.match(readFileSync(path.join(dir, "alice.key"), "utf8"), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(readFileSync(path.join(dir, "alice.pub"), "utf8"), /^-----BEGIN PUBLIC KEY-----/);
  });

  test("sign writes IMAGE.sig; verify accepts it with the signer's public key and refuses another key", T, async () => {
    const signed = await tsuki(["sign", image, "--key", path.join(dir, "alice.key")]);
    assert.equal(signed.code, 0, signed.stderr);
    const sig = JSON.parse(readFileSync(`${image}.sig`, "utf8"));
    assert.equal(sig.format, "tsuki.signature/1");
    const ok = await tsuki(["verify", image, "--key", path.join(dir, "alice.pub")]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^verified: image [0-9a-f]{64} is signed by key [0-9a-f]{64}$/m);
    const other = await tsuki(["verify", image, "--key", path.join(dir, "mallory.pub")]);
    assert.equal(other.code, 65);
    assert.match(other.stderr, /^tsuki: error ERR_SIGNATURE_INVALID: .*which is not among the trusted keys/m);
  });

  test("a signature whose bytes were changed does not verify", T, async () => {
    const sig = JSON.parse(readFileSync(`${image}.sig`, "utf8"));
    const bytes = Buffer.from(sig.signature, "base64");
    bytes[0]! ^= 1;
    const forged = path.join(dir, "forged.sig");
    writeFileSync(forged, JSON.stringify({ ...sig, signature: bytes.toString("base64") }));
    const r = await tsuki(["verify", image, "--key", path.join(dir, "alice.pub"), "--signature", forged]);
    assert.equal(r.code, 65);
    assert.match(r.stderr, /ERR_SIGNATURE_INVALID: the signature of image .* does not verify/);
  });
});

describe("tsuki daemon --trusted-key", () => {
  test("runs an image signed by a trusted key (tsuki create sends IMAGE.sig along)", T, async () => {
    const r = await tsuki(daemon.tsukiArgs("create", "signed", image, "--dev", "web=tcp://127.0.0.1:0", "--json"));
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.match(info.signedBy, /^[0-9a-f]{64}$/);
    assert.equal(await fetchText(info.addresses.web), "hello\n");
  });

  test("refuses an unsigned image with ERR_IMAGE_UNSIGNED, saying how to sign it", T, async () => {
    const r = await tsuki(daemon.tsukiArgs("create", "plain", unsigned, "--dev", "web=tcp://127.0.0.1:0"));
    assert.equal(r.code, 65);
    assert.match(r.stderr, /^tsuki: error ERR_IMAGE_UNSIGNED: image [0-9a-f]{64} is not signed, .*tsuki sign IMAGE --key KEY/m);
    assert.equal((await daemon.client.listUnikernels()).some((u) => u.name === "plain"), false);
  });

  test("refuses an image signed by a key it does not trust", T, async () => {
    const sig = path.join(dir, "mallory.sig");
    assert.equal((await tsuki(["sign", image, "--key", path.join(dir, "mallory.key"), "--out", sig])).code, 0);
    const r = await tsuki(daemon.tsukiArgs("create", "evil", image, "--signature", sig, "--dev", "web=tcp://127.0.0.1:0"));
    assert.equal(r.code, 65);
    assert.match(r.stderr, /^tsuki: error ERR_SIGNATURE_INVALID: .*which is not among the trusted keys/m);
  });
});

describe("tsuki daemon --trusted-key and another image's signature", () => {
  test("refuses a create whose image is not the one its (valid, trusted) signature is for, with ERR_SIGNATURE_INVALID", T, async () => {
    const sig = path.join(dir, "alice-hello.sig");
    assert.equal((await tsuki(["sign", image, "--key", path.join(dir, "alice.key"), "--out", sig])).code, 0);
    const r = await tsuki(daemon.tsukiArgs("create", "swapped", other, "--signature", sig, "--dev", "web=tcp://127.0.0.1:0"));
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, new RegExp(`^tsuki: error ERR_SIGNATURE_INVALID: the signature is for image ${sha256(readFileSync(image))}, not ${sha256(readFileSync(other))}$`, "m"));
    assert.equal((await daemon.client.listUnikernels()).some((u) => u.name === "swapped"), false);
  });
});
