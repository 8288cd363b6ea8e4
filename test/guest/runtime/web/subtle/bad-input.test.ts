/**
 * crypto.subtle given what it must refuse, inside a unikernel on the isolate target: wrong key
 * usages, malformed JWK/SPKI/PKCS#8, points off their curve, inputs past tsuki's bounds. Each is
 * the web's error (a DOMException of the right name, or WebIDL's TypeError), never a host error,
 * and the unikernel (and the tender) go on. Also: the part is not loaded until touched, and the
 * host's crypto time counts against the turn.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bootToEnd, buildSource } from "../../../../helpers.ts";

const PROBES = String.raw`
const s = crypto.subtle;
const bytes = (n, v = 1) => new Uint8Array(n).fill(v);
const hex = (t) => new Uint8Array(t.match(/../g).map((b) => parseInt(b, 16)));
const P256_SPKI = "3059301306072a8648ce3d020106082a8648ce3d030107034200";
async function spkiOf(curve) {
  const pair = await s.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"]);
  return new Uint8Array(await s.exportKey("spki", pair.publicKey));
}
export const probes = {
  "sign with a key without the sign usage": async () => s.sign("HMAC", await s.importKey("raw", bytes(32), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]), bytes(1)),
  "encrypt with a key of another algorithm": async () => s.encrypt({ name: "AES-GCM", iv: bytes(12) }, await s.importKey("raw", bytes(16), "AES-CBC", false, ["encrypt"]), bytes(1)),
  "a usage the algorithm does not have": async () => s.importKey("raw", bytes(16), "AES-GCM", false, ["sign"]),
  "a secret key without usages": async () => s.generateKey({ name: "HMAC", hash: "SHA-256" }, false, []),
  "a usage that is not one": async () => s.importKey("raw", bytes(16), "AES-GCM", false, ["fly"]),
  "an unknown algorithm": async () => s.digest("MD5", bytes(1)),
  "data that is not a BufferSource": async () => s.digest("SHA-256", "text"),
  "exporting a key that is not extractable": async () => s.exportKey("raw", await s.importKey("raw", bytes(16), "AES-GCM", false, ["encrypt"])),
  "JWK of another kty": async () => s.importKey("jwk", { kty: "RSA", k: "AAAAAAAAAAAAAAAAAAAAAA" }, "AES-GCM", false, ["encrypt"]),
  "JWK member not base64url": async () => s.importKey("jwk", { kty: "oct", k: "*not base64*" }, "AES-GCM", false, ["encrypt"]),
  "JWK with padding": async () => s.importKey("jwk", { kty: "oct", k: "AAAAAAAAAAAAAAAAAAAAAA==" }, "AES-GCM", false, ["encrypt"]),
  "JWK that is not an object": async () => s.importKey("jwk", "{}", "AES-GCM", false, ["encrypt"]),
  "JWK with ext false, asked extractable": async () => s.importKey("jwk", { kty: "oct", k: "AAAAAAAAAAAAAAAAAAAAAA", ext: false }, "AES-GCM", true, ["encrypt"]),
  "JWK whose key_ops lack the usage": async () => s.importKey("jwk", { kty: "oct", k: "AAAAAAAAAAAAAAAAAAAAAA", key_ops: ["decrypt"] }, "AES-GCM", false, ["encrypt"]),
  "JWK EC point off the curve": async () => s.importKey("jwk", { kty: "EC", crv: "P-256", x: "AQ".padEnd(43, "A"), y: "AQ".padEnd(43, "A") }, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]),
  "JWK EC with a short x": async () => s.importKey("jwk", { kty: "EC", crv: "P-256", x: "AQ", y: "AQ" }, { name: "ECDH", namedCurve: "P-256" }, false, []),
  "JWK RSA without e": async () => s.importKey("jwk", { kty: "RSA", n: "AQAB".repeat(64) }, { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]),
  "JWK Ed25519 whose x is not its d's": async () => s.importKey("jwk", { kty: "OKP", crv: "Ed25519", d: "A".repeat(43), x: "B".repeat(43) }, "Ed25519", false, ["sign"]),
  "raw EC point off the curve": async () => s.importKey("raw", hex("04" + "01".repeat(64)), { name: "ECDH", namedCurve: "P-256" }, false, []),
  "raw EC point at infinity": async () => s.importKey("raw", hex("00"), { name: "ECDH", namedCurve: "P-256" }, false, []),
  "SPKI of random bytes": async () => s.importKey("spki", bytes(91, 7), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]),
  "SPKI truncated": async () => s.importKey("spki", (await spkiOf("P-256")).subarray(0, 60), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]),
  "SPKI with trailing bytes": async () => { const k = await spkiOf("P-256"); const b = new Uint8Array(k.length + 1); b.set(k); return s.importKey("spki", b, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]); },
  "SPKI of another curve": async () => s.importKey("spki", await spkiOf("P-384"), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]),
  "SPKI whose point is off the curve": async () => s.importKey("spki", hex(P256_SPKI + "04" + "02".repeat(64)), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]),
  "SPKI with an overlong length": async () => s.importKey("spki", hex("3081" + "59" + "301306072a8648ce3d020106082a8648ce3d030107034200" + "04" + "02".repeat(64)), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]),
  "PKCS8 truncated": async () => { const p = await s.generateKey("Ed25519", true, ["sign"]); const k = new Uint8Array(await s.exportKey("pkcs8", p.privateKey)); return s.importKey("pkcs8", k.subarray(0, k.length - 1), "Ed25519", false, ["sign"]); },
  "PKCS8 of another algorithm": async () => { const p = await s.generateKey("Ed25519", true, ["sign"]); return s.importKey("pkcs8", await s.exportKey("pkcs8", p.privateKey), "X25519", false, ["deriveBits"]); },
  "PKCS8 EC scalar out of range": async () => s.importKey("pkcs8", hex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420" + "ff".repeat(32)), { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]),
  "ECDH with a public key on another curve": async () => { const a = await s.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]); const b = await s.generateKey({ name: "ECDH", namedCurve: "P-384" }, false, ["deriveBits"]); return s.deriveBits({ name: "ECDH", public: b.publicKey }, a.privateKey, 256); },
  "AES-GCM with a tampered tag": async () => { const k = await s.importKey("raw", bytes(16), "AES-GCM", false, ["encrypt", "decrypt"]); const c = new Uint8Array(await s.encrypt({ name: "AES-GCM", iv: bytes(12) }, k, bytes(5))); c[c.length - 1] ^= 1; return s.decrypt({ name: "AES-GCM", iv: bytes(12) }, k, c); },
  "AES-CBC with a short iv": async () => s.encrypt({ name: "AES-CBC", iv: bytes(8) }, await s.importKey("raw", bytes(16), "AES-CBC", false, ["encrypt"]), bytes(1)),
  "a digest over 16 MiB": async () => s.digest("SHA-256", new Uint8Array(16 * 1024 * 1024 + 1)),
  "an HMAC over 16 MiB": async () => s.sign("HMAC", await s.importKey("raw", bytes(32), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]), new Uint8Array(16 * 1024 * 1024 + 1)),
  "PBKDF2 with 10^9 iterations": async () => s.deriveBits({ name: "PBKDF2", salt: bytes(16), iterations: 1e9, hash: "SHA-256" }, await s.importKey("raw", bytes(8), "PBKDF2", false, ["deriveBits"]), 256),
  "PBKDF2 of 1 GiB": async () => s.deriveBits({ name: "PBKDF2", salt: bytes(16), iterations: 1000, hash: "SHA-256" }, await s.importKey("raw", bytes(8), "PBKDF2", false, ["deriveBits"]), 2 ** 33 - 8),
  "HKDF longer than 255 hashes": async () => s.deriveBits({ name: "HKDF", salt: bytes(1), info: bytes(1), hash: "SHA-256" }, await s.importKey("raw", bytes(8), "HKDF", false, ["deriveBits"]), 255 * 256 + 8),
  "an RSA key of 8192 bits": async () => s.generateKey({ name: "RSA-PSS", modulusLength: 8192, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, false, ["sign"]),
  "an extractable PBKDF2 key": async () => s.importKey("raw", bytes(8), "PBKDF2", true, ["deriveBits"]),
  "an ECDSA signature of the wrong length": async () => { const p = await s.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]); return s.verify({ name: "ECDSA", hash: "SHA-256" }, p.publicKey, bytes(63), bytes(1)); },
  "new CryptoKey()": async () => new CryptoKey(),
};
`;

const MAIN = `
import { unikernel } from "tsuki";
export default unikernel({
  async start({ console }) {
    const before = ["CryptoKey", "SubtleCrypto"].map((name) => typeof Object.getOwnPropertyDescriptor(globalThis, name)?.get);
    const { probes } = await import("./probes.js");
    const results = {};
    for (const [name, probe] of Object.entries(probes)) {
      try {
        const value = await probe();
        results[name] = value === false ? "false" : "accepted";
      } catch (error) {
        results[name] = (error instanceof DOMException ? "DOMException " : error instanceof TypeError ? "TypeError " : "other ") + error.name;
      }
    }
    const after = ["CryptoKey", "SubtleCrypto"].map((name) => typeof Object.getOwnPropertyDescriptor(globalThis, name)?.get);
    console.log(JSON.stringify({ before, after, results }));
  },
});
`;

const EXPECTED: Record<string, string> = {
  "sign with a key without the sign usage": "DOMException InvalidAccessError",
  "encrypt with a key of another algorithm": "DOMException InvalidAccessError",
  "a usage the algorithm does not have": "DOMException SyntaxError",
  "a secret key without usages": "DOMException SyntaxError",
  "a usage that is not one": "TypeError TypeError",
  "an unknown algorithm": "DOMException NotSupportedError",
  "data that is not a BufferSource": "TypeError TypeError",
  "exporting a key that is not extractable": "DOMException InvalidAccessError",
  "JWK of another kty": "DOMException DataError",
  "JWK member not base64url": "DOMException DataError",
  "JWK with padding": "DOMException DataError",
  "JWK that is not an object": "TypeError TypeError",
  "JWK with ext false, asked extractable": "DOMException DataError",
  "JWK whose key_ops lack the usage": "DOMException DataError",
  "JWK EC point off the curve": "DOMException DataError",
  "JWK EC with a short x": "DOMException DataError",
  "JWK RSA without e": "DOMException DataError",
  "JWK Ed25519 whose x is not its d's": "DOMException DataError",
  "raw EC point off the curve": "DOMException DataError",
  "raw EC point at infinity": "DOMException DataError",
  "SPKI of random bytes": "DOMException DataError",
  "SPKI truncated": "DOMException DataError",
  "SPKI with trailing bytes": "DOMException DataError",
  "SPKI of another curve": "DOMException DataError",
  "SPKI whose point is off the curve": "DOMException DataError",
  "SPKI with an overlong length": "DOMException DataError",
  "PKCS8 truncated": "DOMException DataError",
  "PKCS8 of another algorithm": "DOMException DataError",
  "PKCS8 EC scalar out of range": "DOMException DataError",
  "ECDH with a public key on another curve": "DOMException InvalidAccessError",
  "AES-GCM with a tampered tag": "DOMException OperationError",
  "AES-CBC with a short iv": "DOMException OperationError",
  "a digest over 16 MiB": "DOMException OperationError",
  "an HMAC over 16 MiB": "DOMException OperationError",
  "PBKDF2 with 10^9 iterations": "DOMException NotSupportedError",
  "PBKDF2 of 1 GiB": "DOMException NotSupportedError",
  "HKDF longer than 255 hashes": "DOMException OperationError",
  "an RSA key of 8192 bits": "DOMException NotSupportedError",
  "an extractable PBKDF2 key": "DOMException SyntaxError",
  "an ECDSA signature of the wrong length": "false",
  "new CryptoKey()": "TypeError TypeError",
};

describe("crypto.subtle refuses bad input with the web's errors, inside a unikernel", () => {
  test("each probe gets its DOMException (or TypeError), the part loads only when touched, and the unikernel returns", async () => {
    const image = await buildSource(MAIN, { "src/probes.js": PROBES });
    const booted = await bootToEnd("isolate", image, { memoryMb: 256, cpuMs: 30_000 });
    assert.equal(booted.status.kind, "returned", `${booted.status.reason}\n${booted.err.join("\n")}`);
    const { before, after, results } = JSON.parse(booted.out.join(""));
    assert.deepEqual(before, ["function", "function"], "CryptoKey and SubtleCrypto are lazy getters until touched");
    // `new CryptoKey()` read CryptoKey, which became a plain value; SubtleCrypto, never read, is still the getter.
    assert.deepEqual(after, ["undefined", "function"], "a global becomes a plain value once read");
    assert.deepEqual(results, EXPECTED);
  });

  test("the host's crypto time counts against the turn: a loop of PBKDF2 calls ends with the CPU limit", async () => {
    const image = await buildSource(`
      import { unikernel } from "tsuki";
      export default unikernel({
        async start() {
          const key = await crypto.subtle.importKey("raw", new Uint8Array(8), "PBKDF2", false, ["deriveBits"]);
          for (;;) await crypto.subtle.deriveBits({ name: "PBKDF2", salt: new Uint8Array(8), iterations: 1 << 20, hash: "SHA-512" }, key, 512);
        },
      });`);
    const booted = await bootToEnd("isolate", image, { cpuMs: 200 });
    assert.equal(booted.status.kind, "cpu-limit", booted.status.reason);
  });
});
