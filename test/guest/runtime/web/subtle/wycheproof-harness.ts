/**
 * Runs one Project Wycheproof file through a `SubtleCrypto`: tsuki's inside a unikernel (the file
 * is bundled into the test image) or Node's, on the same data. No imports, only the Web Crypto
 * API: the same code judges both.
 *
 * Each case ends "ok" (the operation succeeded with the expected output), "rejected" (it threw,
 * or verify said false) or "wrong" (it succeeded with another output). A valid case passes when
 * ok; an invalid one when rejected (a wrong output is an accepted invalid input: a failure,
 * whatever Node does); an acceptable case passes either way, and which way is counted.
 */

type Method = (...args: any[]) => Promise<any>;
type Subtle = Record<"importKey" | "exportKey" | "encrypt" | "decrypt" | "sign" | "verify" | "deriveBits" | "wrapKey" | "unwrapKey", Method>;
type Case = Record<string, any>;
type Group = Record<string, any> & { tests: Case[] };
type Outcome = { kind: "ok" | "rejected" | "wrong"; error?: string };

export interface FileResult {
  file: string;
  valid: [passed: number, total: number];
  invalid: [passed: number, total: number];
  acceptable: { accepted: number; rejected: number };
  /** Cases that failed: tcId, expected result, what happened. */
  failures: [number, string, string][];
  /** Names of the errors that rejected cases (DOMException names, TypeError, …), with counts. */
  errors: Record<string, number>;
}

const hex = (text: string) => new Uint8Array((text.match(/../g) ?? []).map((b) => parseInt(b, 16)));
const toHex = (buffer: ArrayBuffer | Uint8Array) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
const HASH: Record<string, string> = { "SHA-1": "SHA-1", "SHA-256": "SHA-256", "SHA-384": "SHA-384", "SHA-512": "SHA-512" };
const X25519_PKCS8 = "302e020100300506032b656e04220420";

async function outcome(run: () => Promise<boolean | string>, expected?: string): Promise<Outcome> {
  try {
    const got = await run();
    if (got === false) return { kind: "rejected", error: "false" };
    if (expected === undefined || got === true) return { kind: "ok" };
    return got === expected ? { kind: "ok" } : { kind: "wrong", error: `got ${String(got).slice(0, 40)}` };
  } catch (error) {
    const e = error as { name?: unknown; constructor?: { name?: unknown } };
    const isDom = Object.prototype.toString.call(error) === "[object DOMException]" || e?.constructor?.name === "DOMException";
    return { kind: "rejected", error: `${isDom ? "" : "non-DOMException "}${String(e?.name)}` };
  }
}

/** What one case of each kind of file runs: resolves true/false (verify), or the output as hex. */
function runner(file: string, subtle: Subtle, group: Group): (t: Case) => Promise<boolean | string> {
  const s = subtle;
  if (file.startsWith("aes_gcm")) {
    return async (t) => {
      const key = await s.importKey("raw", hex(t.key), "AES-GCM", false, ["encrypt", "decrypt"]);
      const params = { name: "AES-GCM", iv: hex(t.iv), additionalData: hex(t.aad), tagLength: group.tagSize };
      const plain = toHex(await s.decrypt(params, key, hex(t.ct + t.tag)));
      if (plain !== t.msg) return plain;
      return toHex(await s.encrypt(params, key, hex(t.msg))) === t.ct + t.tag ? t.msg : "encryption differs";
    };
  }
  if (file.startsWith("aes_cbc")) {
    return async (t) => {
      const key = await s.importKey("raw", hex(t.key), "AES-CBC", false, ["encrypt", "decrypt"]);
      const plain = toHex(await s.decrypt({ name: "AES-CBC", iv: hex(t.iv) }, key, hex(t.ct)));
      if (plain !== t.msg) return plain;
      return toHex(await s.encrypt({ name: "AES-CBC", iv: hex(t.iv) }, key, hex(t.msg))) === t.ct ? t.msg : "encryption differs";
    };
  }
  if (file.startsWith("aes_wrap")) {
    return async (t) => {
      const kw = await s.importKey("raw", hex(t.key), "AES-KW", false, ["wrapKey", "unwrapKey"]);
      const hmac = { name: "HMAC", hash: "SHA-256" };
      const unwrapped = await s.unwrapKey("raw", hex(t.ct), kw, "AES-KW", hmac, true, ["sign"]);
      const plain = toHex(await s.exportKey("raw", unwrapped));
      if (plain !== t.msg) return plain;
      const key = await s.importKey("raw", hex(t.msg), hmac, true, ["sign"]);
      return toHex(await s.wrapKey("raw", key, kw, "AES-KW")) === t.ct ? t.msg : "wrapping differs";
    };
  }
  if (file.startsWith("ecdh_")) {
    return async (t) => {
      const priv = await s.importKey("jwk", t.private, { name: "ECDH", namedCurve: t.private.crv }, false, ["deriveBits"]);
      const pub = await s.importKey("jwk", t.public, { name: "ECDH", namedCurve: t.public.crv ?? group.curve }, false, []);
      return toHex(await s.deriveBits({ name: "ECDH", public: pub }, priv, null));
    };
  }
  if (file.startsWith("x25519")) {
    const jwk = file.includes("jwk");
    return async (t) => {
      const priv = jwk
        ? await s.importKey("jwk", t.private, "X25519", false, ["deriveBits"])
        : await s.importKey("pkcs8", hex(X25519_PKCS8 + t.private), "X25519", false, ["deriveBits"]);
      const pub = jwk ? await s.importKey("jwk", t.public, "X25519", false, []) : await s.importKey("raw", hex(t.public), "X25519", false, []);
      return toHex(await s.deriveBits({ name: "X25519", public: pub }, priv, null));
    };
  }
  if (file.startsWith("ecdsa_") || file.startsWith("ed25519") || file.startsWith("rsa_pss") || file.startsWith("rsa_signature")) {
    const algorithm = file.startsWith("ecdsa_")
      ? { name: "ECDSA", namedCurve: group.publicKey.curve === "secp256r1" ? "P-256" : "P-384", hash: HASH[group.sha] }
      : file.startsWith("ed25519") ? { name: "Ed25519" }
      : { name: file.startsWith("rsa_pss") ? "RSA-PSS" : "RSASSA-PKCS1-v1_5", hash: HASH[group.sha], saltLength: group.sLen };
    const key = s.importKey("spki", hex(group.publicKeyDer), algorithm, false, ["verify"]);
    return async (t) => s.verify(algorithm, await key, hex(t.sig), hex(t.msg));
  }
  if (file.startsWith("hkdf_")) {
    const hash = `SHA-${file.slice(8, 11)}`;
    return async (t) => {
      const key = await s.importKey("raw", hex(t.ikm), "HKDF", false, ["deriveBits"]);
      return toHex(await s.deriveBits({ name: "HKDF", hash, salt: hex(t.salt), info: hex(t.info) }, key, t.size * 8));
    };
  }
  if (file.startsWith("hmac_")) {
    const hash = `SHA-${file.slice(8, file.indexOf("_test"))}`;
    const full = { "SHA-1": 160, "SHA-256": 256, "SHA-384": 384, "SHA-512": 512 }[hash]!;
    return async (t) => {
      const key = await s.importKey("raw", hex(t.key), { name: "HMAC", hash }, false, ["sign", "verify"]);
      if (group.tagSize === full) return s.verify("HMAC", key, hex(t.tag), hex(t.msg));
      return toHex(await s.sign("HMAC", key, hex(t.msg))).slice(0, group.tagSize / 4) === t.tag ? true : false;
    };
  }
  if (file.startsWith("pbkdf2_")) {
    return async (t) => {
      const key = await s.importKey("raw", hex(t.password), "PBKDF2", false, ["deriveBits"]);
      return toHex(await s.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: hex(t.salt), iterations: t.iterationCount }, key, t.dkLen * 8));
    };
  }
  if (file.startsWith("rsa_oaep")) {
    const key = s.importKey("pkcs8", hex(group.privateKeyPkcs8), { name: "RSA-OAEP", hash: HASH[group.sha] }, false, ["decrypt"]);
    return async (t) => toHex(await s.decrypt({ name: "RSA-OAEP", label: hex(t.label) }, await key, hex(t.ct)));
  }
  throw new Error(`no runner for ${file}`);
}

/** The expected output of a case, as hex, where the runner returns one. */
function expected(t: Case): string | undefined {
  return t.shared ?? t.okm ?? t.dk ?? (t.ct !== undefined && t.sig === undefined ? t.msg : undefined);
}

export async function runFile(subtle: Subtle, file: string, data: { testGroups: Group[] }): Promise<FileResult> {
  const result: FileResult = { file, valid: [0, 0], invalid: [0, 0], acceptable: { accepted: 0, rejected: 0 }, failures: [], errors: {} };
  for (const group of data.testGroups) {
    const run = runner(file, subtle, group);
    for (const t of group.tests) {
      const got = await outcome(() => run(t), expected(t));
      if (got.kind === "rejected") result.errors[got.error!] = (result.errors[got.error!] ?? 0) + 1;
      if (t.result === "acceptable") {
        if (got.kind === "ok") result.acceptable.accepted++;
        else result.acceptable.rejected++;
        continue;
      }
      const tally = t.result === "valid" ? result.valid : result.invalid;
      tally[1]++;
      const passed = t.result === "valid" ? got.kind === "ok" : got.kind === "rejected";
      if (passed) tally[0]++;
      else result.failures.push([t.tcId, t.result, `${got.kind}${got.error ? ` (${got.error})` : ""}`]);
    }
  }
  return result;
}
