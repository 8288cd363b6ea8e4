/**
 * The host side of the `crypto.*` hypercalls, driven directly: arguments of the wrong type or
 * size, unknown operations and malformed packed keys are error values (never Node's exceptions),
 * counted like every refused call; and the time of the work counts against the unikernel's turn.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CRYPTO_LIMITS, type HypercallFn, isHypercallError, packKey } from "../../../src/abi/index.ts";
import { type TurnClock } from "../../../src/host/tender/crypto/index.ts";
import { NO_DEVICES } from "../../../src/host/tender/devices/calls.ts";
import { makeHypercall } from "../../../src/host/tender/hypercalls.ts";

function host(turn?: TurnClock): { call: HypercallFn; rejected: [string, string][] } {
  const rejected: [string, string][] = [];
  const call = makeHypercall({
    alive: () => true,
    exit() {},
    abort() {},
    console() {},
    monotonic: () => 0,
    armTimer() {},
    asset: () => undefined,
    rejected: (c, errno) => void rejected.push([c, errno]),
    devices: NO_DEVICES,
    ...(turn ? { turn } : {}),
  });
  return { call, rejected };
}

const none = new Uint8Array(0);
const secret = (n: number) => packKey({ kind: "secret", curve: "", parts: [new Uint8Array(n).fill(1)] });

describe("crypto.* hypercalls", () => {
  const REFUSED: [string, unknown[], string, RegExp][] = [
    ["crypto.digest", ["MD5", none], "EINVAL", /no hash "MD5"/],
    ["crypto.digest", ["SHA-256", "text"], "EINVAL", /argument 2 must be a Uint8Array/],
    ["crypto.digest", ["SHA-256", new Uint8Array(CRYPTO_LIMITS.data + 1)], "E2BIG", /at most 16777216 bytes/],
    ["crypto.sign", ["HMAC", secret(16), none, 0], "EINVAL", /HMAC takes a hash/],
    ["crypto.sign", ["HMAC/SHA-3", secret(16), none, 0], "EINVAL", /HMAC takes a hash/],
    ["crypto.sign", ["Ed25519/SHA-256", secret(16), none, 0], "EINVAL", /takes no hash/],
    ["crypto.sign", ["ECDSA/SHA-256", secret(16), none, 0], "EINVAL", /needs a ec-private key, got secret/],
    ["crypto.sign", ["ECDSA/SHA-256", new Uint8Array([9, 9]), none, 0], "EINVAL", /unknown key kind 9/],
    ["crypto.sign", ["ECDSA/SHA-256", new Uint8Array([4, 1, 0, 0, 0, 99]), none, 0], "EINVAL", /says 99 bytes/],
    ["crypto.sign", ["ECDSA/SHA-256", new Uint8Array([4, 1]), none, -1], "EINVAL", /argument 4/],
    ["crypto.decrypt", ["AES-GCM", secret(16), new Uint8Array(12), new Uint8Array(20), none, 128], "EINVAL", /the operation failed/],
    ["crypto.encrypt", ["AES-GCM", secret(15), new Uint8Array(12), none, none, 128], "EINVAL", /16, 24 or 32 bytes/],
    ["crypto.encrypt", ["AES-GCM", secret(16), new Uint8Array(12), none, none, 100], "EINVAL", /tag is/],
    ["crypto.encrypt", ["AES-KW", secret(16), none, new Uint8Array(12), none, 0], "EINVAL", /multiple of 8/],
    ["crypto.derive", ["PBKDF2/SHA-256", secret(8), none, none, 1e9, 32], "EINVAL", /at most 1048576 iterations/],
    ["crypto.derive", ["HKDF/SHA-256", secret(8), none, none, 0, 255 * 32 + 1], "EINVAL", /the operation failed/],
    ["crypto.generate", ["RSA", 8192, new Uint8Array([1, 0, 1])], "EINVAL", /1024–4096 bits/],
    ["crypto.generate", ["RSA", 2048, new Uint8Array([5])], "EINVAL", /3 or 65537/],
    ["crypto.import", [packKey({ kind: "ec-public", curve: "P-256", parts: [new Uint8Array(65).fill(4)] })], "EINVAL", /crypto.import/],
    ["crypto.import", [packKey({ kind: "ec-public", curve: "Ed25519", parts: [new Uint8Array(65)] })], "EINVAL", /on curve "Ed25519"/],
    ["crypto.import", [packKey({ kind: "rsa-public", curve: "", parts: [new Uint8Array(16).fill(255), new Uint8Array([1, 0, 1])] })], "EINVAL", /512–8192 bits/],
    ["runtime.part", ["../../etc/passwd"], "EINVAL", /no part/],
  ];
  for (const [name, args, errno, message] of REFUSED) {
    test(`${name}(${args.map((a) => (a instanceof Uint8Array ? `${a.length} bytes` : JSON.stringify(a))).join(", ")}) is ${errno}`, () => {
      const { call, rejected } = host();
      const result = call(name, ...args);
      assert.ok(isHypercallError(result), `not an error value: ${String(result)}`);
      assert.equal(result.errno, errno);
      assert.match(result.message, message);
      assert.deepEqual(rejected, [[name, errno]]);
    });
  }

  test("a signature that does not verify is false, whatever its shape", () => {
    const { call } = host();
    const key = call("crypto.generate", "Ed25519", 0, none) as Uint8Array;
    const pub = call("crypto.import", packKey({ kind: "okp-public", curve: "Ed25519", parts: [key.subarray(6, 38)] })) as Uint8Array;
    const sig = call("crypto.sign", "Ed25519", key, new Uint8Array(3), 0) as Uint8Array;
    assert.equal(call("crypto.verify", "Ed25519", pub, new Uint8Array(3), sig, 0), true);
    assert.equal(call("crypto.verify", "Ed25519", pub, new Uint8Array(4), sig, 0), false);
    assert.equal(call("crypto.verify", "Ed25519", pub, new Uint8Array(3), sig.subarray(1), 0), false);
  });

  test("a turn already past its limit ends the unikernel before the work; one the work takes past it, after", () => {
    let overruns = 0;
    const times = [5000];
    const { call } = host({ elapsed: () => times.shift() ?? 0, limitMs: 1000, overrun: () => void overruns++ });
    const before = call("crypto.digest", "SHA-256", none);
    assert.ok(isHypercallError(before) && before.errno === "ESRCH", "refused before the work");
    assert.equal(overruns, 1);
    times.push(0, 1500);
    const after = call("crypto.digest", "SHA-256", none);
    assert.ok(isHypercallError(after) && after.errno === "ESRCH", "refused after the work");
    assert.equal(overruns, 2);
    times.push(0, 999);
    assert.ok(call("crypto.digest", "SHA-256", none) instanceof Uint8Array, "within the limit: the digest");
    assert.equal(overruns, 2);
  });
});
